"""Op types of purchase orders: ``po.receive``, ``po.approve``, ``po.reject``."""
from __future__ import annotations

import marshmallow as ma
from marshmallow import validate

from backend.models.purchasing import PurchaseOrder
from backend.services import purchasing, purchasing_receipts
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


class PurchaseReceiveLine(OrderLineRef):
    pass


class PurchaseReceive(Strict):
    order_id = ma.fields.Integer(required=True, **ID)
    note = ma.fields.String(allow_none=True, validate=validate.Length(max=2000))
    lines = ma.fields.List(ma.fields.Nested(PurchaseReceiveLine), required=True,
                           validate=validate.Length(min=1, max=500))


class PurchaseDecision(DocDecision):
    order_id = ma.fields.Integer(required=True, **ID)
    reason = ma.fields.String(allow_none=True, validate=validate.Length(max=2000))


def _state(po: PurchaseOrder) -> dict:
    return {"order_id": po.id, "status": po.status, "version": po.version}


def _receive(ctx: OpContext, p: dict) -> dict:
    po = current(PurchaseOrder, p["order_id"], "Purchase order")
    lines = order_lines(po, p["lines"], lambda ln: ln.quantity - ln.received_qty)
    # a receipt is a physical fact: applied against the order as it is now (no version check)
    grn = purchasing_receipts.receive_purchase_order(po.id, None, lines, ctx.user, op_id=ctx.op_id, note=p.get("note"))
    return {"order_id": po.id, "receipt_id": getattr(grn, "id", None), "number": getattr(grn, "number", None),
            "status": po.status, "version": po.version}


def _approve(ctx: OpContext, p: dict) -> dict:
    fresh(ctx, "purchase_order", p["order_id"])
    return _state(purchasing.approve_purchase_order(p["order_id"], ctx.base_version, ctx.user, p.get("comment")))


def _reject(ctx: OpContext, p: dict) -> dict:
    fresh(ctx, "purchase_order", p["order_id"])
    reason = p.get("reason") or p.get("comment") or "Rejected on a device."
    return _state(purchasing.reject_purchase_order(p["order_id"], ctx.base_version, ctx.user, reason))


OPS = (
    OpType("po.receive", PurchaseReceive, "purchase.receive", _receive),
    OpType("po.approve", PurchaseDecision, "purchase.approve", _approve, requires_base_version=True),
    OpType("po.reject", PurchaseDecision, "purchase.approve", _reject, requires_base_version=True),
)
