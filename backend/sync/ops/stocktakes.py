"""Op type of stocktakes: ``stocktake.count`` (with a planner)."""
from __future__ import annotations

from decimal import Decimal
from typing import Any

import marshmallow as ma
from marshmallow import validate

from backend.models.inventory import Stocktake, StocktakeCount
from backend.services import stocktakes
from backend.services.access import require
from backend.sync.batch import Batch, Fallback, Needs
from backend.sync.ops.common import (
    ID,
    ProductRef,
    dec,
    resolve_product,
    resolver_in,
    scans,
)
from backend.sync.ops.registry import OpContext, OpType, Planner


class StocktakeCountIn(ProductRef):
    stocktake_id = ma.fields.Integer(required=True, **ID)
    quantity = dec(min=Decimal(0), required=True)
    counted_at = ma.fields.AwareDateTime(required=True, default_timezone=None,
                                         metadata={"description": "When the goods were counted (not sent)"})
    location_id = ma.fields.Integer(allow_none=True, **ID)
    mode = ma.fields.String(load_default="add", validate=validate.OneOf(("add", "replace")))


def _result(p: dict, product_id: int, qty: Decimal, cnt: Any) -> dict:
    return {"stocktake_id": p["stocktake_id"], "count_id": cnt.id, "product_id": product_id, "quantity": str(qty),
            "counted_at": cnt.counted_at.isoformat()}


def _count(ctx: OpContext, p: dict) -> dict:
    """A count is compared with the book quantity at ``counted_at``: moves after it are not double counted."""
    pid, factor = resolve_product(p)
    qty = scans(p["quantity"], factor)
    cnt = stocktakes.record_count(p["stocktake_id"], pid, p.get("location_id"), qty, p["counted_at"], ctx.user,
                                  mode=p["mode"], op_id=ctx.op_id)
    return _result(p, pid, qty, cnt)


def _count_needs(p: dict, op_id: str) -> Needs:
    return Needs(op_docs={StocktakeCount: [op_id]}, locked={Stocktake: [p["stocktake_id"]]},
                 products=[p["product_id"]] if p.get("product_id") else [],
                 locations=[p["location_id"]] if p.get("location_id") else [])


def _count_plan(batch: Batch, ctx: OpContext, p: dict) -> dict:
    """``stocktakes.record_count`` on the batch: the same checks and columns, a queued row. A ``replace``
    count deactivates earlier counts (updates): it goes one by one."""
    pid, factor = resolver_in(batch)(p)
    qty = scans(p["quantity"], factor)
    require(ctx.user, "stocktake.count")
    if p["mode"] == "replace":
        raise Fallback("a replace count updates earlier counts")
    if batch.has_op_document(StocktakeCount, ctx.op_id):
        raise Fallback("this op already recorded a count")
    st = batch.locked(Stocktake, p["stocktake_id"], "Stocktake")
    location_id, at, product = stocktakes.check_count(st, pid, p.get("location_id"), qty, p["counted_at"], ctx.user,
                                                      p["mode"], batch.product, batch.location, batch.now)
    row = batch.add(StocktakeCount, stocktakes.count_values(st, product.id, location_id, qty, p["mode"], at,
                                                           ctx.user, ctx.op_id, batch.now))
    return _result(p, pid, qty, row)


OPS = (
    OpType("stocktake.count", StocktakeCountIn, "stocktake.count", _count, Planner(_count_needs, _count_plan)),
)
