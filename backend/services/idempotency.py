"""``Idempotency-Key`` for ordinary POST requests (Stripe's semantics), per user.

* first request with a key: the key is stored as ``running`` (in its own short transaction), the request
  runs, and its response (status, body, content type) is stored — errors included (4xx);
* the same key again with the same request: the stored response is returned, nothing runs again
  (header ``Idempotent-Replayed: true``);
* the same key with a different request (method, path, query or body): 422 ``idempotency_key_reused``;
* the same key while the first request is still running: 409 ``idempotency_in_progress`` — also after
  its transaction committed while its answer is being stored (``committed``, ``completed_at`` unset,
  lock fresh);

A 5xx response is not stored and the key is released, so a retry runs again — the command transaction
was rolled back, nothing happened. The key is marked ``committed`` inside the first business transaction
that commits during the request (session ``before_commit``), so if the process dies after that commit but
before the response is stored, a retry does not run the request twice (409 ``idempotency_response_lost``
once the lock of ``IDEMPOTENCY_LOCK_SECONDS`` has passed, or at once when the finished answer was too
large to keep).
A ``running`` key whose request never committed is taken over after ``IDEMPOTENCY_LOCK_SECONDS``.
Keys expire after ``IDEMPOTENCY_TTL_HOURS`` (24).
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app, g, has_request_context
from sqlalchemy import delete, event, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from backend.errors import Conflict, ValidationFailed
from backend.models.base import utcnow
from backend.models.sync import IdempotencyKey
from backend.services.uow import transaction

MAX_STORED_BODY = 2 * 1024 * 1024
_G_KEY = "idempotency_key_id"
_G_MARKED = "idempotency_committed"


@dataclass
class Stored:
    status: int
    body: bytes
    content_type: str | None
    headers: dict


def fingerprint(method: str, path: str, query: bytes, body: bytes, is_json: bool) -> str:
    if is_json:
        try:  # key order and whitespace do not matter for JSON bodies
            body = json.dumps(json.loads(body or b"null"), sort_keys=True, separators=(",", ":")).encode()
        except ValueError:
            pass
    h = hashlib.sha256()
    for part in (method.encode(), path.encode(), query or b"", body or b""):
        h.update(len(part).to_bytes(8, "big"))
        h.update(part)
    return h.hexdigest()


def _cfg(name: str, default: int) -> int:
    return int(current_app.config.get(name, default))


def _in_progress(key: str) -> Conflict:
    return Conflict("A request with this Idempotency-Key is still running; retry later.",
                    zh="使用此幂等键的请求仍在处理中，请稍后重试。", code="idempotency_in_progress",
                    errors={"Idempotency-Key": [key]})


def begin(user_id: int, key: str, method: str, path: str, request_hash: str) -> int | Stored:
    """Claim ``key`` for this request (returns the key's id) or return the stored response to replay.

    Raises 422 (key reused with another request) or 409 (first request still running)."""
    if not key or len(key) > 255:
        raise ValidationFailed("Idempotency-Key must be 1–255 characters.", code="invalid_idempotency_key",
                               errors={"Idempotency-Key": ["Length 1–255."]})
    now = utcnow()
    with transaction() as s:
        ins = (pg_insert if s.get_bind().dialect.name == "postgresql" else sqlite_insert)(IdempotencyKey)
        row = s.execute(ins.values(user_id=user_id, key=key, method=method, path=path[:500],
                                   request_hash=request_hash, status="running", locked_at=now, created_at=now)
                        .on_conflict_do_nothing(index_elements=["user_id", "key"])
                        .returning(IdempotencyKey.id)).first()
        if row is not None:
            return int(row[0])
        rec = s.scalars(select(IdempotencyKey).where(IdempotencyKey.user_id == user_id, IdempotencyKey.key == key)
                        .with_for_update().execution_options(populate_existing=True)).one()
        if rec.created_at < now - timedelta(hours=_cfg("IDEMPOTENCY_TTL_HOURS", 24)):
            rec.method, rec.path, rec.request_hash = method, path[:500], request_hash
            rec.status, rec.locked_at, rec.created_at, rec.completed_at = "running", now, now, None
            rec.response_status = rec.response_body = rec.response_content_type = rec.response_headers = None
            return rec.id
        if rec.request_hash != request_hash:
            raise ValidationFailed("This Idempotency-Key was used for a different request.",
                                   code="idempotency_key_reused", errors={"Idempotency-Key": [key]})
        if rec.status == "done" and rec.response_status is not None:
            return Stored(rec.response_status, rec.response_body or b"", rec.response_content_type,
                          rec.response_headers or {})
        alive = rec.locked_at > now - timedelta(seconds=_cfg("IDEMPOTENCY_LOCK_SECONDS", 120))
        if rec.status == "running":
            if alive:
                raise _in_progress(key)
            rec.locked_at = now  # the first request died before committing anything: run again
            return rec.id
        if rec.status == "committed" and rec.completed_at is None and alive:
            # committed, and its answer is being written right now (not lost: the request is alive)
            raise _in_progress(key)
        raise Conflict("A request with this Idempotency-Key was completed but its response was not kept.",
                       code="idempotency_response_lost", errors={"Idempotency-Key": [key]})


def finish(key_id: int, status: int, body: bytes | None, content_type: str | None, headers: dict,
           committed: bool) -> None:
    """Store the response (or release the key after a 5xx that committed nothing)."""
    with transaction() as s:
        if status >= 500 and not committed:
            s.execute(delete(IdempotencyKey).where(IdempotencyKey.id == key_id))
            return
        if body is not None and len(body) > MAX_STORED_BODY:
            body = None
        s.execute(update(IdempotencyKey).where(IdempotencyKey.id == key_id).values(
            status="done" if body is not None else "committed", response_status=status, response_body=body,
            response_content_type=content_type, response_headers=headers, completed_at=utcnow()))


def release(key_id: int) -> None:
    with transaction() as s:
        s.execute(delete(IdempotencyKey).where(IdempotencyKey.id == key_id, IdempotencyKey.status == "running"))


@event.listens_for(Session, "before_commit")
def _mark_committed(session: Session) -> None:
    """The first business commit of a request with a key also marks the key ``committed`` (same tx)."""
    if not has_request_context():
        return
    key_id = g.get(_G_KEY)
    if key_id is None or g.get(_G_MARKED):
        return
    if not (session.new or session.dirty or session.deleted or session.info.get("jxc_wrote")):
        return  # a transaction that only read must not mark the key
    session.execute(update(IdempotencyKey).where(IdempotencyKey.id == key_id).values(status="committed"))
    session.info["jxc_idem_marking"] = True
    setattr(g, _G_MARKED, True)


@event.listens_for(Session, "after_flush")
def _note_write(session: Session, _ctx) -> None:
    session.info["jxc_wrote"] = True


@event.listens_for(Session, "after_commit")
def _committed(session: Session) -> None:
    session.info.pop("jxc_wrote", None)
    session.info.pop("jxc_idem_marking", None)


@event.listens_for(Session, "after_soft_rollback")
def _rolled_back(session: Session, previous_transaction) -> None:
    if previous_transaction.parent is not None or previous_transaction.nested:
        return
    session.info.pop("jxc_wrote", None)
    if session.info.pop("jxc_idem_marking", None) and has_request_context():
        setattr(g, _G_MARKED, False)  # the commit that carried the mark failed


def prune(hours: int = 24) -> int:
    with transaction() as s:
        res = s.execute(delete(IdempotencyKey).where(IdempotencyKey.created_at < utcnow() - timedelta(hours=hours)))
        return res.rowcount or 0
