"""Low-stock alerts and per-warehouse reorder points.

Stable service API (also feeds the dashboard)::

    low_stock(args, user) -> {items, total, page, per_page}
        items: product, warehouse, quantity, in_transit, reorder_point, reorder_qty, suggested_qty
    set_reorder_point(data, user) -> ReorderPoint   # data = {product_id, warehouse_id, reorder_point, reorder_qty}
    delete_reorder_point(product_id, warehouse_id, user) -> None
    list_reorder_points(args, user) -> list[ReorderPoint]

A warehouse's reorder point overrides the product's own one. An item is listed when its on-hand is at or
below the reorder point (and the point is > 0); suggested order quantity = max(reorder_qty,
reorder_point − on_hand − in_transit), or 0 when stock in transit already covers it.
"""
from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select

from backend.domain.inventory import suggested_order_qty
from backend.extensions import db
from backend.models.inventory import ReorderPoint
from backend.services import stock
from backend.services.access import ensure_warehouse, require, visible_warehouses
from backend.services.stock import get_active_warehouse, get_product
from backend.services.uow import command


def low_stock(args: dict, user) -> dict:
    """Everything at or below its reorder point, with a suggested order quantity."""
    query = {**args, "below_reorder_point": True, "sort": args.get("sort") or "sku"}
    page = stock.list_stock(query, user)
    for it in page["items"]:
        it["suggested_qty"] = suggested_order_qty(it["quantity"], it["in_transit"], it["reorder_point"],
                                                  it["reorder_qty"])
    page.pop("total_value", None)
    return page


@command
def set_reorder_point(data: dict, user) -> ReorderPoint:
    require(user, "product.write")
    product, wh = get_product(data["product_id"]), get_active_warehouse(data["warehouse_id"])
    ensure_warehouse(user, wh.id)
    rp = db.session.scalar(select(ReorderPoint).where(ReorderPoint.product_id == product.id,
                                                      ReorderPoint.warehouse_id == wh.id))
    if rp is None:
        rp = ReorderPoint(product_id=product.id, warehouse_id=wh.id)
        db.session.add(rp)
    rp.reorder_point = Decimal(data.get("reorder_point") or 0)
    rp.reorder_qty = Decimal(data.get("reorder_qty") or 0)
    db.session.flush()
    return rp


@command
def delete_reorder_point(product_id: int, warehouse_id: int, user) -> None:
    require(user, "product.write")
    ensure_warehouse(user, warehouse_id)
    rp = db.session.scalar(select(ReorderPoint).where(ReorderPoint.product_id == product_id,
                                                      ReorderPoint.warehouse_id == warehouse_id))
    if rp is not None:
        db.session.delete(rp)
        db.session.flush()


def list_reorder_points(args: dict, user) -> list[ReorderPoint]:
    stmt = select(ReorderPoint).order_by(ReorderPoint.product_id, ReorderPoint.warehouse_id)
    ids = visible_warehouses(user)
    if ids is not None:
        stmt = stmt.where(ReorderPoint.warehouse_id.in_(ids))
    for f in ("product_id", "warehouse_id"):
        if args.get(f):
            stmt = stmt.where(getattr(ReorderPoint, f) == args[f])
    return list(db.session.scalars(stmt))
