"""Op records (``sync_ops`` rows): what is stored of every processed op, and the answers built from them."""
from __future__ import annotations

from typing import Any

import marshmallow as ma
from sqlalchemy import select

from backend.errors import DomainError
from backend.extensions import db
from backend.i18n import pick
from backend.models.base import utcnow
from backend.models.sync import SyncOp
from backend.sync.envelope import Op


def outcome(rec: SyncOp) -> dict[str, Any]:
    if rec.error_code:
        return {"code": rec.error_code, "message": rec.error_message, "errors": rec.error_details or {}}
    return {"result": rec.result}


def duplicate(rec: SyncOp, op: Op) -> dict[str, Any]:
    # the first outcome: applied/rejected (a rejected op may since have been resolved or dismissed)
    first = "rejected" if rec.error_code else "applied"
    return {"op_id": op.op_id, "seq": op.seq, "status": "duplicate", "original_status": first,
            "record_status": rec.status, **outcome(rec)}


def error_body(exc: Exception) -> dict[str, Any]:
    if isinstance(exc, DomainError):
        # in the pusher's language (Accept-Language; English without one), as the API's errors
        return {"code": exc.code, "message": pick(exc.message, exc.message_zh), "errors": exc.errors}
    if isinstance(exc, ma.ValidationError):
        return {"code": "validation_error", "message": pick("The operation's payload is not valid.", "操作内容无效。"),
                "errors": exc.messages}
    return {"code": "internal_error", "message": "Internal error.", "errors": {}}


def by_key(key: str) -> SyncOp | None:
    return db.session.scalar(select(SyncOp).where(SyncOp.dedupe_key == key))


def record_values(user_id: int, device_id: str, op: Op, key: str, status: str, result: dict | None = None,
                  error: dict | None = None) -> dict[str, Any]:
    """The columns of an op record (the one-by-one path adds a ``SyncOp``, the batch path queues a row)."""
    return {"dedupe_key": key, "op_id": op.op_id, "device_id": device_id, "user_id": user_id, "seq": op.seq,
            "type": op.type[:40], "type_version": op.type_version, "payload": op.payload, "payload_hash": op.hash,
            "base_version": op.base_version, "client_time": op.client_time, "synced_at": utcnow(),
            "status": status, "result": result, "has_photo": bool(op.photos) and error is not None,
            "error_code": error["code"] if error else None, "error_message": error["message"] if error else None,
            "error_details": error["errors"] if error else None}
