"""``Idempotency-Key`` header on ordinary POST endpoints: ``install(app)`` adds the request hooks.

See backend/services/idempotency.py for the semantics. Exempt: login/logout (no user yet / session
changes) and the sync push (idempotent by op_id already).
"""
from __future__ import annotations

from flask import Response, g, request

from backend.auth.decorators import current_user_or_none
from backend.services import idempotency

HEADER = "Idempotency-Key"
METHODS = {"POST"}
EXEMPT_ENDPOINTS = {"auth.Login", "auth.Logout", "sync.Push"}
_KEPT_HEADERS = ("Location", "Content-Disposition")


def install(app) -> None:
    """Install the hooks (call after ``install_auth`` so the user is known)."""

    @app.before_request
    def _idempotency_begin():
        key = request.headers.get(HEADER)
        if key is None or request.method not in METHODS or not request.path.startswith("/api/"):
            return None
        if request.endpoint in EXEMPT_ENDPOINTS or request.endpoint is None:
            return None
        user = current_user_or_none()
        if user is None:
            return None  # the view answers 401
        fp = idempotency.fingerprint(request.method, request.path, request.query_string,
                                     request.get_data(cache=True), request.is_json)
        out = idempotency.begin(user.id, key.strip(), request.method, request.path, fp)
        if isinstance(out, idempotency.Stored):
            resp = Response(out.body, status=out.status, content_type=out.content_type)
            for k, v in (out.headers or {}).items():
                resp.headers[k] = v
            resp.headers["Idempotent-Replayed"] = "true"
            return resp
        setattr(g, idempotency._G_KEY, out)
        return None

    @app.after_request
    def _idempotency_finish(resp):
        key_id = g.pop(idempotency._G_KEY, None)
        if key_id is None:
            return resp
        body = None
        if not resp.is_streamed and not resp.direct_passthrough:
            body = resp.get_data()
        headers = {k: resp.headers[k] for k in _KEPT_HEADERS if k in resp.headers}
        idempotency.finish(key_id, resp.status_code, body, resp.content_type, headers,
                           committed=bool(g.get(idempotency._G_MARKED)))
        return resp

    @app.teardown_request
    def _idempotency_teardown(exc):
        key_id = g.pop(idempotency._G_KEY, None)
        if key_id is not None and not g.get(idempotency._G_MARKED):  # no response was produced
            try:
                idempotency.release(key_id)
            except Exception:  # pragma: no cover - best effort; the lock times out anyway
                pass
