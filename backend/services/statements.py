"""Partner statements (对账单) and ageing of receivables / payables.

A statement lists, for one customer or supplier and a period, every document and payment that changed
what they owe: opening balance (everything dated before ``date_from``), the period's entries with a
running balance, and the closing balance = opening + documents − payments. The signs follow
``finance.balances`` (which it agrees with on the last day): for a customer, invoices add and credit notes
subtract ("documents"), payments received subtract and refunds paid add back ("payments", net); for a
supplier, goods receipts add, purchase returns subtract, payments made subtract, refunds received add.

Ageing groups the open documents (``finance.open_items``) by days past due on a date: a document's due
date, else its date plus the partner's payment terms. Unapplied credits (credit notes, purchase returns)
and unallocated payments are shown apart, so the buckets + credits − unallocated = the partner's balance.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import select

from backend.domain.money import ZERO, cents
from backend.errors import NotFound, ValidationFailed
from backend.extensions import db
from backend.models.base import utcnow
from backend.models.finance import Payment
from backend.models.partners import Customer, Supplier
from backend.services import finance

SIDES = ("customer", "supplier")
# payment direction that settles what the partner owes / is owed, and the one that refunds
SETTLE = {"customer": "in", "supplier": "out"}
BUCKETS = ("not_due", "d1_30", "d31_60", "d61_90", "d90_plus")
MAX_PERIOD_DAYS = 3660  # ten years on one statement is plenty; bounds the work


def _partner(side: str, partner_id: int):
    if side not in SIDES:
        raise ValidationFailed("Partner type is customer or supplier.", zh="往来类型为客户或供应商。",
                               errors={"partner_type": [f"One of {list(SIDES)}"]})
    p = db.session.get(Customer if side == "customer" else Supplier, partner_id)
    if p is None:
        raise NotFound(f"{side.title()} {partner_id} not found.", zh=f"往来单位 {partner_id} 不存在。",
                       errors={"partner_id": partner_id})
    return p


def _day(value) -> date:
    return value.date() if isinstance(value, datetime) else value


def _entries(side: str, partner_id: int, until: date) -> list[dict]:
    """Documents and payments of the partner dated up to ``until``, each with its signed effect."""
    out = []
    for doc_type, kind in finance.doc_kinds().items():
        if kind.partner_type != side:
            continue
        col = kind.model.customer_id if side == "customer" else kind.model.supplier_id
        for doc in db.session.scalars(select(kind.model).where(col == partner_id)):
            d = _day(getattr(doc, kind.date_attr))
            if d <= until:
                out.append({"date": d, "kind": "document", "doc_type": doc_type, "doc_id": doc.id,
                            "number": doc.number, "amount": cents(doc.total) * kind.sign, "due_date": getattr(doc, "due_date", None)})
    pcol = Payment.customer_id if side == "customer" else Payment.supplier_id
    for pay in db.session.scalars(select(Payment).where(pcol == partner_id, Payment.paid_on <= until)):
        sign = -1 if pay.direction == SETTLE[side] else 1
        out.append({"date": pay.paid_on, "kind": "payment", "doc_type": "payment_" + pay.direction, "doc_id": pay.id,
                    "number": pay.number, "amount": cents(pay.amount) * sign, "reference": pay.reference,
                    "method": pay.method, "due_date": None})
    order = {"document": 0, "payment": 1}
    return sorted(out, key=lambda e: (e["date"], order[e["kind"]], e["doc_id"]))


def statement(side: str, partner_id: int, date_from: date | None, date_to: date | None) -> dict:
    """The partner's statement for ``date_from``..``date_to`` (both inclusive; default: this month so far)."""
    p = _partner(side, partner_id)
    today = utcnow().date()
    date_to = date_to or today
    date_from = date_from or date_to.replace(day=1)
    if date_to < date_from:
        raise ValidationFailed("The period ends before it starts.", zh="期间的结束日期早于开始日期。",
                               errors={"date_to": ["Before date_from."]})
    if (date_to - date_from).days > MAX_PERIOD_DAYS:
        raise ValidationFailed("The period is too long (at most ten years).", zh="期间太长（最多十年）。",
                               errors={"date_from": [f"At most {MAX_PERIOD_DAYS} days before date_to."]})
    opening, documents, payments, lines = ZERO, ZERO, ZERO, []
    for e in _entries(side, partner_id, date_to):
        if e["date"] < date_from:
            opening += e["amount"]
            continue
        if e["kind"] == "document":
            documents += e["amount"]
        else:
            payments -= e["amount"]
        lines.append(e)
    running = opening
    for e in lines:
        running += e["amount"]
        e.update(debit=e["amount"] if e["amount"] > 0 else ZERO, credit=-e["amount"] if e["amount"] < 0 else ZERO,
                 balance=running)
    return {"partner_type": side, "partner_id": p.id, "code": p.code, "name": p.name, "tax_id": p.tax_id,
            "address": p.address, "date_from": date_from, "date_to": date_to, "opening": opening,
            "documents": documents, "payments": payments, "closing": opening + documents - payments,
            "lines": lines}


def ageing(side: str, as_of: date | None = None) -> list[dict]:
    """Per partner with a balance: open documents by days past due on ``as_of`` (default today)."""
    if side not in SIDES:
        raise ValidationFailed("Partner type is customer or supplier.", zh="往来类型为客户或供应商。",
                               errors={"partner_type": [f"One of {list(SIDES)}"]})
    as_of = as_of or utcnow().date()
    rows: dict[int, dict] = {}
    for b in finance.balances(side):
        rows[b["partner_id"]] = {"partner_type": side, "partner_id": b["partner_id"], "code": b["code"],
                                 "name": b["name"], "balance": b["balance"], "credits": ZERO, "open_total": ZERO,
                                 **dict.fromkeys(BUCKETS, ZERO), "oldest_due": None}
    model = Customer if side == "customer" else Supplier
    terms = dict(db.session.execute(select(model.id, model.payment_terms_days)).all())
    for item in finance.open_items(side):
        row = rows.get(item["partner_id"])
        if row is None:
            continue
        row["open_total"] += item["open"]
        if item["open"] < 0:
            row["credits"] += item["open"]
            continue
        due = item["due_date"] or item["date"] + timedelta(days=terms.get(item["partner_id"]) or 0)
        row[_bucket((as_of - due).days)] += item["open"]
        row["oldest_due"] = due if row["oldest_due"] is None else min(row["oldest_due"], due)
    for row in rows.values():
        row["unallocated"] = row["open_total"] - row["balance"]  # payments not yet matched to documents
    return [r for r in rows.values() if r["balance"] != 0 or r["open_total"] != 0]


def _bucket(days_late: int) -> str:
    if days_late <= 0:
        return "not_due"
    return "d1_30" if days_late <= 30 else "d31_60" if days_late <= 60 else "d61_90" if days_late <= 90 else "d90_plus"


def ageing_report(side: str, as_of: date | None = None) -> dict:
    """``ageing`` rows with their date and the column sums."""
    as_of = as_of or utcnow().date()
    rows = ageing(side, as_of)
    keys: tuple[str, ...] = ("balance", "credits", "open_total", "unallocated", *BUCKETS)
    totals: dict[str, Decimal] = {k: sum((r[k] for r in rows), ZERO) for k in keys}
    return {"as_of": as_of, "items": rows, "totals": totals}
