"""The batch path of a push: a run of new, consecutive ops whose types have a planner is validated and
planned in order against one ``Batch`` (state loaded and locked up front), a refused op is recorded as
rejected and leaves nothing behind, then everything — documents, moves, levels, audit, op records — is
written together (the caller holds the SAVEPOINT). When a planner cannot decide an op in memory
(``Fallback``) the run is cut before it."""
from __future__ import annotations

from typing import Any

import marshmallow as ma

from backend.errors import DomainError
from backend.models.sync import SyncOp
from backend.sync.apply import as_json, prepare
from backend.sync.batch import Batch, Fallback, Needs
from backend.sync.envelope import Op
from backend.sync.ops import OpContext, OpType
from backend.sync.records import error_body, record_values

Prepared = tuple[Op, OpType | None, dict | None, Exception | None]


def _prepare_all(user: Any, run: list[Op]) -> tuple[list[Prepared], Needs]:
    """Each op's type and payload (or its refusal), and what the whole run needs loaded."""
    prepared: list[Prepared] = []
    needs = Needs()
    for op in run:
        try:
            t, data = prepare(user, op.type, op.type_version, op.payload, op.base_version)
        except (DomainError, ma.ValidationError) as exc:
            prepared.append((op, None, None, exc))
            continue
        prepared.append((op, t, data, None))
        assert t.planner is not None
        needs.merge(t.planner.needs(data, op.op_id))
    return prepared, needs


def _plan(batch: Batch, user: Any, device_id: str, op: Op, t: OpType, data: dict) -> dict:
    """The op's result, its rows queued on the batch (undone if it raises)."""
    assert t.planner is not None
    mark = batch.mark()
    ctx = OpContext(op_id=op.op_id, user=user, device_id=device_id, seq=op.seq,
                    base_version=op.base_version, client_time=op.client_time)
    try:
        return t.planner.plan(batch, ctx, data)
    except BaseException:
        batch.rollback(mark)
        raise


def apply_run(user: Any, user_id: int, device_id: str, run: list[Op]) -> list[dict]:
    """Plan and write ``run`` (or its head, up to an op that falls back). Returns the answers of the
    ops written (empty: nothing written). Raises ``Fallback`` or ``IntegrityError`` (nothing kept)."""
    batch = Batch(expected_rows=len(run))
    prepared, needs = _prepare_all(user, run)
    batch.load(needs)
    out: list[dict] = []
    for op, t, data, exc in prepared:
        if exc is None:
            assert t is not None and data is not None
            try:
                result = as_json(_plan(batch, user, device_id, op, t, data))  # stored and answered as JSON
            except (DomainError, ma.ValidationError) as e:
                exc = e
            except Fallback:  # this op goes one by one: write the run up to it
                break
        if exc is None:
            batch.add(SyncOp, record_values(user_id, device_id, op, op.op_id, "applied", result=result))
            out.append({"op_id": op.op_id, "seq": op.seq, "status": "applied", "result": result})
        else:
            err = error_body(exc)
            batch.add(SyncOp, record_values(user_id, device_id, op, op.op_id, "rejected", error=err))
            out.append({"op_id": op.op_id, "seq": op.seq, "status": "rejected", **err})
    if out:
        batch.flush()
    return out
