"""Purchase report: ordered (approved orders), received, returned and still open, net of tax."""
from __future__ import annotations

from sqlalchemy import and_, case, select

from backend.domain.flows import PO_FLOW
from backend.models.catalog import Product
from backend.models.purchasing import (
    GoodsReceipt,
    GoodsReceiptLine,
    PurchaseOrder,
    PurchaseOrderLine,
    PurchaseReturn,
    PurchaseReturnLine,
)
from backend.services.reports.common import (
    PERIODS,
    Range,
    collect,
    dim_expr,
    envelope,
    limit_rows,
    scope,
    sql_sum,
    sum_rows,
    where_wh,
)

PURCHASE_GROUPS = PERIODS + ("supplier", "product", "category", "warehouse")
PO_ORDERED = PO_FLOW.group("ordered")
PO_OPEN = PO_FLOW.group("open")
PURCHASE_MEASURES = {"ordered_qty": "qty", "ordered_amount": "money", "received_qty": "qty",
                     "received_amount": "money", "returned_qty": "qty", "returned_amount": "money",
                     "open_qty": "qty", "open_amount": "money"}


def purchase_report(args: dict, user) -> dict:
    """Ordered (approved orders), received, returned (net of tax) and still open, by supplier/product/period."""
    rng, group_by = Range(args), args.get("group_by") or "supplier"
    whs = scope(user, args.get("warehouse_id"))

    def key(ts, product_col, wh_col, supplier_col):
        return dim_expr(group_by, rng, ts=ts, product_id=product_col, warehouse_id=wh_col,
                        partner_id=supplier_col).label("key")

    L, PO = PurchaseOrderLine, PurchaseOrder
    k = key(PO.approved_at, L.product_id, PO.warehouse_id, PO.supplier_id)
    open_q = case((and_(PO.status.in_(PO_OPEN), L.quantity > L.received_qty), L.quantity - L.received_qty), else_=0)
    ordered = (select(k, sql_sum(L.quantity).label("ordered_qty"), sql_sum(L.amount).label("ordered_amount"),
                      sql_sum(open_q).label("open_qty"), sql_sum(open_q * L.unit_price).label("open_amount"))
               .select_from(L).join(PO, PO.id == L.order_id).join(Product, Product.id == L.product_id)
               .where(PO.status.in_(PO_ORDERED), PO.approved_at >= rng.start, PO.approved_at < rng.end).group_by(k))
    GL, G = GoodsReceiptLine, GoodsReceipt
    k = key(G.received_at, GL.product_id, G.warehouse_id, G.supplier_id)
    received = (select(k, sql_sum(GL.quantity).label("received_qty"), sql_sum(GL.amount).label("received_amount"))
                .select_from(GL).join(G, G.id == GL.receipt_id).join(Product, Product.id == GL.product_id)
                .where(G.received_at >= rng.start, G.received_at < rng.end).group_by(k))
    RL, R = PurchaseReturnLine, PurchaseReturn
    k = key(R.returned_at, RL.product_id, R.warehouse_id, R.supplier_id)
    returned = (select(k, sql_sum(RL.quantity).label("returned_qty"), sql_sum(RL.amount).label("returned_amount"))
                .select_from(RL).join(R, R.id == RL.return_id).join(Product, Product.id == RL.product_id)
                .where(R.returned_at >= rng.start, R.returned_at < rng.end).group_by(k))
    stmts = [where_wh(ordered, PO.warehouse_id, whs), where_wh(received, G.warehouse_id, whs),
             where_wh(returned, R.warehouse_id, whs)]
    rows = collect(group_by, rng, stmts, PURCHASE_MEASURES)
    for r in rows:
        r["net_amount"] = r["received_amount"] - r["returned_amount"]
    totals = sum_rows(rows, list(PURCHASE_MEASURES) + ["net_amount"])
    rows = limit_rows(rows, args, None if group_by in PERIODS else "received_amount")
    return envelope("purchases", rng, {**args, "group_by": group_by}, rows, totals)

