"""The dashboard: today's and this month's sales and margin, open orders, approvals, low stock, stock value."""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select

from backend.domain.flows import SO_FLOW
from backend.extensions import db
from backend.models.ledger import StockLevel
from backend.models.purchasing import PurchaseOrder
from backend.models.sales import SalesOrder
from backend.services import alerts, inbox
from backend.services.reports.common import Range, money, scope, sql_sum, where_wh
from backend.services.reports.purchases import PO_OPEN
from backend.services.reports.sales import sales_report

SO_OPEN = SO_FLOW.group("open")


def dashboard(args: dict, user) -> dict:
    """Today's and this month's sales and margin, open orders, approvals waiting, low stock, stock value.

    Each figure needs its own permission; figures the user may not see are None.
    """
    zone = Range({"tz": args.get("tz")}).zone
    today = datetime.now(zone).date()
    whs = scope(user, None)

    def can(p):
        return user is None or user.can(p)

    out: dict = {"date": today, "tz": zone.key}
    if can("report.view"):
        for name, d_from in (("today", today), ("month", today.replace(day=1))):
            rep = sales_report({"date_from": d_from, "date_to": today, "tz": zone.key, "group_by": "month"}, user)
            t = rep["totals"]
            out[name] = {"revenue": t["revenue"], "cost": t["cost"], "margin": t["margin"],
                         "margin_pct": t["margin_pct"], "quantity": t["quantity"]}
        trend = sales_report({"date_from": today - timedelta(days=29), "date_to": today, "tz": zone.key,
                              "group_by": "day"}, user)
        out["trend"] = [{"date": r["key"], "revenue": r["revenue"], "margin": r["margin"]} for r in trend["rows"]]
    else:
        out["today"] = out["month"] = out["trend"] = None
    if can("report.view") or can("stock.view"):
        out["stock_value"] = money(db.session.scalar(where_wh(select(sql_sum(StockLevel.value)),
                                                              StockLevel.warehouse_id, whs)))
    else:
        out["stock_value"] = None
    out["open_purchase_orders"] = db.session.scalar(where_wh(
        select(func.count()).select_from(PurchaseOrder).where(PurchaseOrder.status.in_(PO_OPEN)),
        PurchaseOrder.warehouse_id, whs)) if can("purchase.view") else None
    out["open_sales_orders"] = db.session.scalar(where_wh(
        select(func.count()).select_from(SalesOrder).where(SalesOrder.status.in_(SO_OPEN)),
        SalesOrder.warehouse_id, whs)) if can("sales.view") else None
    if can("stock.view"):
        out["low_stock"] = alerts.low_stock({"page": 1, "per_page": 1}, user)["total"]
    else:
        out["low_stock"] = None
    out["pending_approvals"] = len(inbox.pending_for(user)) if user is not None else 0
    return out

