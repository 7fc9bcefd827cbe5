"""Op types of sales orders: ``so.ship``, ``so.approve``, ``so.reject``."""
from __future__ import annotations

import marshmallow as ma
from marshmallow import validate

from backend.models.sales import SalesOrder
from backend.services import sales, sales_documents
from backend.sync.ops.common import (
    ID,
    DocDecision,
    OrderLineRef,
    Strict,
    current,
    order_lines,
)
from backend.sync.ops.decisions import fresh
from backend.sync.ops.registry import OpContext, OpType


class SalesShip(Strict):
    order_id = ma.fields.Integer(required=True, **ID)
    lines = ma.fields.List(ma.fields.Nested(OrderLineRef), required=True, validate=validate.Length(min=1, max=500))
    notes = ma.fields.String(allow_none=True, validate=validate.Length(max=2000))


class SalesDecision(DocDecision):
    order_id = ma.fields.Integer(required=True, **ID)


def _state(so: SalesOrder) -> dict:
    return {"order_id": so.id, "status": so.status, "version": so.version}


def _ship(ctx: OpContext, p: dict) -> dict:
    so = current(SalesOrder, p["order_id"], "Sales order")
    lines = order_lines(so, p["lines"], lambda ln: ln.remaining_qty)
    dn = sales_documents.ship_sales_order(so.id, so.version, lines, ctx.user, op_id=ctx.op_id, notes=p.get("notes"))
    return {"order_id": so.id, "shipment_id": dn.id, "number": dn.number, "status": so.status,
            "version": so.version}


def _approve(ctx: OpContext, p: dict) -> dict:
    fresh(ctx, "sales_order", p["order_id"])
    return _state(sales.approve_sales_order(p["order_id"], ctx.base_version, ctx.user, p.get("comment")))


def _reject(ctx: OpContext, p: dict) -> dict:
    fresh(ctx, "sales_order", p["order_id"])
    return _state(sales.reject_sales_order(p["order_id"], ctx.base_version, ctx.user, p.get("comment")))


OPS = (
    OpType("so.ship", SalesShip, "sales.ship", _ship),
    OpType("so.approve", SalesDecision, "sales.approve", _approve, requires_base_version=True),
    OpType("so.reject", SalesDecision, "sales.approve", _reject, requires_base_version=True),
)
