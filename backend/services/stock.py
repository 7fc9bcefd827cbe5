"""Stock read side and shared inventory helpers.

Public functions (stable names, also used by sync and reports)::

    list_stock(args, user) -> {items, total, page, per_page, total_value}
    list_moves(args, user) -> {items, total, page, per_page}
    in_transit_by_destination(product_id=None, warehouse_id=None) -> {(product_id, warehouse_id): Decimal}
    verify_ledger() -> list[dict]          # mismatches; empty list = ledger consistent

Who may act where (require, ensure_warehouse, lock): ``backend.services.access``.
"""
from __future__ import annotations

from decimal import Decimal

from sqlalchemy import and_, func, or_, select, union

from backend.auth.visibility import refuse_cost_sort
from backend.domain.flows import TRANSFER_FLOW
from backend.errors import ValidationFailed
from backend.extensions import db
from backend.models.catalog import Product
from backend.models.inventory import ReorderPoint, Transfer, TransferLine
from backend.models.ledger import StockLevel, StockMove
from backend.models.warehouses import Warehouse
from backend.services import crud
from backend.services.access import visible_warehouses

OPEN_TRANSFER = TRANSFER_FLOW.group("in_transit")
Q = Decimal("0.0001")


def get_product(product_id: int) -> Product:
    return crud.get_or_404(Product, product_id, "Product")


def get_active_warehouse(warehouse_id: int) -> Warehouse:
    return crud.get_or_404(Warehouse, warehouse_id, "Warehouse")


def _in_transit_stmt():
    return (select(TransferLine.product_id.label("product_id"), Transfer.to_warehouse_id.label("warehouse_id"),
                   func.sum(TransferLine.shipped_qty - TransferLine.received_qty - TransferLine.resolved_qty)
                   .label("in_transit"))
            .join(Transfer, Transfer.id == TransferLine.transfer_id)
            .where(Transfer.status.in_(OPEN_TRANSFER))
            .group_by(TransferLine.product_id, Transfer.to_warehouse_id))


def in_transit_by_destination(product_id: int | None = None, warehouse_id: int | None = None) -> dict:
    """Quantity shipped towards each (product, destination warehouse) and not yet received or resolved."""
    stmt = _in_transit_stmt()
    if product_id:
        stmt = stmt.where(TransferLine.product_id == product_id)
    if warehouse_id:
        stmt = stmt.where(Transfer.to_warehouse_id == warehouse_id)
    return {(r.product_id, r.warehouse_id): Decimal(r.in_transit).quantize(Q)
            for r in db.session.execute(stmt) if r.in_transit}


def _key_filter(stmt, product_col, warehouse_col, args: dict, ids: set[int] | None):
    """The product / warehouse / scope filters, applied inside each branch of the keys' union (outside it,
    the union of every (product, warehouse) would be built first: cost grows with catalogue × warehouses)."""
    if ids is not None:
        stmt = stmt.where(warehouse_col.in_(ids))
    if args.get("product_id"):
        stmt = stmt.where(product_col == args["product_id"])
    if args.get("warehouse_id"):
        stmt = stmt.where(warehouse_col == args["warehouse_id"])
    return stmt


def _stock_query(args: dict, user):
    """Rows per (product, warehouse) that have a level or stock in transit towards them."""
    ids = visible_warehouses(user)
    transit = _key_filter(_in_transit_stmt(), TransferLine.product_id, Transfer.to_warehouse_id, args, ids
                          ).subquery("transit")
    keys = union(_key_filter(select(StockLevel.product_id, StockLevel.warehouse_id),
                             StockLevel.product_id, StockLevel.warehouse_id, args, ids),
                 select(transit.c.product_id, transit.c.warehouse_id),
                 # a per-warehouse reorder point makes a never-stocked product show up (and alert)
                 _key_filter(select(ReorderPoint.product_id, ReorderPoint.warehouse_id)
                             .where(ReorderPoint.reorder_point > 0),
                             ReorderPoint.product_id, ReorderPoint.warehouse_id, args, ids)
                 ).subquery("keys")
    rp_point = func.coalesce(ReorderPoint.reorder_point, Product.reorder_point)
    rp_qty = func.coalesce(ReorderPoint.reorder_qty, Product.reorder_qty)
    qty = func.coalesce(StockLevel.quantity, 0)
    stmt = (select(keys.c.product_id, keys.c.warehouse_id, Product.sku, Product.name, Product.name_en, Product.category,
                   Product.unit, Warehouse.code.label("warehouse_code"),
                   qty.label("quantity"), func.coalesce(StockLevel.avg_cost, 0).label("avg_cost"),
                   func.coalesce(StockLevel.value, 0).label("value"),
                   func.coalesce(transit.c.in_transit, 0).label("in_transit"),
                   rp_point.label("reorder_point"), rp_qty.label("reorder_qty"))
            .select_from(keys)
            .join(Product, Product.id == keys.c.product_id)
            .join(Warehouse, Warehouse.id == keys.c.warehouse_id)
            .outerjoin(StockLevel, and_(StockLevel.product_id == keys.c.product_id,
                                        StockLevel.warehouse_id == keys.c.warehouse_id))
            .outerjoin(transit, and_(transit.c.product_id == keys.c.product_id,
                                     transit.c.warehouse_id == keys.c.warehouse_id))
            .outerjoin(ReorderPoint, and_(ReorderPoint.product_id == keys.c.product_id,
                                          ReorderPoint.warehouse_id == keys.c.warehouse_id)))
    if args.get("category"):
        stmt = stmt.where(Product.category == args["category"])
    if args.get("q"):
        like = f"%{args['q'].strip().lower()}%"
        stmt = stmt.where(or_(func.lower(Product.sku).like(like), func.lower(Product.name).like(like)))
    if args.get("below_reorder_point"):
        stmt = stmt.where(rp_point > 0, qty <= rp_point)
    if not args.get("include_zero", True):
        stmt = stmt.where(or_(qty != 0, func.coalesce(transit.c.in_transit, 0) != 0))
    return stmt, rp_point, qty


def list_stock(args: dict, user) -> dict:
    """Stock levels with value, in-transit (incoming) quantity and the effective reorder point."""
    refuse_cost_sort(args.get("sort"), ("value",), user)
    stmt, _, _ = _stock_query(args, user)
    sub = stmt.subquery()
    total, total_value = db.session.execute(
        select(func.count(), func.coalesce(func.sum(sub.c.value), 0))).one()
    key = (args.get("sort") or "sku")
    desc = key.startswith("-")
    col = {"sku": sub.c.sku, "name": sub.c.name, "category": sub.c.category, "quantity": sub.c.quantity,
           "value": sub.c.value, "warehouse": sub.c.warehouse_code}.get(key.lstrip("-"))
    if col is None:
        allowed = "One of: sku, name, category, quantity, value, warehouse"
        raise ValidationFailed(f"Cannot sort by {key!r}.", zh=f"不能按 {key!r} 排序。", errors={"sort": [allowed]})
    page, per_page = args.get("page", 1), args.get("per_page", 50)
    rows = db.session.execute(select(sub).order_by(col.desc() if desc else col.asc(), sub.c.product_id,
                                                   sub.c.warehouse_id)
                              .limit(per_page).offset((page - 1) * per_page)).mappings().all()
    items = []
    for r in rows:
        d = dict(r)
        for k in ("quantity", "avg_cost", "value", "in_transit", "reorder_point", "reorder_qty"):
            d[k] = Decimal(d[k] or 0).quantize(Q)
        d["below_reorder_point"] = d["reorder_point"] > 0 and d["quantity"] <= d["reorder_point"]
        items.append(d)
    return {"items": items, "total": total, "page": page, "per_page": per_page,
            "total_value": Decimal(total_value or 0).quantize(Q)}


def list_moves(args: dict, user) -> dict:
    """Move history (newest first) with filters."""
    stmt = select(StockMove)
    ids = visible_warehouses(user)
    if ids is not None:
        stmt = stmt.where(StockMove.warehouse_id.in_(ids))
    for field in ("product_id", "warehouse_id", "location_id", "kind", "doc_type", "doc_id", "op_id", "user_id"):
        if args.get(field) is not None:
            stmt = stmt.where(getattr(StockMove, field) == args[field])
    if args.get("since"):
        stmt = stmt.where(StockMove.created_at >= args["since"])
    if args.get("until"):
        stmt = stmt.where(StockMove.created_at <= args["until"])
    stmt = stmt.order_by(StockMove.id.desc() if args.get("order", "desc") == "desc" else StockMove.id.asc())
    return crud.paginate(stmt, args.get("page", 1), args.get("per_page", 50))


def verify_ledger(tolerance: Decimal = Decimal("0.01")) -> list[dict]:
    """Every level: quantity = Σ moves.quantity, value = Σ moves.value, value ≈ quantity × avg, ≥ 0.

    Returns the mismatches (an empty list means the ledger is consistent).
    """
    sums = (select(StockMove.product_id, StockMove.warehouse_id,
                   func.sum(StockMove.quantity).label("q"), func.sum(StockMove.value).label("v"))
            .group_by(StockMove.product_id, StockMove.warehouse_id).subquery())
    levels = {(lv.product_id, lv.warehouse_id): lv for lv in db.session.scalars(select(StockLevel))}
    moved = {(r.product_id, r.warehouse_id): (Decimal(r.q or 0).quantize(Q), Decimal(r.v or 0).quantize(Q))
             for r in db.session.execute(select(sums))}
    bad = []
    for key in sorted(set(levels) | set(moved)):
        lv = levels.get(key)
        mq, mv = moved.get(key, (Decimal(0), Decimal(0)))
        lq = lv.quantity if lv else Decimal(0)
        lval = lv.value if lv else Decimal(0)
        problems = []
        if lq != mq:
            problems.append(f"quantity {lq} != sum of moves {mq}")
        if abs(lval - mv) > tolerance:
            problems.append(f"value {lval} != sum of move values {mv}")
        if lq < 0:
            problems.append(f"negative quantity {lq}")
        if lv is not None and lq > 0 and abs(lq * lv.avg_cost - lval) > max(tolerance, lq * Decimal("0.0001")):
            problems.append(f"value {lval} != quantity × average {lq * lv.avg_cost}")
        if lv is not None and lq == 0 and lval != 0:
            problems.append(f"value {lval} without stock")
        if problems:
            bad.append({"product_id": key[0], "warehouse_id": key[1], "problems": problems})
    return bad


__all__ = ["in_transit_by_destination", "list_moves", "list_stock", "verify_ledger"]
