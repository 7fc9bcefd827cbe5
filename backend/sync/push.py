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

Runs of consecutive ops whose type has a planner take the batch path (``backend.sync.batch_path``).
"""
from __future__ import annotations

import hashlib
import itertools
import logging
import time
from typing import Any

import marshmallow as ma
from flask import current_app, has_app_context
from sqlalchemy import select, text, update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm.exc import StaleDataError

from backend.errors import DomainError, StaleVersion, ValidationFailed
from backend.extensions import db
from backend.models.base import utcnow
from backend.models.sync import SyncDevice, SyncOp, SyncPhoto
from backend.services.uow import transaction
from backend.sync import batch_path, ops
from backend.sync.apply import run_op
from backend.sync.batch import Fallback
from backend.sync.devices import is_device_refusal, lock_device, own, register_device
from backend.sync.envelope import Op, check_batch_size, needs_decode
from backend.sync.photos import decode_all
from backend.sync.records import by_key, duplicate, error_body, record_values
from backend.uploads import decode_slot

log = logging.getLogger(__name__)

# Ops share one transaction (a savepoint each) up to this many ops or seconds: one commit, one device
# lock and one load of the user per chunk instead of per op; a short chunk keeps SQLite's write lock brief.
# (The batch path writes a whole 200-op push in ~0.1 s, so the op limit is set by the batch size.)
CHUNK_OPS = 250
CHUNK_SECONDS = 0.5
CHUNK_ATTEMPTS = 3

Result = dict[str, Any]


def _record(user_id: int, device: SyncDevice, op: Op, key: str, status: str, result: dict | None = None,
            error: dict | None = None) -> SyncOp:
    rec = SyncOp(**record_values(user_id, device.id, op, key, status, result, error))
    kept = [(ph, ph.kept()) for ph in op.photos.values()] if error else []
    kept = [(ph, clean) for ph, clean in kept if clean is not None]
    rec.has_photo = bool(kept)
    db.session.add(rec)
    if kept:
        assert error is not None
        db.session.flush()
        for ph, clean in kept:  # only re-encoded rasters are kept (never the uploaded bytes)
            assert clean is not None
            db.session.add(SyncPhoto(op_record_id=rec.id, name=ph.name[:100], content_type=clean.mimetype,
                                     size=len(clean.data), sha256=hashlib.sha256(clean.data).hexdigest(),
                                     data=clean.data, decoded=(error.get("decoded") or {}).get(ph.name)))
    return rec


def _gap(op: Op, expected: int) -> Result:
    return {"op_id": op.op_id, "seq": op.seq, "status": "rejected", "code": "sequence_gap",
            "message": f"Expected seq {expected}; send the missing operations first.",
            "errors": {"expected_seq": expected}, "expected_seq": expected}


def _refusal(op: Op, reused: bool, expected: int) -> dict | None:
    """Why an op that is not a duplicate is recorded as rejected before it runs (reused op_id or seq)."""
    if reused:
        return {"code": "op_id_reused", "message": "This op_id was already used for a different operation.",
                "errors": {"op_id": op.op_id}}
    if op.seq != expected:
        return {"code": "sequence_reused",
                "message": f"seq {op.seq} was already used by another operation of this device.",
                "errors": {"expected_seq": expected}}
    return None


def _step(user: Any, user_id: int, dev: SyncDevice, op: Op, decoded: dict[str, str], error: dict | None,
          known: dict[str, SyncOp] | None = None) -> Result:
    """One pass over an op under the device lock: duplicate / gap / reused checks, then apply or record
    ``error``. ``known``: the records of this chunk's op_ids, read up front (None: look each one up)."""
    device_id = dev.id
    expected = dev.last_seq + 1
    key = op.op_id
    rec = known.get(key) if known is not None else by_key(key)
    reused = False
    if rec is not None:
        if rec.payload_hash == op.hash and rec.device_id == device_id:
            return duplicate(rec, op)
        key = f"{op.op_id}:{op.hash[:40]}"
        rec = by_key(key)
        if rec is not None:
            return duplicate(rec, op)
        reused = True
    if op.seq > expected:
        return _gap(op, expected)
    error = _refusal(op, reused, expected) or error
    if error is None:
        result = run_op(user, op.op_id, op.type, op.type_version, op.payload, base_version=op.base_version,
                        client_time=op.client_time, device_id=device_id, seq=op.seq, decoded=decoded)
        _record(user_id, dev, op, key, "applied", result=result)
        out: Result = {"op_id": op.op_id, "seq": op.seq, "status": "applied", "result": result}
    else:
        _record(user_id, dev, op, key, "rejected", error=error)
        out = {"op_id": op.op_id, "seq": op.seq, "status": "rejected", "code": error["code"],
               "message": error["message"], "errors": error["errors"]}
    if op.seq == expected:
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


def _locked_device(device_id: str, user_id: int) -> SyncDevice:
    _async_commit()
    dev = lock_device(device_id)
    assert dev is not None  # push registered it
    own(dev, user_id)
    return dev


def _prepare_kept(op: Op) -> None:
    """Re-encode the photos a rejected op keeps now, outside any transaction (not under the device lock)."""
    for ph in op.photos.values():
        ph.kept()


def _decode_first(device_id: str, op: Op) -> tuple[Result | None, dict[str, str], dict | None]:
    """Before the write transaction of a photo op: (duplicate answer, decoded codes, decode error)."""
    rec = by_key(op.op_id)  # cheap replay check before the (slow) decode
    if rec is not None and rec.payload_hash == op.hash and rec.device_id == device_id:
        return duplicate(rec, op), {}, None
    db.session.rollback()  # end the read transaction before the write one
    with decode_slot():  # bounded per process, like /scan/decode (503 + Retry-After when busy)
        decoded, exc = decode_all(op)
        if exc is None:
            return None, decoded, None
        _prepare_kept(op)
        return None, decoded, {**error_body(exc), "decoded": decoded}


def process_op(user: Any, device_id: str, op: Op, user_id: int | None = None) -> Result:
    """Apply one op exactly once (its own transaction); see the module docstring."""
    user_id = user_id if user_id is not None else user.id
    decoded: dict[str, str] = {}
    pre_error = None
    if needs_decode(op):
        answer, decoded, pre_error = _decode_first(device_id, op)
        if answer is not None:
            return answer
    if pre_error is None:
        try:
            with transaction():
                return _step(user, user_id, _locked_device(device_id, user_id), op, decoded, None)
        except (DomainError, ma.ValidationError) as exc:
            if is_device_refusal(exc):
                raise
            pre_error = error_body(exc)
        if op.photos:
            with decode_slot():
                _prepare_kept(op)
    with transaction():
        err = {k: v for k, v in pre_error.items() if k != "decoded"}
        out = _step(user, user_id, _locked_device(device_id, user_id), op, decoded, err)
        if out["status"] == "rejected" and out.get("code") == err["code"] \
                and any(ph.kept() is not None for ph in op.photos.values()):
            out["photo_kept"] = True
        return out


def _apply_in_savepoint(user: Any, user_id: int, dev: SyncDevice, op: Op, known: dict | None = None) -> Result:
    """One op inside the chunk's transaction: its effect and record under a SAVEPOINT, so a refused op
    rolls back alone and its rejection is recorded in a second savepoint."""
    try:
        with db.session.begin_nested():
            return _step(user, user_id, dev, op, {}, None, known)
    except StaleDataError:
        err = error_body(StaleVersion())
    except (DomainError, ma.ValidationError) as exc:
        if is_device_refusal(exc):
            raise
        err = error_body(exc)
    with db.session.begin_nested():
        return _step(user, user_id, dev, op, {}, err, known)


def _chunk_limits() -> tuple[int, float]:
    cfg = current_app.config if has_app_context() else {}
    return int(cfg.get("SYNC_CHUNK_OPS", CHUNK_OPS)), float(cfg.get("SYNC_CHUNK_SECONDS", CHUNK_SECONDS))


def _batch_enabled() -> bool:
    return bool(current_app.config.get("SYNC_BATCH_PATH", True)) if has_app_context() else True


def _plannable_run(op_list: list[Op], i: int, limit: int) -> int:
    """How many ops from ``i`` on can take the batch path (a planner, no photos)."""
    n = 0
    while i + n < len(op_list) and n < limit and not needs_decode(op_list[i + n]) \
            and ops.plannable(op_list[i + n].type, op_list[i + n].type_version):
        n += 1
    return n


def _apply_batch(user: Any, user_id: int, dev: SyncDevice, run: list[Op], known: dict) -> list[Result] | None:
    """Apply a run of new, consecutive ops on the batch path (``backend.sync.batch_path``) under one
    SAVEPOINT. When a planner cannot decide an op in memory the run is cut before it: the ops before are
    written, the rest is left to the caller (the results returned are then fewer than ``run``). Returns
    None (nothing written) when the whole run must go one by one: a replayed or reused op_id, a seq that
    is not next, a first op that falls back, or a constraint the database refuses at the write."""
    expected = dev.last_seq + 1
    if any(op.seq != expected + k for k, op in enumerate(run)):
        return None
    if any(op.op_id in known for op in run):
        return None
    try:
        with db.session.begin_nested():
            out = batch_path.apply_run(user, user_id, dev.id, run)
    except (Fallback, IntegrityError):
        return None
    if not out:
        return None
    dev.last_seq = run[len(out) - 1].seq
    return out


def _process_chunk(user: Any, user_id: int, device_id: str, op_list: list[Op], start: int
                   ) -> tuple[list[Result], bool]:
    """Apply ops[start:] in one transaction until the chunk is full (ops or time), a photo op (decoded
    outside any transaction) or a sequence gap. Runs of plannable ops take the batch path; the rest
    (and a run the batch path declines) go one by one, each under its own savepoint. Returns
    (results, stopped_at_gap)."""
    max_n, max_s = _chunk_limits()
    results: list[Result] = []
    batch_ok = _batch_enabled()
    with transaction():
        dev = _locked_device(device_id, user_id)
        t0 = time.monotonic()
        i = start
        one_by_one_until = i
        known = {r.dedupe_key: r for r in db.session.scalars(
            select(SyncOp).where(SyncOp.dedupe_key.in_([op.op_id for op in op_list[i:i + max_n]])))}
        while i < len(op_list) and len(results) < max_n and not needs_decode(op_list[i]) \
                and (not results or time.monotonic() - t0 < max_s):
            if batch_ok and i >= one_by_one_until:
                n = _plannable_run(op_list, i, max_n - len(results))
                if n >= 2:
                    done = _apply_batch(user, user_id, dev, op_list[i:i + n], known)
                    if done is not None:
                        results.extend(done)
                        i += len(done)
                        one_by_one_until = i + 1  # the op that stopped the run (if any) goes one by one
                        continue
                    one_by_one_until = i + n
            out = _apply_in_savepoint(user, user_id, dev, op_list[i], known)
            results.append(out)
            i += 1
            if out["status"] == "rejected" and out.get("code") == "sequence_gap":
                return results, True
    return results, False


def _retryable(exc: OperationalError) -> bool:
    """PostgreSQL chose this transaction as a deadlock victim (40P01) or refused it for serialization
    (40001): nothing of the chunk was kept, so running it again is safe."""
    return getattr(getattr(exc, "orig", None), "sqlstate", None) in ("40P01", "40001")


def _chunk_with_retry(user: Any, user_id: int, device_id: str, op_list: list[Op], start: int
                      ) -> tuple[list[Result], bool]:
    """A chunk whose transaction lost a deadlock (two phones' chunks locking the same stock levels in
    different orders) is rolled back whole; it runs again instead of failing the push with a 500."""
    for attempt in range(1, CHUNK_ATTEMPTS + 1):
        try:
            return _process_chunk(user, user_id, device_id, op_list, start)
        except OperationalError as exc:
            if attempt == CHUNK_ATTEMPTS or not _retryable(exc):
                raise
            log.warning("sync push chunk from seq %s: %s; retry %d", op_list[start].seq,
                        type(getattr(exc, "orig", exc)).__name__, attempt)
            time.sleep(0.05 * attempt)
    raise AssertionError("unreachable")


def _check_batch(op_list: list[Op]) -> None:
    check_batch_size(len(op_list))
    seqs = [o.seq for o in op_list]
    if any(b <= a for a, b in itertools.pairwise(seqs)):
        raise ValidationFailed("ops must be in increasing seq order.", code="malformed_batch",
                               errors={"ops": ["seq must increase within a batch."]})
    ids = [o.op_id for o in op_list]
    if len(set(ids)) != len(ids):
        raise ValidationFailed("The same op_id appears twice in the batch.", code="malformed_batch",
                               errors={"ops": ["Duplicate op_id in batch."]})


def push(user: Any, device_id: str, op_list: list[Op]) -> dict:
    """Process a batch in order; stop at a sequence gap. Returns ``{device_id, last_seq, results}``."""
    _check_batch(op_list)
    dev = db.session.get(SyncDevice, device_id)
    if dev is None:
        dev, _ = register_device(user, device_id)
    else:
        own(dev, user)
    results: list[Result] = []
    stopped = None
    user_id = user.id
    while len(results) < len(op_list) and stopped is None:
        op = op_list[len(results)]
        if needs_decode(op):
            out = process_op(user, device_id, op, user_id)
            results.append(out)
            gap = out["status"] == "rejected" and out.get("code") == "sequence_gap"
        else:
            chunk, gap = _chunk_with_retry(user, user_id, device_id, op_list, len(results))
            results.extend(chunk)
        if gap:
            stopped = results[-1]
    _durable_mark(device_id)
    last = db.session.scalar(select(SyncDevice.last_seq).where(SyncDevice.id == device_id))
    body: dict = {"device_id": device_id, "last_seq": int(last or 0), "results": results}
    if stopped:
        body["stopped_at"] = {"op_id": stopped["op_id"], "seq": stopped["seq"], "expected_seq": stopped["expected_seq"]}
    return body
