"""Reordering: draft purchase orders from a warehouse's low-stock list, one per supplier.

Stable service API::

    purchase_orders_from_low_stock(data, user) -> {orders, without_supplier, skipped}
        data = {warehouse_id, lines?: [{product_id, quantity?}]}
        Takes the warehouse's low-stock items (``alerts.low_stock``: at or below the reorder point), or only
        those in ``lines``, with their suggested quantity (or the given one), and makes one draft PO
        per supplier. A product's supplier is the one of its latest purchase order that was submitted or
        later (the price and tax of that line are the new line's defaults), else the supplier of one of its
        supplier barcodes. Products with no supplier are reported in ``without_supplier``; products that are
        not low, inactive, or have nothing to order are in ``skipped`` with a reason. Nothing is created
        when no product can be ordered (422 ``nothing_to_order``).
"""
from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select

from backend.domain.flows import PO_FLOW
from backend.errors import ValidationFailed
from backend.extensions import db
from backend.models.catalog import Barcode, Product
from backend.models.partners import Supplier
from backend.models.purchasing import PurchaseOrder, PurchaseOrderLine
from backend.services import alerts, purchasing
from backend.services.access import ensure_warehouse, require
from backend.services.stock import get_active_warehouse
from backend.services.uow import command

MAX_ITEMS = 2000  # low-stock rows read per call (bounded: 4 pages of 500)


def _low_rows(warehouse_id: int, user) -> dict[int, dict]:
    rows: dict[int, dict] = {}
    page = 1
    while len(rows) < MAX_ITEMS:
        res = alerts.low_stock({"warehouse_id": warehouse_id, "page": page, "per_page": 500}, user)
        for it in res["items"]:
            rows[it["product_id"]] = it
        if page * 500 >= res["total"]:
            break
        page += 1
    return rows


def _suppliers(product_ids: list[int]) -> dict[int, dict]:
    """product id → {supplier_id, unit_price?, tax_rate?}: the latest priced PO line, else a supplier barcode."""
    out: dict[int, dict] = {}
    if not product_ids:
        return out
    active = select(Supplier.id).where(Supplier.is_active.is_(True))
    stmt = (select(PurchaseOrderLine.product_id, PurchaseOrder.supplier_id, PurchaseOrderLine.unit_price,
                   PurchaseOrderLine.tax_rate)
            .join(PurchaseOrder, PurchaseOrder.id == PurchaseOrderLine.order_id)
            .where(PurchaseOrderLine.product_id.in_(product_ids), PurchaseOrder.status.in_(PO_FLOW.group("priced")),
                   PurchaseOrder.supplier_id.in_(active))
            .order_by(PurchaseOrder.id.desc(), PurchaseOrderLine.id.desc()))
    for pid, sid, price, tax in db.session.execute(stmt):
        out.setdefault(pid, {"supplier_id": sid, "unit_price": price, "tax_rate": tax})
    rest = [p for p in product_ids if p not in out]
    if rest:
        codes = (select(Barcode.product_id, Barcode.supplier_id)
                 .where(Barcode.product_id.in_(rest), Barcode.supplier_id.in_(active)).order_by(Barcode.id))
        for pid, sid in db.session.execute(codes):
            out.setdefault(pid, {"supplier_id": sid})
    return out


def _wanted(data: dict, low: dict[int, dict]) -> tuple[list[tuple[dict, Decimal]], list[dict]]:
    """[(low-stock row, quantity)] to order, and the skipped products with their reason."""
    lines = data.get("lines") or [{"product_id": p} for p in low]
    asked = [ln["product_id"] for ln in lines]
    given = {ln["product_id"]: Decimal(ln["quantity"]) for ln in lines if ln.get("quantity") is not None}
    take, skipped = [], []
    for pid in dict.fromkeys(asked):
        row = low.get(pid)
        if row is None:
            skipped.append({"product_id": pid, "reason": "not_low"})
            continue
        qty = given.get(pid, row["suggested_qty"])
        product = db.session.get(Product, pid)
        if product is None or not product.is_active:
            skipped.append({"product_id": pid, "sku": row["sku"], "name": row["name"], "reason": "inactive"})
        elif qty <= 0:
            skipped.append({"product_id": pid, "sku": row["sku"], "name": row["name"], "reason": "nothing_to_order"})
        else:
            take.append((row, qty))
    return take, skipped


@command
def purchase_orders_from_low_stock(data: dict, user) -> dict:
    require(user, "purchase.create")
    wh = get_active_warehouse(data["warehouse_id"])
    ensure_warehouse(user, wh.id)
    take, skipped = _wanted(data, _low_rows(wh.id, user))
    found = _suppliers([row["product_id"] for row, _ in take])
    by_supplier: dict[int, list[dict]] = {}
    without = []
    for row, qty in take:
        src = found.get(row["product_id"])
        if src is None:
            without.append({"product_id": row["product_id"], "sku": row["sku"], "name": row["name"],
                            "name_en": row.get("name_en"), "suggested_qty": qty})
            continue
        line = {"product_id": row["product_id"], "quantity": qty}
        for k in ("unit_price", "tax_rate"):
            if src.get(k) is not None:
                line[k] = src[k]
        by_supplier.setdefault(src["supplier_id"], []).append(line)
    if not by_supplier:
        raise ValidationFailed("No product can be ordered: none is low with a quantity to order and a supplier.",
                               zh="没有可下单的商品：没有低于补货点、有建议数量且有供应商的商品。",
                               code="nothing_to_order",
                               errors={"without_supplier": [r["sku"] for r in without],
                                       "skipped": [f"{r.get('sku', r['product_id'])}: {r['reason']}" for r in skipped]})
    orders = [purchasing.create_purchase_order({"supplier_id": sid, "warehouse_id": wh.id, "lines": lines,
                                                "notes": "Low stock / 低库存补货"}, user)
              for sid, lines in sorted(by_supplier.items())]
    return {"orders": orders, "without_supplier": without, "skipped": skipped}
