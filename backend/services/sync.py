"""Offline sync push: apply a device's queued operations exactly once, in order, and keep every outcome.

``push(user, device_id, ops)`` processes the ops in the given order, in chunks: each chunk is one
transaction that (1) locks the device row, then for every op, under its own SAVEPOINT, (2) looks the op_id
up, (3) checks ``seq`` against the device's ``last_seq``, (4) applies the op through the same service as
the online API, and (5) writes the op record and the new ``last_seq`` — so an op's effect, its record and
the sequence commit together or not at all. If the service refuses the op (any ``DomainError`` or payload
validation error) its savepoint is rolled back and a second one records the rejection, which also advances
``last_seq``: one bad op never blocks the queue. A chunk ends after ``SYNC_CHUNK_OPS`` ops or
``SYNC_CHUNK_SECONDS``; an op with photos runs alone, its photos decoded outside any transaction. Anything
else (database down, a crash) fails the request; the chunks committed so far stay, the current one is rolled
back whole, and a resend of the batch answers the committed ops as ``duplicate`` and applies the rest.

Outcomes per op: ``applied`` (result), ``duplicate`` (the stored outcome, nothing applied again),
``rejected`` (code, message, errors). A ``seq`` beyond ``last_seq + 1`` stops the batch with
``sequence_gap`` (not recorded: the device must send the missing ops first).
"""
from __future__ import annotations

import hashlib
import json
import logging
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import marshmallow as ma
from flask import current_app, has_app_context
from sqlalchemy import delete, select, text, update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm.exc import StaleDataError

from backend.context import current_actor, current_request_id
from backend.errors import (
    Conflict,
    DomainError,
    NotFound,
    PermissionDenied,
    StaleVersion,
    ValidationFailed,
)
from backend.extensions import db
from backend.models.audit import AuditLog
from backend.models.base import utcnow
from backend.models.sync import SyncDevice, SyncOp, SyncPhoto
from backend.services import (
    sync_changes,  # noqa: F401  (installs the pull change-log listeners)
    sync_ops,
)
from backend.services.uow import command, transaction

log = logging.getLogger(__name__)

DEFAULT_MAX_OPS = 500
# Ops share one transaction (a savepoint each) up to this many ops or seconds: one commit, one device
# lock and one load of the user per chunk instead of per op; a short chunk keeps SQLite's write lock brief.
# (The batch path writes a whole 200-op push in ~0.1 s, so the op limit is set by the batch size.)
CHUNK_OPS = 250
CHUNK_SECONDS = 0.5
RETENTION_DAYS = 30


# ---------------------------------------------------------------- envelopes and hashing


@dataclass
class Photo:
    name: str
    data: bytes
    content_type: str = "application/octet-stream"  # as declared by the client: never trusted
    _kept: Any = field(default=False, repr=False)

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()

    def kept(self):
        """What a rejected op keeps of this photo: a re-encoded PNG/JPEG/WebP (``uploads.CleanImage``),
        or None when the bytes are not such an image (SVG, HTML, too many pixels …: never stored)."""
        if self._kept is False:
            from backend.uploads import clean_image

            try:
                self._kept = clean_image(self.data, field="photo")
            except DomainError:
                self._kept = None
        return self._kept


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


def normalise_op_id(value: str) -> str:
    return str(uuid.UUID(str(value)))


def max_ops() -> int:
    return int(current_app.config.get("SYNC_MAX_BATCH_OPS", DEFAULT_MAX_OPS)) if has_app_context() \
        else DEFAULT_MAX_OPS


def photo_refs(payload: Any) -> list[str]:
    """Names of the photos an op payload refers to (``"photo": "<part name>"`` anywhere in it)."""
    out = []
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


def _fill_photos(payload: Any, decoded: dict[str, str], target: str) -> Any:
    """Copy of payload where every ``photo`` reference gains its decoded code in ``target``."""
    if isinstance(payload, dict):
        out = {k: _fill_photos(v, decoded, target) for k, v in payload.items()}
        ref = payload.get("photo")
        if isinstance(ref, str) and ref in decoded and not out.get(target):
            out[target] = decoded[ref]
        out.pop("photo", None)
        return out
    if isinstance(payload, list):
        return [_fill_photos(v, decoded, target) for v in payload]
    return payload


def decode_photo(data: bytes) -> list[str]:
    """Distinct barcode texts found in a photo (``backend.scan``). Raises ImageRejected for non-images."""
    from backend.scan import decode
    from backend.uploads import max_pixels

    texts = []
    for r in decode(data, max_pixels=max_pixels()):
        if r.text not in texts:
            texts.append(r.text)
    return texts


class UnreadableBarcode(DomainError):
    status, code, default_message = 422, "unreadable_barcode", "No barcode could be read from the photo."
    default_message_zh = "照片中未能识别出条码。"


def _decode_all(op: Op) -> tuple[dict[str, str], DomainError | None]:
    decoded: dict[str, str] = {}
    for name in photo_refs(op.payload):
        photo = op.photos.get(name)
        if photo is None:
            return decoded, ValidationFailed(f"Photo part {name!r} is missing from the request.",
                                             zh=f"请求中缺少照片部分 {name!r}。",
                                             code="missing_photo", errors={"photo": name})
        from backend.scan import TooManyPixels
        from backend.uploads import UnsupportedImage, image_error, sniff_stored_format

        if sniff_stored_format(photo.data) is None:  # the bytes decide, not the declared type
            return decoded, UnsupportedImage(errors={"photo": name})
        try:
            texts = decode_photo(photo.data)
        except TooManyPixels as exc:
            return decoded, image_error(exc, "photo")
        except Exception as exc:  # ImageRejected (corrupt, too many bytes) or a decoder failure
            return decoded, UnreadableBarcode(f"The photo {name!r} cannot be read: {exc}",
                                              zh=f"无法读取照片 {name!r}：{exc}",
                                              errors={"photo": name, "reason": getattr(exc, "code", "decode_failed")})
        if not texts:
            return decoded, UnreadableBarcode(f"No barcode found in photo {name!r}.", zh=f"照片 {name!r} 中未找到条码。",
                                              errors={"photo": name})
        if len(texts) > 1:
            return decoded, UnreadableBarcode(f"Several different barcodes in photo {name!r}.",
                                              zh=f"照片 {name!r} 中有多个不同的条码。",
                                              code="ambiguous_barcode", errors={"photo": name, "found": texts})
        decoded[name] = texts[0]
    return decoded, None


# ---------------------------------------------------------------- devices


def _lock_device(device_id: str) -> SyncDevice | None:
    return db.session.scalars(select(SyncDevice).where(SyncDevice.id == device_id).with_for_update(of=SyncDevice)
                              .execution_options(populate_existing=True)).first()


def _own(device: SyncDevice, user) -> None:
    uid = user if isinstance(user, int) else user.id
    if device.user_id != uid:
        raise PermissionDenied("This device is registered to another user.", code="device_forbidden",
                               errors={"device_id": device.id})
    if not device.is_active:
        raise PermissionDenied("This device has been disabled.", code="device_disabled",
                               errors={"device_id": device.id})


@command
def register_device(user, device_id: str, name: str | None = None, platform: str | None = None
                    ) -> tuple[SyncDevice, bool]:
    """Register a device to ``user`` (idempotent for the same user; another user's device is refused)."""
    dev = _lock_device(device_id)
    if dev is not None:
        _own(dev, user)
        if name is not None:
            dev.name = name
        if platform is not None:
            dev.platform = platform
        return dev, False
    try:
        with db.session.begin_nested():  # two first pushes of a new device may race here
            dev = SyncDevice(id=device_id, user_id=user.id, name=name, platform=platform, last_seq=0)
            db.session.add(dev)
        return dev, True
    except IntegrityError:
        dev = _lock_device(device_id)
        _own(dev, user)
        return dev, False


@command
def set_device_active(user, device_id: str, active: bool) -> SyncDevice:
    dev = _lock_device(device_id)
    if dev is None:
        raise NotFound("Device not found.", errors={"device_id": device_id})
    if dev.user_id != user.id and not user.can("sync.manage"):
        raise NotFound("Device not found.", errors={"device_id": device_id})
    dev.is_active = active
    return dev


def list_devices(user) -> list[SyncDevice]:
    stmt = select(SyncDevice).order_by(SyncDevice.created_at)
    if not user.can("sync.manage"):
        stmt = stmt.where(SyncDevice.user_id == user.id)
    return list(db.session.scalars(stmt))


# ---------------------------------------------------------------- push


def _outcome(rec: SyncOp) -> dict:
    if rec.error_code:
        return {"code": rec.error_code, "message": rec.error_message, "errors": rec.error_details or {}}
    return {"result": rec.result}


def _duplicate(rec: SyncOp, op: Op) -> dict:
    # the first outcome: applied/rejected (a rejected op may since have been resolved or dismissed)
    first = "rejected" if rec.error_code else "applied"
    return {"op_id": op.op_id, "seq": op.seq, "status": "duplicate", "original_status": first,
            "record_status": rec.status, **_outcome(rec)}


def _error_body(exc: Exception) -> dict:
    if isinstance(exc, DomainError):
        return {"code": exc.code, "message": exc.message, "errors": exc.errors}
    if isinstance(exc, ma.ValidationError):
        return {"code": "validation_error", "message": "The operation's payload is not valid.",
                "errors": exc.messages}
    return {"code": "internal_error", "message": "Internal error.", "errors": {}}


def _by_key(key: str) -> SyncOp | None:
    return db.session.scalar(select(SyncOp).where(SyncOp.dedupe_key == key))


def _record_values(user_id: int, device_id: str, op: Op, key: str, status: str, result: dict | None = None,
                   error: dict | None = None) -> dict:
    return {"dedupe_key": key, "op_id": op.op_id, "device_id": device_id, "user_id": user_id, "seq": op.seq,
            "type": op.type[:40], "type_version": op.type_version, "payload": op.payload, "payload_hash": op.hash,
            "base_version": op.base_version, "client_time": op.client_time, "synced_at": utcnow(),
            "status": status, "result": result, "has_photo": bool(op.photos) and error is not None,
            "error_code": error["code"] if error else None, "error_message": error["message"] if error else None,
            "error_details": error["errors"] if error else None}


def _record(user_id: int, device: SyncDevice, op: Op, key: str, status: str, result: dict | None = None,
           error: dict | None = None) -> SyncOp:
    rec = SyncOp(**_record_values(user_id, device.id, op, key, status, result, error))
    kept = [(ph, ph.kept()) for ph in op.photos.values()] if error else []
    kept = [(ph, clean) for ph, clean in kept if clean is not None]
    rec.has_photo = bool(kept)
    db.session.add(rec)
    if kept:
        db.session.flush()
        for ph, clean in kept:  # only re-encoded rasters are kept (never the uploaded bytes)
            db.session.add(SyncPhoto(op_record_id=rec.id, name=ph.name[:100], content_type=clean.mimetype,
                                     size=len(clean.data), sha256=hashlib.sha256(clean.data).hexdigest(),
                                     data=clean.data, decoded=(error.get("decoded") or {}).get(ph.name)))
    return rec


def _prepare(user, type_: str, type_version: int, payload: dict, base_version: int | None):
    """The op type and its validated payload (permission, base_version, schema)."""
    t = sync_ops.get(type_, type_version)
    if not user.can(t.permission):
        raise PermissionDenied(f"Missing permission {t.permission}.", zh=f"缺少权限 {t.permission}。", errors={"permission": t.permission})
    if t.requires_base_version and base_version is None:
        raise ValidationFailed("This operation needs base_version (the document version the device saw).",
                               errors={"base_version": ["Missing data for required field."]})
    try:
        return t, t.loader().load(payload)
    except ma.ValidationError as exc:  # a 422 wherever the op runs (push records it; resolve answers it)
        raise ValidationFailed("The operation's payload is not valid.", zh="操作内容无效。",
                               errors=exc.messages) from None


def run_op(user, op_id: str, type_: str, type_version: int, payload: dict, *, base_version: int | None = None,
           client_time=None, device_id: str | None = None, seq: int | None = None,
           decoded: dict[str, str] | None = None) -> dict:
    """Validate and apply one op through its service (inside the caller's transaction). Raises on refusal."""
    t, data = _prepare(user, type_, type_version, payload, base_version)
    if decoded:
        data = _fill_photos(data, decoded, t.photo_target)
    ctx = sync_ops.OpContext(op_id=op_id, user=user, device_id=device_id, seq=seq, base_version=base_version,
                             client_time=client_time, decoded=decoded or {})
    result = t.handler(ctx, data) or {}
    if decoded:
        result = {**result, "decoded": decoded}
    return json.loads(json.dumps(result, default=str))


def _step(user, user_id: int, dev: SyncDevice, op: Op, decoded: dict[str, str], error: dict | None,
          known: dict[str, SyncOp] | None = None) -> dict:
    """One pass over an op under the device lock: duplicate / gap / reused checks, then apply or record
    ``error``. ``known``: the records of this chunk's op_ids, read up front (None: look each one up)."""
    device_id = dev.id
    expected = dev.last_seq + 1
    key = op.op_id
    rec = known.get(key) if known is not None else _by_key(key)
    reused = False
    if rec is not None:
        if rec.payload_hash == op.hash and rec.device_id == device_id:
            return _duplicate(rec, op)
        key = f"{op.op_id}:{op.hash[:40]}"
        rec = _by_key(key)
        if rec is not None:
            return _duplicate(rec, op)
        reused = True
    if op.seq > expected:
        return {"op_id": op.op_id, "seq": op.seq, "status": "rejected", "code": "sequence_gap",
                "message": f"Expected seq {expected}; send the missing operations first.",
                "errors": {"expected_seq": expected}, "expected_seq": expected}
    advance = op.seq == expected
    if reused:
        error = {"code": "op_id_reused", "message": "This op_id was already used for a different operation.",
                 "errors": {"op_id": op.op_id}}
    elif not advance:
        error = {"code": "sequence_reused",
                 "message": f"seq {op.seq} was already used by another operation of this device.",
                 "errors": {"expected_seq": expected}}
    if error is None:
        result = run_op(user, op.op_id, op.type, op.type_version, op.payload, base_version=op.base_version,
                        client_time=op.client_time, device_id=device_id, seq=op.seq, decoded=decoded)
        _record(user_id, dev, op, key, "applied", result=result)
        out = {"op_id": op.op_id, "seq": op.seq, "status": "applied", "result": result}
    else:
        _record(user_id, dev, op, key, "rejected", error=error)
        out = {"op_id": op.op_id, "seq": op.seq, "status": "rejected", "code": error["code"],
               "message": error["message"], "errors": error["errors"]}
    if advance:
        dev.last_seq = op.seq
    return out


def _async_commit() -> None:
    """PostgreSQL: this op's COMMIT does not wait for the WAL flush; ``push`` ends with one durable commit
    before answering, which flushes the WAL of every op before it (the WAL is sequential). A crash before
    that loses a suffix of the batch's ops *with* their records — the device got no answer and resends the
    batch, so every op still ends up applied exactly once. One fsync per batch instead of one per op."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text("SET LOCAL synchronous_commit TO OFF"))


def _durable_mark(device_id: str) -> None:
    """A synchronous commit that makes the whole batch durable before the answer is sent."""
    with transaction():
        db.session.execute(update(SyncDevice).where(SyncDevice.id == device_id).values(last_push_at=utcnow()))


def process_op(user, device_id: str, op: Op, user_id: int | None = None) -> dict:
    """Apply one op exactly once (its own transaction); see the module docstring."""
    user_id = user_id if user_id is not None else user.id
    decoded: dict[str, str] = {}
    pre_error = None
    if op.photos or photo_refs(op.payload):
        rec = _by_key(op.op_id)  # cheap replay check before the (slow) decode
        if rec is not None and rec.payload_hash == op.hash and rec.device_id == device_id:
            return _duplicate(rec, op)
        db.session.rollback()  # end the read transaction before the write one
        from backend.uploads import decode_slot

        with decode_slot():  # bounded per process, like /scan/decode (503 + Retry-After when busy)
            decoded, exc = _decode_all(op)
            if exc is not None:
                pre_error = {**_error_body(exc), "decoded": decoded}
                _prepare_kept(op)
    if pre_error is None:
        try:
            with transaction():
                return _step(user, user_id, _locked_device(device_id, user_id), op, decoded, None)
        except (DomainError, ma.ValidationError) as exc:
            if _is_device_refusal(exc):
                raise
            pre_error = _error_body(exc)
        if op.photos:
            from backend.uploads import decode_slot

            with decode_slot():
                _prepare_kept(op)
    with transaction():
        err = {k: v for k, v in pre_error.items() if k != "decoded"}
        out = _step(user, user_id, _locked_device(device_id, user_id), op, decoded, err)
        if out["status"] == "rejected" and out.get("code") == err["code"] \
                and any(ph.kept() is not None for ph in op.photos.values()):
            out["photo_kept"] = True
        return out


def _prepare_kept(op: Op) -> None:
    """Re-encode the photos a rejected op keeps now, outside any transaction (not under the device lock)."""
    for ph in op.photos.values():
        ph.kept()


def _locked_device(device_id: str, user_id: int) -> SyncDevice:
    _async_commit()
    dev = _lock_device(device_id)
    _own(dev, user_id)
    return dev


def _is_device_refusal(exc: Exception) -> bool:
    return isinstance(exc, PermissionDenied) and exc.code in ("device_forbidden", "device_disabled")


def _needs_decode(op: Op) -> bool:
    return bool(op.photos or photo_refs(op.payload))


def _apply_in_savepoint(user, user_id: int, dev: SyncDevice, op: Op, known: dict | None = None) -> dict:
    """One op inside the chunk's transaction: its effect and record under a SAVEPOINT, so a refused op
    rolls back alone and its rejection is recorded in a second savepoint."""
    try:
        with db.session.begin_nested():
            return _step(user, user_id, dev, op, {}, None, known)
    except StaleDataError:
        err = _error_body(StaleVersion())
    except (DomainError, ma.ValidationError) as exc:
        if _is_device_refusal(exc):
            raise
        err = _error_body(exc)
    with db.session.begin_nested():
        return _step(user, user_id, dev, op, {}, err, known)


def _chunk_limits() -> tuple[int, float]:
    cfg = current_app.config if has_app_context() else {}
    return int(cfg.get("SYNC_CHUNK_OPS", CHUNK_OPS)), float(cfg.get("SYNC_CHUNK_SECONDS", CHUNK_SECONDS))


def _batch_enabled() -> bool:
    return bool(current_app.config.get("SYNC_BATCH_PATH", True)) if has_app_context() else True


def _plannable_run(ops: list[Op], i: int, limit: int) -> int:
    """How many ops from ``i`` on can take the batch path (a planner, no photos)."""
    n = 0
    while i + n < len(ops) and n < limit and not _needs_decode(ops[i + n]) \
            and sync_ops.plannable(ops[i + n].type, ops[i + n].type_version):
        n += 1
    return n


def _apply_batch(user, user_id: int, dev: SyncDevice, ops: list[Op], known: dict) -> list[dict] | None:
    """Apply a run of new, consecutive ops on the batch path (``backend.services.batch``): every op is
    validated and planned in order against the batch's state, a refused op is recorded as rejected
    and leaves nothing behind, then everything — documents, moves, levels, audit, op records — is
    written together under one SAVEPOINT. When a planner cannot decide an op in memory (``Fallback``)
    the run is cut before it: the ops before are written, the rest is left to the caller (the results
    returned are then fewer than ``ops``). Returns None (nothing written) when the whole run must go one
    by one: a replayed or reused op_id, a seq that is not next, a first op that falls back, or a
    constraint the database refuses at the write."""
    from backend.services.batch import Batch, Fallback

    expected = dev.last_seq + 1
    if any(op.seq != expected + k for k, op in enumerate(ops)):
        return None
    if any(op.op_id in known for op in ops):
        return None
    try:
        with db.session.begin_nested():
            batch = Batch(expected_rows=len(ops))
            prepared = []
            needs: dict[str, Any] = {}
            for op in ops:
                try:
                    t, data = _prepare(user, op.type, op.type_version, op.payload, op.base_version)
                except (DomainError, ma.ValidationError) as exc:
                    prepared.append((op, None, None, exc))
                    continue
                prepared.append((op, t, data, None))
                for k, v in t.needs(data, op.op_id).items():
                    if isinstance(v, dict):  # op_docs / locked: {model: ids}
                        for model, ids in v.items():
                            needs.setdefault(k, {}).setdefault(model, []).extend(ids)
                    else:
                        needs.setdefault(k, []).extend(v)
            batch.load(**needs)
            out = []
            for op, t, data, exc in prepared:
                if exc is None:
                    mark = batch.mark()
                    ctx = sync_ops.OpContext(op_id=op.op_id, user=user, device_id=dev.id, seq=op.seq,
                                             base_version=op.base_version, client_time=op.client_time)
                    try:
                        result = t.plan(batch, ctx, data)
                    except (DomainError, ma.ValidationError) as e:
                        batch.rollback(mark)
                        exc = e
                    except Fallback:  # this op goes one by one: write the run up to it
                        batch.rollback(mark)
                        break
                if exc is None:
                    result = json.loads(json.dumps(result, default=str))  # stored and answered as JSON
                    batch.add(SyncOp, _record_values(user_id, dev.id, op, op.op_id, "applied", result=result))
                    out.append({"op_id": op.op_id, "seq": op.seq, "status": "applied", "result": result})
                else:
                    err = _error_body(exc)
                    batch.add(SyncOp, _record_values(user_id, dev.id, op, op.op_id, "rejected", error=err))
                    out.append({"op_id": op.op_id, "seq": op.seq, "status": "rejected", **err})
            if not out:
                return None
            batch.flush()
    except (Fallback, IntegrityError):
        return None
    dev.last_seq = ops[len(out) - 1].seq
    return out


def _process_chunk(user, user_id: int, device_id: str, ops: list[Op], start: int) -> tuple[list[dict], bool]:
    """Apply ops[start:] in one transaction until the chunk is full (ops or time), a photo op (decoded
    outside any transaction) or a sequence gap. Runs of plannable ops take the batch path; the rest
    (and a run the batch path declines) go one by one, each under its own savepoint. Returns
    (results, stopped_at_gap)."""
    max_ops, max_s = _chunk_limits()
    results: list[dict] = []
    batch_ok = _batch_enabled()
    with transaction():
        dev = _locked_device(device_id, user_id)
        t0 = time.monotonic()
        i = start
        one_by_one_until = i
        known = {r.dedupe_key: r for r in db.session.scalars(
            select(SyncOp).where(SyncOp.dedupe_key.in_([op.op_id for op in ops[i:i + max_ops]])))}
        while i < len(ops) and len(results) < max_ops and not _needs_decode(ops[i]) \
                and (not results or time.monotonic() - t0 < max_s):
            if batch_ok and i >= one_by_one_until:
                n = _plannable_run(ops, i, max_ops - len(results))
                if n >= 2:
                    out = _apply_batch(user, user_id, dev, ops[i:i + n], known)
                    if out is not None:
                        results.extend(out)
                        i += len(out)
                        one_by_one_until = i + 1  # the op that stopped the run (if any) goes one by one
                        continue
                    one_by_one_until = i + n
            out = _apply_in_savepoint(user, user_id, dev, ops[i], known)
            results.append(out)
            i += 1
            if out["status"] == "rejected" and out.get("code") == "sequence_gap":
                return results, True
    return results, False


CHUNK_ATTEMPTS = 3


def _retryable(exc: OperationalError) -> bool:
    """PostgreSQL chose this transaction as a deadlock victim (40P01) or refused it for serialization
    (40001): nothing of the chunk was kept, so running it again is safe."""
    return getattr(getattr(exc, "orig", None), "sqlstate", None) in ("40P01", "40001")


def _chunk_with_retry(user, user_id: int, device_id: str, ops: list[Op], start: int) -> tuple[list[dict], bool]:
    """A chunk whose transaction lost a deadlock (two phones' chunks locking the same stock levels in
    different orders) is rolled back whole; it runs again instead of failing the push with a 500."""
    for attempt in range(1, CHUNK_ATTEMPTS + 1):
        try:
            return _process_chunk(user, user_id, device_id, ops, start)
        except OperationalError as exc:
            if attempt == CHUNK_ATTEMPTS or not _retryable(exc):
                raise
            log.warning("sync push chunk from seq %s: %s; retry %d", ops[start].seq,
                        type(getattr(exc, "orig", exc)).__name__, attempt)
            time.sleep(0.05 * attempt)
    raise AssertionError("unreachable")


def push(user, device_id: str, ops: list[Op]) -> dict:
    """Process a batch in order; stop at a sequence gap. Returns ``{device_id, last_seq, results}``."""
    if len(ops) > max_ops():
        from backend.errors import PayloadTooLarge

        raise PayloadTooLarge(f"At most {max_ops()} operations per push.", zh=f"每次推送最多 {max_ops()} 个操作。", code="batch_too_large",
                              errors={"ops": {"max": max_ops(), "sent": len(ops)}})
    seqs = [o.seq for o in ops]
    if any(b <= a for a, b in zip(seqs, seqs[1:])):
        raise ValidationFailed("ops must be in increasing seq order.", code="malformed_batch",
                               errors={"ops": ["seq must increase within a batch."]})
    ids = [o.op_id for o in ops]
    if len(set(ids)) != len(ids):
        raise ValidationFailed("The same op_id appears twice in the batch.", code="malformed_batch",
                               errors={"ops": ["Duplicate op_id in batch."]})
    dev = db.session.get(SyncDevice, device_id)
    if dev is None:
        dev, _ = register_device(user, device_id)
    else:
        _own(dev, user)
    results: list[dict] = []
    stopped = None
    user_id = user.id
    while len(results) < len(ops) and stopped is None:
        op = ops[len(results)]
        if _needs_decode(op):
            out = process_op(user, device_id, op, user_id)
            results.append(out)
            gap = out["status"] == "rejected" and out.get("code") == "sequence_gap"
        else:
            chunk, gap = _chunk_with_retry(user, user_id, device_id, ops, len(results))
            results.extend(chunk)
        if gap:
            stopped = results[-1]
    _durable_mark(device_id)
    last = db.session.scalar(select(SyncDevice.last_seq).where(SyncDevice.id == device_id))
    body = {"device_id": device_id, "last_seq": int(last or 0), "results": results}
    if stopped:
        body["stopped_at"] = {"op_id": stopped["op_id"], "seq": stopped["seq"], "expected_seq": stopped["expected_seq"]}
    return body


# ---------------------------------------------------------------- rejected ops: list, resolve, dismiss


def _visible_op(user, rec_id: int, lock: bool = False) -> SyncOp:
    stmt = select(SyncOp).where(SyncOp.id == rec_id)
    if lock:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    rec = db.session.scalars(stmt).first()
    if rec is None or (rec.user_id != user.id and not user.can("sync.manage")):
        raise NotFound("Operation not found.", errors={"id": rec_id})
    return rec


def get_op(user, rec_id: int) -> SyncOp:
    return _visible_op(user, rec_id)


def list_ops(user, args: dict) -> dict:
    from backend.services.crud import paginate

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
    return paginate(stmt, args.get("page", 1), args.get("per_page", 50))


def photos_of(user, rec_id: int) -> list[SyncPhoto]:
    rec = _visible_op(user, rec_id)
    return list(db.session.scalars(select(SyncPhoto).where(SyncPhoto.op_record_id == rec.id).order_by(SyncPhoto.id)))


def photo(user, rec_id: int, photo_id: int) -> SyncPhoto:
    rec = _visible_op(user, rec_id)
    ph = db.session.get(SyncPhoto, photo_id)
    if ph is None or ph.op_record_id != rec.id:
        raise NotFound("Photo not found.")
    return ph


def _audit(rec: SyncOp, action: str, before: dict, after: dict, **details) -> None:
    actor = current_actor()
    db.session.add(AuditLog(user_id=actor.user_id if actor else None, username=actor.username if actor else None,
                            source=actor.source if actor else "system", entity="sync_ops", entity_id=str(rec.id),
                            action=action, changes={"before": before, "after": after, "details": details},
                            request_id=current_request_id()))


def _open(rec: SyncOp) -> None:
    if rec.status != "rejected":
        raise Conflict(f"The operation is {rec.status}, not rejected.", zh=f"该操作状态为 {rec.status}，不是被拒绝状态。", code="invalid_transition",
                       errors={"status": rec.status})


@command
def dismiss_op(user, rec_id: int, reason: str) -> SyncOp:
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
def resolve_op(user, rec_id: int, data: dict) -> tuple[SyncOp, SyncOp]:
    """Resolve a rejected op with a corrected op (new op_id, linked to it), applied now as ``user``.

    The correction, its record and the closing of the rejected op commit together; if the correction is
    refused nothing changes and the error is answered (4xx).
    """
    rec = _visible_op(user, rec_id, lock=True)
    _open(rec)
    new_id = normalise_op_id(data.get("op_id") or uuid.uuid4())
    if _by_key(new_id) is not None:
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
    return res.rowcount or 0
