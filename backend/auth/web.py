"""Request authentication: session cookie (with CSRF) or ``Authorization: Bearer`` token."""
from __future__ import annotations

import hmac
import uuid

from flask import current_app, g, request, session
from flask_login import current_user

from backend.auth.decorators import AUTHENTICATED, PUBLIC, current_user_or_none
from backend.context import Actor, set_actor, set_request_id
from backend.errors import PermissionDenied, Unauthenticated
from backend.extensions import login_manager
from backend.services import users as user_service

UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
CSRF_EXEMPT_ENDPOINTS = {"auth.Login"}


def _load_user_from_request(req):
    auth = req.headers.get("Authorization", "")
    if auth[:7].lower() == "bearer ":
        tok = user_service.authenticate_token(auth[7:].strip())
        if tok is None:
            return None
        g.auth_source, g.api_token = "api_token", tok
        return tok.user
    key = session.get("k")
    if not key:
        return None
    sess = user_service.load_session(key, current_app.config["SESSION_IDLE_HOURS"],
                                     current_app.config.get("SESSION_MAX_HOURS"))
    if sess is None:
        session.pop("k", None)
        return None
    g.auth_source, g.user_session = "session", sess
    user = sess.user
    user._session_key = key
    return user


def install_auth(app) -> None:
    login_manager.request_loader(_load_user_from_request)

    @app.before_request
    def _authenticate():
        g.request_id = request.headers.get("X-Request-ID", "")[:64] or uuid.uuid4().hex
        set_request_id(g.request_id)
        user = current_user._get_current_object() if current_user else None
        authed = bool(user is not None and getattr(user, "is_authenticated", False))
        set_actor(Actor(user.id, user.username, g.get("auth_source", "web")) if authed else None)
        if authed and g.get("auth_source") == "session":
            user_service.touch_session(g.user_session)
            if request.method in UNSAFE and request.endpoint not in CSRF_EXEMPT_ENDPOINTS:
                sent = request.headers.get("X-CSRF-Token", "")
                if not hmac.compare_digest(sent, g.user_session.csrf_token):
                    raise PermissionDenied("Missing or wrong X-CSRF-Token header.", code="csrf_failed")

    @app.before_request
    def _enforce_declared_permission():
        # Checked before flask-smorest parses the body, so a forbidden role gets 401/403, never 422.
        perm = declared_permission(app, request.endpoint, request.method)
        if perm and perm != PUBLIC:
            user = current_user_or_none()
            if user is None:
                raise Unauthenticated()
            if perm != AUTHENTICATED and not user.can(perm):
                raise PermissionDenied(f"Missing permission {perm}.", zh=f"缺少权限 {perm}。", errors={"permission": perm})

    @app.teardown_request
    def _clear(_exc):
        set_actor(None)
        set_request_id(None)


def declared_permission(app, endpoint: str | None, method: str) -> str | None:
    """The permission declared with @require on the view that serves (endpoint, method), if any."""
    view = app.view_functions.get(endpoint or "")
    if view is None:
        return None
    cls = getattr(view, "view_class", None)
    if cls is not None:
        meth = getattr(cls, "get" if method == "HEAD" else method.lower(), None)
        return getattr(meth, "_permission", None)
    return getattr(view, "_permission", None)
