"""Apply one op through its service: permission, ``base_version``, payload schema, then the op type's
command (inside the caller's transaction). Used by push (one by one), the batch path (``prepare``) and
the resolution of a rejected op."""
from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import marshmallow as ma

from backend.errors import PermissionDenied, ValidationFailed
from backend.sync import ops
from backend.sync.envelope import fill_photos
from backend.sync.ops import OpContext, OpType


def prepare(user: Any, type_: str, type_version: int, payload: dict, base_version: int | None
            ) -> tuple[OpType, dict]:
    """The op type and its validated payload (permission, base_version, schema)."""
    t = ops.get(type_, type_version)
    if not user.can(t.permission):
        raise PermissionDenied(f"Missing permission {t.permission}.", zh=f"缺少权限 {t.permission}。",
                               errors={"permission": t.permission})
    if t.requires_base_version and base_version is None:
        raise ValidationFailed("This operation needs base_version (the document version the device saw).",
                               errors={"base_version": ["Missing data for required field."]})
    try:
        return t, t.loader().load(payload)
    except ma.ValidationError as exc:  # a 422 wherever the op runs (push records it; resolve answers it)
        raise ValidationFailed("The operation's payload is not valid.", zh="操作内容无效。",
                               errors=exc.messages) from None


def as_json(result: dict) -> dict:
    """A result as it is stored and answered (JSON: decimals and datetimes as strings)."""
    out: dict = json.loads(json.dumps(result, default=str))
    return out


def run_op(user: Any, op_id: str, type_: str, type_version: int, payload: dict, *, base_version: int | None = None,
           client_time: datetime | None = None, device_id: str | None = None, seq: int | None = None,
           decoded: dict[str, str] | None = None) -> dict:
    """Validate and apply one op through its service (inside the caller's transaction). Raises on refusal."""
    t, data = prepare(user, type_, type_version, payload, base_version)
    if decoded:
        data = fill_photos(data, decoded, t.photo_target)
    ctx = OpContext(op_id=op_id, user=user, device_id=device_id, seq=seq, base_version=base_version,
                    client_time=client_time, decoded=decoded or {})
    result = t.command(ctx, data) or {}
    if decoded:
        result = {**result, "decoded": decoded}
    return as_json(result)
