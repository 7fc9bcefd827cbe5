"""What a manager needs to decide an inbox item without opening the document: its lines and prices, the
sales margin and the customer's balance against the credit limit, the variance of a stocktake, who
submitted it when and the earlier approval steps.

``detail(user, item)`` adds these keys to an item of ``backend.services.inbox``; ``figures(doc_type, doc,
user)`` is the short form (number, status, version, amount, lines) a refused offline decision carries
as "the new figures". Costs (purchase prices, average costs, stock values, margin) are left out — the key
is absent — for users without ``cost.view`` (``backend/auth/visibility.py``).
"""
from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from backend.auth.visibility import can_see_costs
from backend.domain.money import ZERO, cents
from backend.extensions import db
from backend.models.catalog import Product
from backend.models.finance import Expense
from backend.models.inventory import Adjustment, Stocktake, Transfer
from backend.models.purchasing import PurchaseOrder
from backend.models.sales import SalesOrder
from backend.models.users import User
from backend.services import approvals, finance, ledger

MAX_LINES = 50  # an inbox card lists at most this many lines (flagged / largest first); the document has all

MODELS = {"purchase_order": PurchaseOrder, "sales_order": SalesOrder, "adjustment": Adjustment,
          "stocktake": Stocktake, "transfer": Transfer, "expense": Expense}
# Item keys that are costs for the document type (removed without cost.view).
COST_AMOUNT = {"purchase_order", "adjustment", "stocktake", "transfer"}


def _name(user_id: int | None) -> str | None:
    u = db.session.get(User, user_id) if user_id else None
    return (u.display_name or u.username) if u else None


def _product(p) -> dict:
    return {"product_id": p.id, "sku": p.sku, "name": p.name, "name_en": p.name_en, "unit": p.unit}


def _avg_cost(product, warehouse_id: int) -> Decimal:
    lvl = ledger.level(product.id, warehouse_id)
    return lvl.avg_cost if lvl is not None and lvl.quantity > 0 else product.purchase_price


def history(doc_type: str, doc_id: int) -> list[dict]:
    return [{"level": a.level, "decision": a.decision, "user": _name(a.user_id), "at": a.at,
             "comment": a.comment} for a in approvals.history(doc_type, doc_id)]


# ---------------------------------------------------------------- per document type

def _po(po: PurchaseOrder, costs: bool) -> dict:
    lines = [dict(_product(ln.product), quantity=ln.quantity,
                  **({"unit_price": ln.unit_price, "amount": ln.total} if costs else {})) for ln in po.lines]
    return {"lines": lines, "expected_date": po.expected_date, "note": po.notes}


def _so(so: SalesOrder, costs: bool) -> dict:
    lines, cost = [], ZERO
    for ln in so.lines:
        lines.append(dict(_product(ln.product), quantity=ln.quantity, unit_price=ln.unit_price,
                          discount_rate=ln.discount_rate, amount=ln.total_amount))
        cost += ln.quantity * _avg_cost(ln.product, so.warehouse_id)
    net = sum((ln.net_amount for ln in so.lines), ZERO)
    out: dict = {"lines": lines, "note": so.notes}
    if costs:
        cost = cents(cost)
        out["margin"] = {"revenue": net, "cost": cost, "margin": net - cost,
                         "pct": (((net - cost) / net) * 100).quantize(Decimal("0.1")) if net else None}
    bal = finance.balances("customer", so.customer_id)
    balance = bal[0]["balance"] if bal else ZERO
    limit = so.customer.credit_limit or ZERO
    out["credit"] = {"limit": limit, "balance": balance, "after": balance + so.total,
                     "over": bool(limit) and balance + so.total > limit}
    return out


def _adjustment(adj: Adjustment, costs: bool) -> dict:
    lines = []
    for ln in adj.lines:
        p = db.session.get(Product, ln.product_id)
        lines.append(dict(_product(p), quantity=ln.quantity, **({"unit_price": ln.unit_cost if ln.unit_cost is not None
                                                                  else _avg_cost(p, adj.warehouse_id)} if costs else {})))
    return {"lines": lines, "reason": adj.reason, "note": adj.note}


def _stocktake(st: Stocktake, costs: bool) -> dict:
    lines = sorted(st.lines, key=lambda ln: (not ln.flagged, -abs(ln.variance), ln.product_id))
    summary = {"lines": len(st.lines), "counted": sum(1 for ln in st.lines if ln.counted),
               "uncounted": sum(1 for ln in st.lines if not ln.counted),
               "flagged": sum(1 for ln in st.lines if ln.flagged),
               "with_variance": sum(1 for ln in st.lines if ln.counted and ln.variance != 0),
               "up_qty": sum((ln.variance for ln in st.lines if ln.counted and ln.variance > 0), ZERO),
               "down_qty": sum((ln.variance for ln in st.lines if ln.counted and ln.variance < 0), ZERO)}
    if costs:
        summary["value"] = sum((ln.variance_value for ln in st.lines if ln.counted), ZERO)
    shown = [ln for ln in lines if ln.flagged or (ln.counted and ln.variance != 0)][:MAX_LINES]
    return {"variance": summary, "note": st.note, "category": st.category,
            "lines": [dict(_product(ln.product), quantity=ln.variance, book_qty=ln.book_qty,
                           counted_qty=ln.counted_qty, flagged=ln.flagged,
                           **({"amount": ln.variance_value} if costs else {})) for ln in shown]}


def _transfer(t: Transfer, costs: bool) -> dict:
    out = []
    for d in t.discrepancies:
        if d.resolution is None:
            out.append(dict(_product(db.session.get(Product, d.product_id)), discrepancy_id=d.id, kind=d.kind,
                            quantity=d.quantity, note=d.note, reported_by=_name(d.reported_by_id),
                            **({"amount": d.value} if costs else {})))
    return {"lines": out, "note": t.note, "from_warehouse_id": t.from_warehouse_id,
            "to_warehouse_id": t.to_warehouse_id}


def _expense(e: Expense, costs: bool) -> dict:
    return {"lines": [], "category": e.category, "payee": e.payee, "note": e.description,
            "expense_date": e.expense_date}


DETAILS: dict[str, Callable[[object, bool], dict]] = {
    "purchase_order": _po, "sales_order": _so, "adjustment": _adjustment, "stocktake": _stocktake,
    "transfer": _transfer, "expense": _expense}


def detail(user, item: dict) -> dict:
    """``item`` with its detail keys (lines, margin, credit, variance, history, submitted_by)."""
    doc = db.session.get(MODELS[item["doc_type"]], item["doc_id"])
    costs = can_see_costs(user)
    if not costs and item["doc_type"] in COST_AMOUNT:
        item.pop("amount", None)
    item.update(DETAILS[item["doc_type"]](doc, costs))
    item["submitted_by"] = _name(item.get("submitted_by_id"))
    item["history"] = history(item["doc_type"], item["doc_id"])
    if not costs:
        for s in item.get("stock_impact") or []:
            s.pop("value", None)
    return item


def figures(doc_type: str, doc, user) -> dict:
    """The document as it is now, briefly: what a refused (stale) offline decision shows beside the error."""
    costs = can_see_costs(user)
    amount = {"purchase_order": lambda: doc.total, "sales_order": lambda: doc.total,
              "adjustment": lambda: doc.total_value, "expense": lambda: doc.amount,
              "stocktake": lambda: sum((abs(ln.variance_value) for ln in doc.lines), ZERO),
              "transfer": lambda: sum((d.value for d in doc.discrepancies if d.resolution is None), ZERO)}[doc_type]
    out: dict = {"doc_type": doc_type, "doc_id": doc.id, "number": doc.number, "status": doc.status,
                 "version": doc.version}
    if costs or doc_type not in COST_AMOUNT:
        out["amount"] = str(amount())
    lines = DETAILS[doc_type](doc, costs)["lines"][:10]
    out["lines"] = [{k: str(v) if isinstance(v, Decimal) else v for k, v in ln.items()
                     if k in ("sku", "name", "quantity", "unit_price", "amount", "kind")} for ln in lines]
    return out
