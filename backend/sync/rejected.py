"""Op records and the rejected-ops inbox: list, read (with kept photos), resolve with a corrected op,
dismiss; and the pruning of old records (``flask sync-prune``)."""
from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, select

from backend.context import current_actor, current_request_id
from backend.errors import Conflict, NotFound
from backend.extensions import db
from backend.models.audit import AuditLog
from backend.models.base import utcnow
from backend.models.sync import SyncOp, SyncPhoto
from backend.services.crud import paginate
from backend.services.uow import command
from backend.sync.apply import run_op
from backend.sync.envelope import Op, normalise_op_id
from backend.sync.records import by_key

RETENTION_DAYS = 30


def _visible_op(user: Any, rec_id: int, lock: bool = False) -> SyncOp:
    stmt = select(SyncOp).where(SyncOp.id == rec_id)
    if lock:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    rec = db.session.scalars(stmt).first()
    if rec is None or (rec.user_id != user.id and not user.can("sync.manage")):
        raise NotFound("Operation not found.", errors={"id": rec_id})
    return rec


def get_op(user: Any, rec_id: int) -> SyncOp:
    return _visible_op(user, rec_id)


def list_ops(user: Any, args: dict) -> dict:
    stmt = select(SyncOp)
    if not user.can("sync.manage"):
        stmt = stmt.where(SyncOp.user_id == user.id)
    elif args.get("user_id"):
        stmt = stmt.where(SyncOp.user_id == args["user_id"])
    for f in ("status", "device_id", "type", "op_id"):
        if args.get(f):
            stmt = stmt.where(getattr(SyncOp, f) == args[f])
    if args.get("since"):
        stmt = stmt.where(SyncOp.synced_at >= args["since"])
    stmt = stmt.order_by(SyncOp.synced_at.desc(), SyncOp.id.desc())
    page: dict = paginate(stmt, args.get("page", 1), args.get("per_page", 50))
    return page


def photos_of(user: Any, rec_id: int) -> list[SyncPhoto]:
    rec = _visible_op(user, rec_id)
    return list(db.session.scalars(select(SyncPhoto).where(SyncPhoto.op_record_id == rec.id).order_by(SyncPhoto.id)))


def photo(user: Any, rec_id: int, photo_id: int) -> SyncPhoto:
    rec = _visible_op(user, rec_id)
    ph = db.session.get(SyncPhoto, photo_id)
    if ph is None or ph.op_record_id != rec.id:
        raise NotFound("Photo not found.")
    return ph


def _audit(rec: SyncOp, action: str, before: dict, after: dict, **details: Any) -> None:
    actor = current_actor()
    db.session.add(AuditLog(user_id=actor.user_id if actor else None, username=actor.username if actor else None,
                            source=actor.source if actor else "system", entity="sync_ops", entity_id=str(rec.id),
                            action=action, changes={"before": before, "after": after, "details": details},
                            request_id=current_request_id()))


def _open(rec: SyncOp) -> None:
    if rec.status != "rejected":
        raise Conflict(f"The operation is {rec.status}, not rejected.", zh=f"该操作状态为 {rec.status}，不是被拒绝状态。",
                       code="invalid_transition", errors={"status": rec.status})


@command
def dismiss_op(user: Any, rec_id: int, reason: str) -> SyncOp:
    """Close a rejected op without applying it (the reason is kept and audited)."""
    rec = _visible_op(user, rec_id, lock=True)
    _open(rec)
    rec.status, rec.dismiss_reason = "dismissed", reason
    rec.closed_at, rec.closed_by_user_id = utcnow(), user.id
    _audit(rec, "dismiss", {"status": "rejected"}, {"status": "dismissed"}, reason=reason, op_id=rec.op_id,
           type=rec.type, error_code=rec.error_code)
    db.session.flush()
    return rec


@command
def resolve_op(user: Any, rec_id: int, data: dict) -> tuple[SyncOp, SyncOp]:
    """Resolve a rejected op with a corrected op (new op_id, linked to it), applied now as ``user``.

    The correction, its record and the closing of the rejected op commit together; if the correction is
    refused nothing changes and the error is answered (4xx).
    """
    rec = _visible_op(user, rec_id, lock=True)
    _open(rec)
    new_id = normalise_op_id(data.get("op_id") or uuid.uuid4())
    if by_key(new_id) is not None:
        raise Conflict("This op_id was already used.", code="op_id_reused", errors={"op_id": new_id})
    type_ = data.get("type") or rec.type
    version = data.get("type_version") or rec.type_version
    payload = data["payload"]
    base_version = data.get("base_version")
    result = run_op(user, new_id, type_, version, payload, base_version=base_version)
    op = Op(op_id=new_id, seq=0, type=type_, payload=payload, type_version=version, base_version=base_version)
    new = SyncOp(dedupe_key=new_id, op_id=new_id, device_id=None, user_id=user.id, seq=None, type=type_,
                 type_version=version, payload=payload, payload_hash=op.hash, base_version=base_version,
                 client_time=None, synced_at=utcnow(), status="applied", result=result, resolves_id=rec.id)
    db.session.add(new)
    db.session.flush()
    rec.status, rec.resolved_by_id = "resolved", new.id
    rec.closed_at, rec.closed_by_user_id = utcnow(), user.id
    _audit(rec, "resolve", {"status": "rejected"}, {"status": "resolved"}, corrected_op_id=new_id,
           corrected_record_id=new.id, op_id=rec.op_id, type=rec.type, error_code=rec.error_code)
    db.session.flush()
    return rec, new


@command
def prune(days: int = RETENTION_DAYS) -> int:
    """Delete op records older than ``days`` (at least 30) that no one needs any more (applied, resolved,
    dismissed). Rejected ops are kept until a person resolves them."""
    days = max(int(days), RETENTION_DAYS)
    cutoff = utcnow() - timedelta(days=days)
    res = db.session.execute(delete(SyncOp).where(SyncOp.synced_at < cutoff, SyncOp.status != "rejected")
                             .execution_options(synchronize_session=False))
    return int(getattr(res, "rowcount", 0) or 0)
