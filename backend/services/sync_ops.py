"""The typed, versioned registry of offline operations.

Each op type has a name, a version (``type_version``, default 1), a marshmallow schema for its payload,
the permission it needs, whether it must carry ``base_version``, and a handler that calls the same
service function as the online API. Handlers run inside the op's transaction (the services' ``@command``
joins it) and return a small JSON-able result that is stored with the op record.

Where a payload names a product, it may instead give ``barcode`` (resolved on the server; the quantity is
then counted in scans, i.e. multiplied by the barcode's pack quantity) or ``photo`` (the name of a
multipart part holding a photo of the barcode; decoded at push time, see ``backend.services.sync``).

To add an op type::

    @op_type("thing.do", schema=ThingDo, permission="thing.do")
    def _thing_do(ctx: OpContext, p: dict) -> dict:
        obj = things.do_thing(p["thing_id"], ..., ctx.user, op_id=ctx.op_id)
        return {"thing_id": obj.id}
"""
from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

import marshmallow as ma
from marshmallow import validate

from backend.domain.input_rules import harden
from backend.errors import DomainError, NotFound, ValidationFailed, not_found
from backend.extensions import db
from backend.models.base import NUMERIC_MAX, QTY_SCALE

ID = {"strict": True, "validate": validate.Range(min=1, max=2**31 - 1)}


class UnsupportedOp(DomainError):
    status, code, default_message = 422, "unsupported_op_type", "This operation type is not supported."
    default_message_zh = "不支持此操作类型。"


@dataclass
class OpContext:
    op_id: str
    user: Any
    device_id: str | None
    seq: int | None
    base_version: int | None
    client_time: datetime | None
    decoded: dict = field(default_factory=dict)  # photo part name -> decoded text


@dataclass
class OpType:
    name: str
    version: int
    schema: type[ma.Schema]
    permission: str
    handler: Callable[[OpContext, dict], dict]
    requires_base_version: bool = False
    photo_target: str = "barcode"  # the field a decoded photo fills in
    service: str | None = None  # module the handler needs (op type unavailable until it exists)
    # batch path (backend.services.batch): plan(batch, ctx, data) -> result, needs(data) -> what to preload
    plan: Callable[[Any, OpContext, dict], dict] | None = None
    needs: Callable[[dict, str], dict] | None = None

    def loader(self) -> ma.Schema:
        """One schema instance per op type (building one per op deep-copies every field)."""
        inst = self.__dict__.get("_loader")
        if inst is None:
            inst = self.__dict__["_loader"] = harden(self.schema())  # strict ints, bounded dates
        return inst

    def available(self) -> bool:
        if not self.service:
            return True
        try:
            importlib.import_module(self.service)
            return True
        except ImportError:
            return False


REGISTRY: dict[tuple[str, int], OpType] = {}


def op_type(name: str, *, schema: type[ma.Schema], permission: str, version: int = 1,
            requires_base_version: bool = False, photo_target: str = "barcode", service: str | None = None):
    def deco(fn):
        REGISTRY[(name, version)] = OpType(name, version, schema, permission, fn, requires_base_version,
                                           photo_target, service)
        return fn

    return deco


def op_plan(name: str, *, needs: Callable[[dict, str], dict], version: int = 1):
    """Register the batch-path planner of an op type: same service rules, rows queued on a ``Batch``."""
    def deco(fn):
        t = REGISTRY[(name, version)]
        t.plan, t.needs = fn, needs
        return fn

    return deco


def plannable(name: str, version: int = 1) -> bool:
    t = REGISTRY.get((name, version))
    return t is not None and t.plan is not None and t.available()


def get(name: str, version: int = 1) -> OpType:
    t = REGISTRY.get((name, version))
    if t is None or not t.available():
        raise UnsupportedOp(f"Unknown operation type {name!r} (version {version}).",
                            zh=f"未知的操作类型 {name!r}（版本 {version}）。",
                            errors={"type": name, "type_version": version,
                                    "supported": sorted(f"{n}@{v}" for (n, v), o in REGISTRY.items()
                                                        if o.available())})
    return t


def describe() -> list[dict]:
    """Supported op types (for clients and docs)."""
    return [{"type": t.name, "type_version": t.version, "permission": t.permission,
             "requires_base_version": t.requires_base_version,
             "fields": sorted(t.schema().fields)}
            for t in sorted(REGISTRY.values(), key=lambda t: (t.name, t.version)) if t.available()]



# Keys of op results that are costs (backend/auth/visibility.py): left out of answers without cost.view.
COST_RESULT_KEYS = frozenset({"total_value"})

# ---------------------------------------------------------------- payload pieces


def _dec(**kw):
    lo = kw.pop("min", None)
    return ma.fields.Decimal(places=4, allow_nan=False, as_string=True,
                             validate=validate.Range(min=-NUMERIC_MAX if lo is None else lo, max=NUMERIC_MAX), **kw)


class Strict(ma.Schema):
    class Meta:
        unknown = ma.RAISE


class ProductRef(Strict):
    """A product by id, by barcode, or by a photo of its barcode."""

    product_id = ma.fields.Integer(**ID)
    barcode = ma.fields.String(validate=validate.Length(min=1, max=128))
    photo = ma.fields.String(validate=validate.Length(min=1, max=100))

    @ma.validates_schema
    def _one_ref(self, data, **_):
        if not any(data.get(k) for k in ("product_id", "barcode", "photo")):
            raise ma.ValidationError("Give product_id, barcode or photo.", "product_id")


def resolve_product(ref: dict) -> tuple[int, Decimal]:
    """(product_id, units per scan) for a ProductRef-like dict."""
    if ref.get("product_id"):
        return int(ref["product_id"]), Decimal(1)
    from backend.services.catalog import resolve_barcode

    code = ref.get("barcode")
    hit = resolve_barcode(code) if code else None
    if hit is None:
        raise NotFound(f"No product has barcode {code}.", zh=f"没有商品使用条码 {code}。", code="unknown_barcode", errors={"barcode": code})
    product, per_scan = hit
    return product.id, Decimal(per_scan or 1)


def _resolve_lines(lines: list[dict], qty_fields=("quantity",), resolver=None) -> list[dict]:
    out = []
    for ln in lines:
        ln = dict(ln)
        pid, factor = (resolver or resolve_product)(ln)
        if not ln.get("product_id") and ln.get("barcode"):
            for f in qty_fields:
                if ln.get(f) is not None:
                    ln[f] = (Decimal(ln[f]) * factor).quantize(QTY_SCALE)  # scans × pack size, at column scale
        ln["product_id"] = pid
        ln.pop("barcode", None)
        ln.pop("photo", None)
        out.append(ln)
    return out


def _model(module: str, name: str):
    return getattr(importlib.import_module(module), name)


def _current(model, obj_id: int, what: str):
    obj = db.session.get(model, obj_id)
    if obj is None:
        raise not_found(what, obj_id)
    return obj


def _money(v) -> str | None:
    return None if v is None else str(v)


# ---------------------------------------------------------------- barcode assignment


class BarcodeAssign(Strict):
    product_id = ma.fields.Integer(required=True, **ID)
    code = ma.fields.String(validate=validate.Length(min=1, max=128))
    photo = ma.fields.String(validate=validate.Length(min=1, max=100))
    symbology = ma.fields.String(validate=validate.Length(max=20))
    quantity = _dec(min=Decimal("0.0001"))
    kind = ma.fields.String(validate=validate.Length(max=20))
    supplier_id = ma.fields.Integer(allow_none=True, **ID)

    @ma.validates_schema
    def _code_or_photo(self, data, **_):
        if not data.get("code") and not data.get("photo"):
            raise ma.ValidationError("Give code or photo.", "code")


@op_type("barcode.assign", schema=BarcodeAssign, permission="barcode.write", photo_target="code")
def _barcode_assign(ctx: OpContext, p: dict) -> dict:
    from backend.services import catalog

    spec = {k: v for k, v in p.items() if k in ("code", "symbology", "quantity", "kind", "supplier_id")}
    bc = catalog.add_barcode(p["product_id"], spec)
    return {"barcode_id": bc.id, "product_id": bc.product_id, "code": bc.code, "quantity": str(bc.quantity)}


def _barcode_needs(p: dict, op_id: str) -> dict:
    return {"products": [p["product_id"]], "codes": [(p.get("code") or "").strip()]}


@op_plan("barcode.assign", needs=_barcode_needs)
def _barcode_assign_plan(batch, ctx: OpContext, p: dict) -> dict:
    from backend.services import catalog

    spec = {k: v for k, v in p.items() if k in ("code", "symbology", "quantity", "kind", "supplier_id")}
    bc = catalog.plan_barcode(batch, p["product_id"], spec)
    return {"barcode_id": bc["id"], "product_id": bc["product_id"], "code": bc["code"],
            "quantity": str(bc["quantity"])}


# ---------------------------------------------------------------- stock adjustment


class AdjustLine(ProductRef):
    quantity = _dec(required=True)
    unit_cost = _dec(min=Decimal(0), allow_none=True)
    location_id = ma.fields.Integer(allow_none=True, **ID)


class StockAdjust(Strict):
    warehouse_id = ma.fields.Integer(required=True, **ID)
    reason = ma.fields.String(required=True, validate=validate.Length(min=1, max=40))
    note = ma.fields.String(allow_none=True, validate=validate.Length(max=2000))
    lines = ma.fields.List(ma.fields.Nested(AdjustLine), required=True, validate=validate.Length(min=1, max=500))


@op_type("stock.adjust", schema=StockAdjust, permission="stock.adjust", service="backend.services.adjustments")
def _stock_adjust(ctx: OpContext, p: dict) -> dict:
    from backend.services import adjustments

    data = {**p, "lines": _resolve_lines(p["lines"])}
    adj = adjustments.create_adjustment(data, ctx.user, op_id=ctx.op_id)
    return {"adjustment_id": adj.id, "number": adj.number, "status": adj.status,
            "total_value": _money(adj.total_value)}


def _adjust_needs(p: dict, op_id: str) -> dict:
    from backend.models.inventory import Adjustment

    pids = [ln["product_id"] for ln in p["lines"] if ln.get("product_id")]
    return {"op_docs": {Adjustment: [op_id]}, "numbers": ["ADJ"], "products": pids, "warehouses": [p["warehouse_id"]],
            "locations": [ln["location_id"] for ln in p["lines"] if ln.get("location_id")],
            "pairs": [(pid, p["warehouse_id"]) for pid in pids]}


@op_plan("stock.adjust", needs=_adjust_needs)
def _stock_adjust_plan(batch, ctx: OpContext, p: dict) -> dict:
    from backend.services import adjustments

    data = {**p, "lines": _resolve_lines(p["lines"], resolver=batch.resolve_ref)}
    adj = adjustments.plan_adjustment(batch, data, ctx.user, op_id=ctx.op_id)
    return {"adjustment_id": adj["id"], "number": adj["number"], "status": adj["status"],
            "total_value": _money(adj["total_value"])}


class DocDecision(Strict):
    comment = ma.fields.String(allow_none=True, validate=validate.Length(max=2000))


class AdjustmentDecision(DocDecision):
    adjustment_id = ma.fields.Integer(required=True, **ID)


@op_type("adjustment.approve", schema=AdjustmentDecision, permission="stock.adjust.approve",
         requires_base_version=True, service="backend.services.adjustments")
def _adjustment_approve(ctx: OpContext, p: dict) -> dict:
    from backend.services import adjustments

    adj = adjustments.approve_adjustment(p["adjustment_id"], ctx.base_version, ctx.user, p.get("comment"),
                                         op_id=ctx.op_id)
    return {"adjustment_id": adj.id, "status": adj.status, "version": adj.version}


@op_type("adjustment.reject", schema=AdjustmentDecision, permission="stock.adjust.approve",
         requires_base_version=True, service="backend.services.adjustments")
def _adjustment_reject(ctx: OpContext, p: dict) -> dict:
    from backend.services import adjustments

    adj = adjustments.reject_adjustment(p["adjustment_id"], ctx.base_version, ctx.user, p.get("comment"))
    return {"adjustment_id": adj.id, "status": adj.status, "version": adj.version}


# ---------------------------------------------------------------- transfers


class TransferCreateLine(ProductRef):
    quantity = _dec(required=True, min=Decimal("0.0001"))


class TransferCreate(Strict):
    from_warehouse_id = ma.fields.Integer(required=True, **ID)
    to_warehouse_id = ma.fields.Integer(required=True, **ID)
    note = ma.fields.String(allow_none=True, validate=validate.Length(max=500))
    lines = ma.fields.List(ma.fields.Nested(TransferCreateLine), required=True,
                           validate=validate.Length(min=1, max=500))
    ship = ma.fields.Boolean(load_default=False, metadata={"description": "Ship it in the same op"})


@op_type("transfer.create", schema=TransferCreate, permission="transfer.create",
         service="backend.services.transfers")
def _transfer_create(ctx: OpContext, p: dict) -> dict:
    """A transfer started on a phone (also offline); with ``ship`` the goods leave in the same op, so a
    transfer is never left half done (created but not shipped) by a later rejected op."""
    from backend.services import transfers

    data = {k: v for k, v in p.items() if k in ("from_warehouse_id", "to_warehouse_id", "note")}
    data["lines"] = _resolve_lines(p["lines"])
    t = transfers.create_transfer(data, ctx.user, op_id=ctx.op_id)
    if p["ship"]:
        t = transfers.ship_transfer(t.id, t.version, ctx.user, op_id=ctx.op_id)
    return {"transfer_id": t.id, "number": t.number, "status": t.status, "version": t.version}


class TransferShip(Strict):
    transfer_id = ma.fields.Integer(required=True, **ID)


@op_type("transfer.ship", schema=TransferShip, permission="transfer.ship", service="backend.services.transfers")
def _transfer_ship(ctx: OpContext, p: dict) -> dict:
    from backend.services import transfers

    t = _current(_model("backend.models.inventory", "Transfer"), p["transfer_id"], "Transfer")
    t = transfers.ship_transfer(t.id, t.version, ctx.user, op_id=ctx.op_id)
    return {"transfer_id": t.id, "status": t.status, "version": t.version}


class TransferReceiveLine(Strict):
    line_id = ma.fields.Integer(**ID)
    product_id = ma.fields.Integer(**ID)
    barcode = ma.fields.String(validate=validate.Length(min=1, max=128))
    photo = ma.fields.String(validate=validate.Length(min=1, max=100))
    quantity = _dec(min=Decimal(0), load_default=Decimal(0))
    damaged_qty = _dec(min=Decimal(0))
    short_qty = _dec(min=Decimal(0))
    note = ma.fields.String(allow_none=True, validate=validate.Length(max=500))

    @ma.validates_schema
    def _ref(self, data, **_):
        if not any(data.get(k) for k in ("line_id", "product_id", "barcode", "photo")):
            raise ma.ValidationError("Give line_id, product_id, barcode or photo.", "line_id")


class TransferReceive(Strict):
    transfer_id = ma.fields.Integer(required=True, **ID)
    lines = ma.fields.List(ma.fields.Nested(TransferReceiveLine), load_default=list,
                           validate=validate.Length(max=500))
    complete = ma.fields.Boolean(load_default=False)


@op_type("transfer.receive", schema=TransferReceive, permission="transfer.receive",
         service="backend.services.transfers")
def _transfer_receive(ctx: OpContext, p: dict) -> dict:
    from backend.services import transfers

    t = _current(_model("backend.models.inventory", "Transfer"), p["transfer_id"], "Transfer")
    lines = [ln if ln.get("line_id") else _resolve_lines([ln], ("quantity", "damaged_qty", "short_qty"))[0]
             for ln in p["lines"]]
    t = transfers.receive_transfer(t.id, t.version, lines, ctx.user, op_id=ctx.op_id, complete=p["complete"])
    return {"transfer_id": t.id, "status": t.status, "version": t.version}


# ---------------------------------------------------------------- sales orders


class OrderLineRef(Strict):
    line_id = ma.fields.Integer(**ID)
    product_id = ma.fields.Integer(**ID)
    barcode = ma.fields.String(validate=validate.Length(min=1, max=128))
    photo = ma.fields.String(validate=validate.Length(min=1, max=100))
    quantity = _dec(min=Decimal("0.0001"), required=True)
    location_id = ma.fields.Integer(allow_none=True, **ID)

    @ma.validates_schema
    def _ref(self, data, **_):
        if not any(data.get(k) for k in ("line_id", "product_id", "barcode", "photo")):
            raise ma.ValidationError("Give line_id, product_id, barcode or photo.", "line_id")


def _order_lines(order, lines: list[dict], open_qty: Callable[[Any], Decimal]) -> list[dict]:
    """Map product/barcode references to the order's line ids (the first line of that product with
    quantity still open)."""
    out = []
    for i, ln in enumerate(lines):
        if ln.get("line_id"):
            out.append({k: v for k, v in ln.items() if k in ("line_id", "quantity", "location_id")})
            continue
        ln = _resolve_lines([ln])[0]
        cands = [x for x in order.lines if x.product_id == ln["product_id"]]
        if not cands:
            raise ValidationFailed("This product is not on the order.", code="not_on_order",
                                   errors={"lines": {str(i): {"product_id": ln["product_id"]}}})
        match = next((x for x in cands if open_qty(x) > 0), cands[0])
        out.append({"line_id": match.id, "quantity": ln["quantity"],
                    **({"location_id": ln["location_id"]} if ln.get("location_id") else {})})
    return out


class SalesShip(Strict):
    order_id = ma.fields.Integer(required=True, **ID)
    lines = ma.fields.List(ma.fields.Nested(OrderLineRef), required=True, validate=validate.Length(min=1, max=500))
    notes = ma.fields.String(allow_none=True, validate=validate.Length(max=2000))


@op_type("so.ship", schema=SalesShip, permission="sales.ship", service="backend.services.sales")
def _so_ship(ctx: OpContext, p: dict) -> dict:
    from backend.services import sales

    so = _current(_model("backend.models.sales", "SalesOrder"), p["order_id"], "Sales order")
    lines = _order_lines(so, p["lines"], lambda ln: ln.remaining_qty)
    dn = sales.ship_sales_order(so.id, so.version, lines, ctx.user, op_id=ctx.op_id, notes=p.get("notes"))
    return {"order_id": so.id, "shipment_id": dn.id, "number": dn.number, "status": so.status,
            "version": so.version}


class SalesDecision(DocDecision):
    order_id = ma.fields.Integer(required=True, **ID)


@op_type("so.approve", schema=SalesDecision, permission="sales.approve", requires_base_version=True,
         service="backend.services.sales")
def _so_approve(ctx: OpContext, p: dict) -> dict:
    from backend.services import sales

    so = sales.approve_sales_order(p["order_id"], ctx.base_version, ctx.user, p.get("comment"))
    return {"order_id": so.id, "status": so.status, "version": so.version}


@op_type("so.reject", schema=SalesDecision, permission="sales.approve", requires_base_version=True,
         service="backend.services.sales")
def _so_reject(ctx: OpContext, p: dict) -> dict:
    from backend.services import sales

    so = sales.reject_sales_order(p["order_id"], ctx.base_version, ctx.user, p.get("comment"))
    return {"order_id": so.id, "status": so.status, "version": so.version}


# ---------------------------------------------------------------- purchase orders


class PurchaseReceiveLine(OrderLineRef):
    pass


class PurchaseReceive(Strict):
    order_id = ma.fields.Integer(required=True, **ID)
    note = ma.fields.String(allow_none=True, validate=validate.Length(max=2000))
    lines = ma.fields.List(ma.fields.Nested(PurchaseReceiveLine), required=True,
                           validate=validate.Length(min=1, max=500))


@op_type("po.receive", schema=PurchaseReceive, permission="purchase.receive", service="backend.services.purchasing")
def _po_receive(ctx: OpContext, p: dict) -> dict:
    from backend.services import purchasing

    po = _current(_model("backend.models.purchasing", "PurchaseOrder"), p["order_id"], "Purchase order")
    lines = _order_lines(po, p["lines"], lambda ln: ln.quantity - ln.received_qty)
    # a receipt is a physical fact: applied against the order as it is now (no version check)
    grn = purchasing.receive_purchase_order(po.id, None, lines, ctx.user, op_id=ctx.op_id, note=p.get("note"))
    return {"order_id": po.id, "receipt_id": getattr(grn, "id", None), "number": getattr(grn, "number", None),
            "status": po.status, "version": po.version}


class PurchaseDecision(DocDecision):
    order_id = ma.fields.Integer(required=True, **ID)
    reason = ma.fields.String(allow_none=True, validate=validate.Length(max=2000))


@op_type("po.approve", schema=PurchaseDecision, permission="purchase.approve", requires_base_version=True,
         service="backend.services.purchasing")
def _po_approve(ctx: OpContext, p: dict) -> dict:
    from backend.services import purchasing

    po = purchasing.approve_purchase_order(p["order_id"], ctx.base_version, ctx.user, p.get("comment"))
    return {"order_id": po.id, "status": po.status, "version": po.version}


@op_type("po.reject", schema=PurchaseDecision, permission="purchase.approve", requires_base_version=True,
         service="backend.services.purchasing")
def _po_reject(ctx: OpContext, p: dict) -> dict:
    from backend.services import purchasing

    reason = p.get("reason") or p.get("comment") or "Rejected on a device."
    po = purchasing.reject_purchase_order(p["order_id"], ctx.base_version, ctx.user, reason)
    return {"order_id": po.id, "status": po.status, "version": po.version}


# ---------------------------------------------------------------- stocktake counts


class StocktakeCount(ProductRef):
    stocktake_id = ma.fields.Integer(required=True, **ID)
    quantity = _dec(min=Decimal(0), required=True)
    counted_at = ma.fields.AwareDateTime(required=True, default_timezone=None,
                                         metadata={"description": "When the goods were counted (not sent)"})
    location_id = ma.fields.Integer(allow_none=True, **ID)
    mode = ma.fields.String(load_default="add", validate=validate.OneOf(("add", "replace")))


@op_type("stocktake.count", schema=StocktakeCount, permission="stocktake.count", service="backend.services.stocktakes")
def _stocktake_count(ctx: OpContext, p: dict) -> dict:
    """A count is compared with the book quantity at ``counted_at``: moves after it are not double counted."""
    from backend.services import stocktakes

    pid, factor = resolve_product(p)
    qty = (Decimal(p["quantity"]) * factor).quantize(QTY_SCALE)
    cnt = stocktakes.record_count(p["stocktake_id"], pid, p.get("location_id"), qty, p["counted_at"], ctx.user,
                                  mode=p["mode"], op_id=ctx.op_id)
    return {"stocktake_id": p["stocktake_id"], "count_id": cnt.id, "product_id": pid, "quantity": str(qty),
            "counted_at": cnt.counted_at.isoformat()}


def _count_needs(p: dict, op_id: str) -> dict:
    from backend.models.inventory import Stocktake, StocktakeCount

    return {"op_docs": {StocktakeCount: [op_id]}, "locked": {Stocktake: [p["stocktake_id"]]},
            "products": [p["product_id"]] if p.get("product_id") else [],
            "locations": [p["location_id"]] if p.get("location_id") else []}


@op_plan("stocktake.count", needs=_count_needs)
def _stocktake_count_plan(batch, ctx: OpContext, p: dict) -> dict:
    from backend.services import stocktakes

    pid, factor = batch.resolve_ref(p)
    qty = (Decimal(p["quantity"]) * factor).quantize(QTY_SCALE)
    cnt = stocktakes.plan_count(batch, p["stocktake_id"], pid, p.get("location_id"), qty, p["counted_at"], ctx.user,
                                mode=p["mode"], op_id=ctx.op_id)
    return {"stocktake_id": p["stocktake_id"], "count_id": cnt["id"], "product_id": pid, "quantity": str(qty),
            "counted_at": cnt["counted_at"].isoformat()}
