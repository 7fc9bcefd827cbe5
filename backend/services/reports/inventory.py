"""Inventory report: on-hand and value at the end of the range, in transit, turnover and days of cover;
or slow movers (stock with no outgoing move for ``slow_days``)."""
from __future__ import annotations

from collections import defaultdict
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import and_, case, func, or_, select

from backend.domain.flows import TRANSFER_FLOW
from backend.extensions import db
from backend.models.catalog import Product
from backend.models.inventory import Transfer, TransferLine
from backend.models.ledger import StockMove
from backend.models.warehouses import Warehouse
from backend.services.reports.common import (
    Q4,
    ZERO,
    Range,
    envelope,
    label_map,
    limit_rows,
    money,
    qty,
    ratio,
    scope,
    sql_sum,
    sum_rows,
    where_wh,
)

INVENTORY_GROUPS = ("product", "warehouse", "category")
INVENTORY_VIEWS = ("stock", "slow_movers")
OUTGOING_KINDS = ("shipment", "transfer_out")  # "movement" for slow movers: sold or sent elsewhere
OPEN_TRANSFER = TRANSFER_FLOW.group("in_transit")
DAY_TENTH = Decimal("0.1")


def _inventory_moves(rng: Range, whs):
    """Per (product, warehouse): opening/closing quantity and value, COGS and net sold quantity in the
    period, last outgoing and first incoming move up to the end of the period."""
    M = StockMove
    before_start, in_period = M.created_at < rng.start, M.created_at >= rng.start
    sale = and_(in_period, M.kind.in_(("shipment", "return_in")),
                M.doc_type.in_(("shipment", "sales_return")))
    stmt = (select(M.product_id, M.warehouse_id,
                   sql_sum(case((before_start, M.quantity), else_=0)).label("opening_qty"),
                   sql_sum(case((before_start, M.value), else_=0)).label("opening_value"),
                   sql_sum(M.quantity).label("closing_qty"), sql_sum(M.value).label("closing_value"),
                   sql_sum(case((sale, -M.value), else_=0)).label("cogs"),
                   sql_sum(case((sale, -M.quantity), else_=0)).label("sold_qty"),
                   func.max(case((and_(M.quantity < 0, M.kind.in_(OUTGOING_KINDS)), M.created_at))).label("last_out"),
                   func.min(case((M.quantity > 0, M.created_at))).label("first_in"))
            .where(M.created_at < rng.end).group_by(M.product_id, M.warehouse_id))
    return where_wh(stmt, M.warehouse_id, whs)


def _in_transit(whs) -> dict:
    """Now: quantity and value shipped towards each (product, destination) and not yet received."""
    open_q = TransferLine.shipped_qty - TransferLine.received_qty - TransferLine.resolved_qty
    stmt = (select(TransferLine.product_id, Transfer.to_warehouse_id, sql_sum(open_q).label("q"),
                   sql_sum(open_q * func.coalesce(TransferLine.unit_cost, 0)).label("v"))
            .join(Transfer, Transfer.id == TransferLine.transfer_id)
            .where(Transfer.status.in_(OPEN_TRANSFER))
            .group_by(TransferLine.product_id, Transfer.to_warehouse_id))
    stmt = where_wh(stmt, Transfer.to_warehouse_id, whs)
    return {(r.product_id, r.to_warehouse_id): (Decimal(r.q), Decimal(r.v)) for r in db.session.execute(stmt)}


def _slow_movers(rng: Range, whs, args) -> tuple[list[dict], dict]:
    days = args.get("slow_days") or 90
    cutoff = rng.end - timedelta(days=days)
    sub = _inventory_moves(rng, whs).subquery()
    stmt = (select(sub, Product.sku, Product.name, Product.category, Warehouse.code.label("warehouse_code"))
            .join(Product, Product.id == sub.c.product_id).join(Warehouse, Warehouse.id == sub.c.warehouse_id)
            .where(sub.c.closing_qty > 0, sub.c.first_in < cutoff,
                   or_(sub.c.last_out.is_(None), sub.c.last_out < cutoff)))
    rows = []
    for r in db.session.execute(stmt).mappings():
        last = r["last_out"]
        since = r["first_in"] if last is None else last
        rows.append({"key": f"{r['product_id']}-{r['warehouse_id']}", "product_id": r["product_id"],
                     "warehouse_id": r["warehouse_id"], "code": r["sku"], "name": r["name"],
                     "category": r["category"], "warehouse_code": r["warehouse_code"],
                     "quantity": qty(r["closing_qty"]), "value": money(r["closing_value"]),
                     "last_out_at": last, "days_idle": (rng.end - since).days})
    rows.sort(key=lambda x: (-x["value"], x["code"], x["warehouse_code"]))
    totals = sum_rows(rows, ("quantity", "value"))
    totals["count"] = len(rows)
    return rows, totals


INVENTORY_MEASURES = ("opening_qty", "opening_value", "closing_qty", "closing_value", "cogs", "sold_qty")
STOCK_SUMS = ("quantity", "value", "in_transit_qty", "in_transit_value", "opening_value", "average_value", "cogs",
              "sold_qty")


def _stock_by_key(rng: Range, whs, group_by: str) -> dict:
    """{key: summed ledger measures} per product, warehouse or category."""
    sub = _inventory_moves(rng, whs).subquery()
    key = {"product": sub.c.product_id, "warehouse": sub.c.warehouse_id,
           "category": func.coalesce(Product.category, "")}[group_by]
    stmt = (select(key.label("key"), *[sql_sum(sub.c[m]).label(m) for m in INVENTORY_MEASURES])
            .select_from(sub).join(Product, Product.id == sub.c.product_id).group_by(key))
    return {r["key"]: r for r in db.session.execute(stmt).mappings()}


def _transit_by_key(whs, group_by: str) -> dict:
    """{key: [quantity, value]} in transit towards the user's warehouses, per product, warehouse or category."""
    transit: dict = defaultdict(lambda: [ZERO, ZERO])
    moving = _in_transit(whs)
    cats: dict = {}
    if group_by == "category" and moving:
        cats = dict(db.session.execute(select(Product.id, func.coalesce(Product.category, ""))
                                       .where(Product.id.in_({p for p, _ in moving}))).all())
    for (pid, wid), (q, v) in moving.items():
        k = {"product": pid, "warehouse": wid}.get(group_by) if group_by != "category" else cats.get(pid, "")
        transit[k][0] += q
        transit[k][1] += v
    return transit


def _turnover(cogs: Decimal, average: Decimal) -> Decimal | None:
    return ratio(cogs, average) if average > 0 and cogs > 0 else None


def _days_of_cover(value: Decimal, days: int, cogs: Decimal) -> Decimal | None:
    return ratio(value * days, cogs, DAY_TENTH) if cogs > 0 else None


def _stock_row(k, a, transit: list, label: tuple, rng: Range, group_by: str) -> dict | None:
    """One row of the stock view, or None when the key has nothing on hand, moved or in transit."""
    opening, closing, cogs = money(a.get("opening_value")), money(a.get("closing_value")), money(a.get("cogs"))
    if not (qty(a.get("closing_qty")) or closing or cogs or opening or transit[0]):
        return None
    avg = (opening + closing) / 2
    return {"key": str(k), "code": label[0], "name": label[1],
            "quantity": qty(a.get("closing_qty")), "value": closing,
            "avg_cost": ratio(closing, a.get("closing_qty"), Q4) if group_by == "product" else None,
            "in_transit_qty": qty(transit[0]), "in_transit_value": money(transit[1]),
            "opening_value": opening, "average_value": money(avg), "cogs": cogs,
            "sold_qty": qty(a.get("sold_qty")),
            "turnover": _turnover(cogs, avg), "days_of_cover": _days_of_cover(closing, rng.days, cogs)}


def _stock_view(rng: Range, whs, group_by: str) -> tuple[list[dict], dict]:
    acc = _stock_by_key(rng, whs, group_by)
    transit = _transit_by_key(whs, group_by)
    keys = set(acc) | set(transit)
    labels = label_map(group_by, keys)
    rows = [row for k in keys
            if (row := _stock_row(k, acc.get(k) or {}, transit[k], labels.get(k, ("", str(k))), rng, group_by))]
    rows.sort(key=lambda r: (-r["value"], r["code"], r["key"]))
    totals = sum_rows(rows, STOCK_SUMS)
    totals["turnover"] = _turnover(totals["cogs"], totals["average_value"])
    totals["days_of_cover"] = _days_of_cover(totals["value"], rng.days, totals["cogs"])
    return rows, totals


def inventory_report(args: dict, user) -> dict:
    """On-hand and value at the end of the range, in transit, turnover and days of cover; or slow movers."""
    rng, view = Range(args), args.get("view") or "stock"
    whs = scope(user, args.get("warehouse_id"))
    if view == "slow_movers":
        rows, totals = _slow_movers(rng, whs, args)
        rows = limit_rows(rows, args, None)
        return envelope("inventory", rng, {**args, "view": view}, rows, totals, slow_days=args.get("slow_days") or 90)
    group_by = args.get("group_by") or "product"
    rows, totals = _stock_view(rng, whs, group_by)
    rows = limit_rows(rows, args, None)
    return envelope("inventory", rng, {**args, "group_by": group_by, "view": view}, rows, totals)
