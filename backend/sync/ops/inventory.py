"""Op types of stock adjustments: ``stock.adjust`` (with a planner), ``adjustment.approve``/``reject``."""
from __future__ import annotations

from decimal import Decimal
from typing import Any

import marshmallow as ma
from marshmallow import validate

from backend.domain.flows import ADJUSTMENT_FLOW
from backend.models.inventory import Adjustment, AdjustmentLine
from backend.services import adjustments
from backend.services.access import require
from backend.sync.batch import Batch, Fallback, Needs
from backend.sync.ops.common import (
    ID,
    DocDecision,
    ProductRef,
    Strict,
    dec,
    money,
    resolve_lines,
    resolver_in,
)
from backend.sync.ops.decisions import fresh
from backend.sync.ops.registry import OpContext, OpType, Planner


class AdjustLine(ProductRef):
    quantity = dec(required=True)
    unit_cost = dec(min=Decimal(0), allow_none=True)
    location_id = ma.fields.Integer(allow_none=True, **ID)


class StockAdjust(Strict):
    warehouse_id = ma.fields.Integer(required=True, **ID)
    reason = ma.fields.String(required=True, validate=validate.Length(min=1, max=40))
    note = ma.fields.String(allow_none=True, validate=validate.Length(max=2000))
    lines = ma.fields.List(ma.fields.Nested(AdjustLine), required=True, validate=validate.Length(min=1, max=500))


class AdjustmentDecision(DocDecision):
    adjustment_id = ma.fields.Integer(required=True, **ID)


def _created(adj: Any) -> dict:
    return {"adjustment_id": adj.id, "number": adj.number, "status": adj.status,
            "total_value": money(adj.total_value)}


def _decided(adj: Any) -> dict:
    return {"adjustment_id": adj.id, "status": adj.status, "version": adj.version}


def _adjust(ctx: OpContext, p: dict) -> dict:
    data = {**p, "lines": resolve_lines(p["lines"])}
    return _created(adjustments.create_adjustment(data, ctx.user, op_id=ctx.op_id))


def _adjust_needs(p: dict, op_id: str) -> Needs:
    pids = [ln["product_id"] for ln in p["lines"] if ln.get("product_id")]
    return Needs(op_docs={Adjustment: [op_id]}, numbers=["ADJ"], products=pids, warehouses=[p["warehouse_id"]],
                 locations=[ln["location_id"] for ln in p["lines"] if ln.get("location_id")],
                 pairs=[(pid, p["warehouse_id"]) for pid in pids])


def _adjust_plan(batch: Batch, ctx: OpContext, p: dict) -> dict:
    """``adjustments.create_adjustment`` on the batch: its rule functions on the batch's state, its
    rows (document, lines, moves, audit records) queued."""
    user, op_id = ctx.user, ctx.op_id
    data = {**p, "lines": resolve_lines(p["lines"], resolver=resolver_in(batch))}
    require(user, "stock.adjust")
    if batch.has_op_document(Adjustment, op_id):
        raise Fallback("this op already created an adjustment")
    wh, reason, lines = adjustments.check_header(data, user, batch.warehouse)
    header = adjustments.header_values(data, wh.id, reason, user, op_id, batch.number("ADJ"))
    values, total = adjustments.check_lines(reason, wh.id, lines, batch.product, batch.location, batch.level)
    adj = batch.add(Adjustment, {**header, "total_value": total})
    rows = [batch.add(AdjustmentLine, {**v, "adjustment_id": adj.id}) for v in values]
    action = adjustments.first_action(total)
    changes: dict[str, Any] = {"status": ADJUSTMENT_FLOW.next(adj.status, action)}
    if action == "post":
        moves = batch.post_moves(adjustments.move_specs(adj, rows, op_id))
        by_line = {m.doc_line_id: m for m in moves}
        for r in rows:
            batch.update(AdjustmentLine, r, {"value": by_line[r.id].value, "move_id": by_line[r.id].id})
        changes["posted_at"] = batch.now
    batch.update(Adjustment, adj, changes, action, value=str(total))
    return _created(adj)


def _approve(ctx: OpContext, p: dict) -> dict:
    fresh(ctx, "adjustment", p["adjustment_id"])
    return _decided(adjustments.approve_adjustment(p["adjustment_id"], ctx.base_version, ctx.user, p.get("comment"),
                                                   op_id=ctx.op_id))


def _reject(ctx: OpContext, p: dict) -> dict:
    fresh(ctx, "adjustment", p["adjustment_id"])
    return _decided(adjustments.reject_adjustment(p["adjustment_id"], ctx.base_version, ctx.user, p.get("comment")))


OPS = (
    OpType("stock.adjust", StockAdjust, "stock.adjust", _adjust, Planner(_adjust_needs, _adjust_plan)),
    OpType("adjustment.approve", AdjustmentDecision, "stock.adjust.approve", _approve, requires_base_version=True),
    OpType("adjustment.reject", AdjustmentDecision, "stock.adjust.approve", _reject, requires_base_version=True),
)
