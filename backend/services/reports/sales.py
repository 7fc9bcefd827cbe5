"""Sales report: revenue net of tax, returns, cost of goods, gross margin by period or dimension.

Sales and cost of goods come from the stock ledger: ``shipment`` moves (doc_type ``shipment``) and
``return_in`` moves (doc_type ``sales_return``); a return is a negative sale. Revenue is net of tax and
discount at the order line's price; cost is the signed move value (moving-average cost).
"""
from __future__ import annotations

from sqlalchemy import and_, case, func, select

from backend.models.catalog import Product
from backend.models.ledger import StockMove
from backend.models.sales import (
    SalesOrder,
    SalesOrderLine,
    SalesReturnLine,
    ShipmentLine,
)
from backend.services.reports.common import (
    PERIODS,
    Range,
    collect,
    dim_expr,
    envelope,
    limit_rows,
    ratio,
    scope,
    sql_sum,
    sum_rows,
    where_wh,
)

SALES_GROUPS = PERIODS + ("product", "customer", "category", "warehouse")


def _sales_totals_stmt(rng: Range, whs, key):
    """Sales facts from the ledger: shipment moves (+) and sales-return moves (−), priced at the order line."""
    order_line = func.coalesce(ShipmentLine.order_line_id, SalesReturnLine.order_line_id)
    revenue = -StockMove.quantity * SalesOrderLine.unit_price * (1 - SalesOrderLine.discount_rate)
    stmt = (select(key.label("key"),
                   sql_sum(revenue).label("revenue"),
                   sql_sum(case((StockMove.quantity > 0, revenue), else_=0)).label("returns"),
                   sql_sum(-StockMove.value).label("cost"),
                   sql_sum(-StockMove.quantity).label("quantity"))
            .select_from(StockMove)
            .outerjoin(ShipmentLine, and_(StockMove.doc_type == "shipment", ShipmentLine.id == StockMove.doc_line_id))
            .outerjoin(SalesReturnLine, and_(StockMove.doc_type == "sales_return",
                                             SalesReturnLine.id == StockMove.doc_line_id))
            .join(SalesOrderLine, SalesOrderLine.id == order_line)
            .join(SalesOrder, SalesOrder.id == SalesOrderLine.order_id)
            .join(Product, Product.id == StockMove.product_id)
            .where(StockMove.kind.in_(("shipment", "return_in")),
                   StockMove.doc_type.in_(("shipment", "sales_return")),
                   StockMove.created_at >= rng.start, StockMove.created_at < rng.end)
            .group_by(key))
    return where_wh(stmt, StockMove.warehouse_id, whs)


SALES_MEASURES = {"quantity": "qty", "revenue": "money", "returns": "money", "cost": "money"}


def _sales_rows(rng: Range, whs, group_by: str) -> list[dict]:
    key = dim_expr(group_by, rng, ts=StockMove.created_at, product_id=StockMove.product_id,
                   warehouse_id=StockMove.warehouse_id, partner_id=SalesOrder.customer_id)
    rows = collect(group_by, rng, [_sales_totals_stmt(rng, whs, key)], SALES_MEASURES)
    for r in rows:
        r["returns"] = -r["returns"]  # shown as a positive deduction
        r["margin"] = r["revenue"] - r["cost"]
        r["margin_pct"] = ratio(r["margin"], r["revenue"], factor=100)
    return rows


def sales_report(args: dict, user) -> dict:
    """Revenue (net of tax), returns, cost of goods, gross margin and margin % by period or dimension."""
    rng, group_by = Range(args), args.get("group_by") or "day"
    whs = scope(user, args.get("warehouse_id"))
    rows = _sales_rows(rng, whs, group_by)
    totals = sum_rows(rows, ("quantity", "revenue", "returns", "cost", "margin"))
    totals["margin_pct"] = ratio(totals["margin"], totals["revenue"], factor=100)
    rows = limit_rows(rows, args, None if group_by in PERIODS else "revenue")
    return envelope("sales", rng, {**args, "group_by": group_by}, rows, totals)

