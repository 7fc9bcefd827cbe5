"""What a device sends: an op envelope (``Op``) with its photos (``Photo``), and the payload hash that
decides whether a resent op is the same op."""
from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask import current_app, has_app_context

from backend.errors import DomainError, PayloadTooLarge
from backend.uploads import CleanImage, clean_image

DEFAULT_MAX_OPS = 500


@dataclass
class Photo:
    name: str
    data: bytes
    content_type: str = "application/octet-stream"  # as declared by the client: never trusted
    _kept: Any = field(default=False, repr=False)

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()

    def kept(self) -> CleanImage | None:
        """What a rejected op keeps of this photo: a re-encoded PNG/JPEG/WebP (``uploads.CleanImage``),
        or None when the bytes are not such an image (SVG, HTML, too many pixels …: never stored)."""
        if self._kept is False:
            try:
                self._kept = clean_image(self.data, field="photo")
            except DomainError:
                self._kept = None
        kept: CleanImage | None = self._kept
        return kept


@dataclass
class Op:
    op_id: str
    seq: int
    type: str
    payload: dict
    type_version: int = 1
    client_time: datetime | None = None
    base_version: int | None = None
    photos: dict[str, Photo] = field(default_factory=dict)

    @property
    def hash(self) -> str:
        body = {"type": self.type, "v": self.type_version, "payload": self.payload, "base": self.base_version,
                "photos": {n: p.sha256 for n, p in sorted(self.photos.items())}}
        return hashlib.sha256(json.dumps(body, sort_keys=True, separators=(",", ":"), default=str)
                              .encode()).hexdigest()


def normalise_op_id(value: Any) -> str:
    return str(uuid.UUID(str(value)))


def max_ops() -> int:
    return int(current_app.config.get("SYNC_MAX_BATCH_OPS", DEFAULT_MAX_OPS)) if has_app_context() \
        else DEFAULT_MAX_OPS


def check_batch_size(sent: int) -> None:
    """413 ``batch_too_large`` beyond ``SYNC_MAX_BATCH_OPS`` (checked before the batch is even loaded)."""
    if sent > max_ops():
        raise PayloadTooLarge(f"At most {max_ops()} operations per push.", zh=f"每次推送最多 {max_ops()} 个操作。",
                              code="batch_too_large", errors={"ops": {"max": max_ops(), "sent": sent}})


def photo_refs(payload: Any) -> list[str]:
    """Names of the photos an op payload refers to (``"photo": "<part name>"`` anywhere in it)."""
    out: list[str] = []
    if isinstance(payload, dict):
        if isinstance(payload.get("photo"), str):
            out.append(payload["photo"])
        for v in payload.values():
            if isinstance(v, (dict, list)):
                out.extend(photo_refs(v))
    elif isinstance(payload, list):
        for v in payload:
            out.extend(photo_refs(v))
    return out


def needs_decode(op: Op) -> bool:
    return bool(op.photos or photo_refs(op.payload))


def fill_photos(payload: Any, decoded: dict[str, str], target: str) -> Any:
    """Copy of payload where every ``photo`` reference gains its decoded code in ``target``."""
    if isinstance(payload, dict):
        out = {k: fill_photos(v, decoded, target) for k, v in payload.items()}
        ref = payload.get("photo")
        if isinstance(ref, str) and ref in decoded and not out.get(target):
            out[target] = decoded[ref]
        out.pop("photo", None)
        return out
    if isinstance(payload, list):
        return [fill_photos(v, decoded, target) for v in payload]
    return payload
