"""Finance report: receivables/payables ageing as of ``date_to``, money in/out by period, expenses by category.

Payments and expenses belong to the company, not to a warehouse: warehouse-bound users are refused.
"""
from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from decimal import Decimal

from sqlalchemy import func, select

from backend.domain.flows import EXPENSE_FLOW
from backend.errors import PermissionDenied
from backend.extensions import db
from backend.models.base import UTCDateTime
from backend.models.finance import Allocation, Expense, Payment
from backend.models.purchasing import GoodsReceipt, PurchaseReturn
from backend.models.sales import CreditNote, Invoice
from backend.services.reports.common import (
    PERIODS,
    ZERO,
    Range,
    as_date,
    envelope,
    label_map,
    limit_rows,
    money,
    period_keys,
    period_label,
    period_start,
    ratio,
    sql_sum,
    sum_rows,
)

FINANCE_VIEWS = ("receivables", "payables", "payments", "expenses")
BUCKETS = ("d0_30", "d31_60", "d61_90", "d90_plus")


def _bucket(age: int) -> str:
    return "d0_30" if age <= 30 else "d31_60" if age <= 60 else "d61_90" if age <= 90 else "d90_plus"


def _alloc_sum(side: str, doc_type: str, end: datetime):
    col = Allocation.target_id if side == "target" else Allocation.source_id
    typ = Allocation.target_type if side == "target" else Allocation.source_type
    return (select(col.label("doc_id"), sql_sum(Allocation.amount).label("amt"))
            .where(typ == doc_type, Allocation.created_at < end).group_by(col).subquery())


def _open_docs(model, doc_type: str, partner_col, date_col, rng: Range, is_credit: bool):
    """(partner_id, doc date, open amount as of the end of the range) per document with something open."""
    to = _alloc_sum("target", doc_type, rng.end)
    cols = [model.id, partner_col.label("partner_id"), date_col.label("d"), model.total,
            func.coalesce(to.c.amt, 0).label("used")]
    stmt = select(*cols).outerjoin(to, to.c.doc_id == model.id)
    if is_credit:
        frm = _alloc_sum("source", doc_type, rng.end)
        stmt = stmt.add_columns(func.coalesce(frm.c.amt, 0).label("used_from")).outerjoin(frm, frm.c.doc_id == model.id)
    is_timestamp = isinstance(date_col.type, UTCDateTime)
    stmt = stmt.where(date_col < rng.end if is_timestamp else date_col <= rng.date_to)
    for r in db.session.execute(stmt).mappings():
        open_ = money(Decimal(r["total"]) - Decimal(r["used"]) - Decimal(r.get("used_from", 0) or 0))
        if open_:
            d = rng.local_date(r["d"]) if isinstance(r["d"], datetime) else r["d"]
            yield r["partner_id"], d, open_


def _ageing(side: str, rng: Range) -> tuple[list[dict], dict]:
    if side == "customer":
        docs = [(Invoice, "invoice", Invoice.customer_id, Invoice.invoice_date, False, 1),
                (CreditNote, "credit_note", CreditNote.customer_id, CreditNote.credit_date, True, -1)]
        pcol, owe_dir = Payment.customer_id, "out"
    else:
        docs = [(GoodsReceipt, "receipt", GoodsReceipt.supplier_id, GoodsReceipt.received_at, False, 1),
                (PurchaseReturn, "purchase_return", PurchaseReturn.supplier_id, PurchaseReturn.returned_at, True, -1)]
        pcol, owe_dir = Payment.supplier_id, "in"
    acc: dict = defaultdict(lambda: defaultdict(Decimal))
    as_of = rng.date_to
    for m, dt, pc, dc, credit, sign in docs:
        for pid, d, open_ in _open_docs(m, dt, pc, dc, rng, credit):
            acc[pid][_bucket((as_of - d).days)] += sign * open_
    # payments not (yet) allocated: received money lowers what is owed, refunds raise it
    used = _alloc_sum("source", "payment", rng.end)
    stmt = (select(pcol.label("pid"), Payment.direction, Payment.amount, func.coalesce(used.c.amt, 0).label("u"))
            .outerjoin(used, used.c.doc_id == Payment.id)
            .where(Payment.partner_type == side, Payment.paid_on <= as_of))
    for r in db.session.execute(stmt).mappings():
        left = money(Decimal(r["amount"]) - Decimal(r["u"]))
        if left:
            acc[r["pid"]]["unapplied"] += left if r["direction"] == owe_dir else -left
    labels = label_map("customer" if side == "customer" else "supplier", list(acc))
    rows = []
    for pid, b in acc.items():
        row = {"key": str(pid), "code": labels.get(pid, ("", ""))[0], "name": labels.get(pid, ("", str(pid)))[1]}
        row.update({k: money(b.get(k)) for k in BUCKETS + ("unapplied",)})
        row["total"] = sum((row[k] for k in BUCKETS + ("unapplied",)), ZERO)
        if any(row[k] for k in BUCKETS + ("unapplied",)):
            rows.append(row)
    rows.sort(key=lambda r: (-r["total"], r["code"]))
    return rows, sum_rows(rows, BUCKETS + ("unapplied", "total"))


def _cashflow(rng: Range, grain: str) -> tuple[list[dict], dict]:
    acc: dict = defaultdict(lambda: defaultdict(Decimal))
    pay = (select(Payment.paid_on, Payment.direction, sql_sum(Payment.amount).label("amt"))
           .where(Payment.paid_on >= rng.date_from, Payment.paid_on <= rng.date_to)
           .group_by(Payment.paid_on, Payment.direction))
    for r in db.session.execute(pay):
        acc[period_start(as_date(r.paid_on), grain)]["money_in" if r.direction == "in" else "money_out"] += r.amt
    exp = (select(Expense.expense_date, sql_sum(Expense.amount).label("amt"))
           .where(Expense.expense_date >= rng.date_from, Expense.expense_date <= rng.date_to,
                  Expense.status.in_(EXPENSE_FLOW.group("counted")))
           .group_by(Expense.expense_date))
    for r in db.session.execute(exp):
        acc[period_start(as_date(r.expense_date), grain)]["expenses"] += r.amt
    rows = []
    for p in period_keys(rng, grain):
        a = acc.get(p, {})
        row = {"key": p.isoformat(), "code": "", "name": period_label(p, grain),
               "money_in": money(a.get("money_in")), "money_out": money(a.get("money_out")),
               "expenses": money(a.get("expenses"))}
        row["net"] = row["money_in"] - row["money_out"] - row["expenses"]
        rows.append(row)
    return rows, sum_rows(rows, ("money_in", "money_out", "expenses", "net"))


def _expenses(rng: Range) -> tuple[list[dict], dict]:
    stmt = (select(Expense.category, func.count().label("n"), sql_sum(Expense.amount).label("amt"))
            .where(Expense.expense_date >= rng.date_from, Expense.expense_date <= rng.date_to,
                   Expense.status.in_(EXPENSE_FLOW.group("counted")))
            .group_by(Expense.category))
    rows = [{"key": r.category, "code": "", "name": r.category, "count": r.n, "amount": money(r.amt)}
            for r in db.session.execute(stmt)]
    total = sum((r["amount"] for r in rows), ZERO)
    for r in rows:
        r["share_pct"] = ratio(r["amount"], total, factor=100)
    rows.sort(key=lambda r: (-r["amount"], r["name"]))
    return rows, {"count": sum(r["count"] for r in rows), "amount": total, "share_pct": ratio(total, total, factor=100)}


def finance_report(args: dict, user) -> dict:
    """Receivables/payables ageing as of ``date_to``, money in/out by period, or expenses by category."""
    rng, view = Range(args), args.get("view") or "receivables"
    if user is not None and user.warehouse_ids is not None:
        # payments and expenses belong to the company, not to a warehouse: no partial (misleading) figures
        raise PermissionDenied("Finance reports cover all warehouses.", code="warehouse_forbidden")
    if view in ("receivables", "payables"):
        rows, totals = _ageing("customer" if view == "receivables" else "supplier", rng)
        args = {**args, "group_by": "customer" if view == "receivables" else "supplier"}
    elif view == "payments":
        args = {**args, "group_by": args.get("group_by") if args.get("group_by") in PERIODS else "month"}
        rows, totals = _cashflow(rng, args["group_by"])
    else:
        rows, totals = _expenses(rng)
        args = {**args, "group_by": "category"}
    rows = limit_rows(rows, args, None)
    return envelope("finance", rng, {**args, "view": view}, rows, totals, as_of=rng.date_to)

