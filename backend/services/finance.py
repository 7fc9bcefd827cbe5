"""Receivables, payables, payments with allocations, expenses and partner balances.

Receivable documents: invoices (+) and credit notes (−) per customer. Payable documents: goods receipts (+)
and purchase returns (−) per supplier. A document's open amount is its total minus what has been
allocated to it (payments, or a credit note / purchase return applied to it). Balances do not depend on
allocations: customer balance = invoices − credit notes − payments received + refunds paid; supplier
balance = receipts − purchase returns − payments made + refunds received. Money is rounded to cents
(ROUND_HALF_UP) on the way in; nothing is allocated beyond a document's open amount or a payment's amount.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import func, select

from backend.domain.flows import EXPENSE_FLOW
from backend.domain.money import ZERO, cents
from backend.errors import Conflict, NotFound, PayloadTooLarge, UnsupportedMediaType, ValidationFailed, check_version
from backend.extensions import db
from backend.models.base import utcnow
from backend.models.finance import Allocation, Expense, ExpenseAttachment, Payment
from backend.models.partners import Customer, Supplier
from backend.models.purchasing import GoodsReceipt, PurchaseReturn
from backend.models.sales import CreditNote, Invoice
from backend.models.warehouses import Warehouse
from backend.services import expense_approvals
from backend.services.access import lock_row
from backend.services.audit import audit_action
from backend.services.crud import paginate, sort
from backend.services.numbering import document_number
from backend.services.uow import command
from backend.uploads import clean_image, decode_slot, sniff_stored_format


@dataclass(frozen=True)
class DocKind:
    model: type
    partner_type: str  # customer | supplier
    sign: int  # +1 the partner owes / is owed more, −1 a credit
    date_attr: str

    def partner_id(self, doc) -> int:
        return doc.customer_id if self.partner_type == "customer" else doc.supplier_id


DOC_KINDS = {"invoice": DocKind(Invoice, "customer", 1, "invoice_date"),
             "credit_note": DocKind(CreditNote, "customer", -1, "credit_date"),
             "receipt": DocKind(GoodsReceipt, "supplier", 1, "received_at"),
             "purchase_return": DocKind(PurchaseReturn, "supplier", -1, "returned_at")}


def doc_kinds() -> dict[str, DocKind]:
    """The documents money is owed by: doc type → model, partner side, sign, date column."""
    return DOC_KINDS


# (source type, payment direction or None, target type): what may pay what
ALLOWED = {
    ("payment", "in", "invoice"),  # customer pays an invoice
    ("payment", "out", "credit_note"),  # we refund a customer's credit
    ("payment", "out", "receipt"),  # we pay a supplier's delivery
    ("payment", "in", "purchase_return"),  # supplier refunds a return
    ("credit_note", None, "invoice"),  # a credit note settles part of an invoice
    ("purchase_return", None, "receipt"),  # a purchase return settles part of a receipt
}


def _get_doc(doc_type: str, doc_id: int, *, lock: bool = False):
    kind = doc_kinds().get(doc_type)
    if kind is None:
        raise ValidationFailed(f"Cannot allocate to {doc_type}.", zh=f"不能核销到 {doc_type}。", errors={"doc_type": [f"One of {sorted(doc_kinds())}"]})
    if lock:
        lock_row(kind.model, doc_id)
    doc = db.session.get(kind.model, doc_id, populate_existing=lock)
    if doc is None:
        raise NotFound(f"{doc_type} {doc_id} not found.", zh=f"单据 {doc_type} {doc_id} 不存在。", errors={"doc_id": doc_id})
    return kind, doc


def _allocated_to(doc_type: str, doc_id: int) -> Decimal:
    return Decimal(db.session.scalar(select(func.coalesce(func.sum(Allocation.amount), 0)).where(
        Allocation.target_type == doc_type, Allocation.target_id == doc_id)))


def _allocated_from(source_type: str, source_id: int) -> Decimal:
    return Decimal(db.session.scalar(select(func.coalesce(func.sum(Allocation.amount), 0)).where(
        Allocation.source_type == source_type, Allocation.source_id == source_id)))


def open_amount(doc_type: str, doc) -> Decimal:
    """Total minus what was allocated to it (and, for credits, what was applied from it)."""
    used = _allocated_to(doc_type, doc.id)
    if doc_type in ("credit_note", "purchase_return"):
        used += _allocated_from(doc_type, doc.id)
    return cents(doc.total - used)


def _allocate(source_type: str, source_id: int, direction: str | None, partner: tuple[str, int],
              available: Decimal, specs: list[dict], user) -> list[Allocation]:
    """Check and add allocations; refuse (409 over_allocation) beyond ``available`` or a document's open amount."""
    out, total = [], ZERO
    for i, spec in enumerate(specs):
        amount = cents(spec["amount"])
        if amount <= 0:
            raise ValidationFailed("Allocation amounts must be positive.",
                                   errors={"allocations": {str(i): {"amount": ["Must be > 0."]}}})
        if (source_type, direction, spec["doc_type"]) not in ALLOWED:
            raise ValidationFailed(f"A {source_type} {'(' + direction + ') ' if direction else ''}cannot settle a "
                                   f"{spec['doc_type']}.", zh=f"{source_type} 不能核销 {spec['doc_type']}。",
                                   errors={"allocations": {str(i): {"doc_type": ["Not allowed."]}}})
        kind, doc = _get_doc(spec["doc_type"], spec["doc_id"], lock=True)
        if (kind.partner_type, kind.partner_id(doc)) != partner:
            raise ValidationFailed("That document belongs to another partner.",
                                   errors={"allocations": {str(i): {"doc_id": ["Another partner's document."]}}})
        open_ = open_amount(spec["doc_type"], doc) - sum(
            (a.amount for a in out if (a.target_type, a.target_id) == (spec["doc_type"], doc.id)), ZERO)
        if amount > open_:
            raise Conflict(f"{doc.number} has only {open_} open.", zh=f"{doc.number} 只有 {open_} 未结清。", code="over_allocation",
                           errors={"allocations": {str(i): {"amount": [f"At most {open_}."]}}})
        total += amount
        if total > available:
            raise Conflict(f"Only {available} is available to allocate.", zh=f"只有 {available} 可供核销。", code="over_allocation",
                           errors={"allocations": {str(i): {"amount": [f"Total exceeds {available}."]}}})
        alloc = Allocation(source_type=source_type, source_id=source_id, target_type=spec["doc_type"],
                           target_id=doc.id, amount=amount, created_by_id=getattr(user, "id", None))
        db.session.add(alloc)
        out.append(alloc)
    db.session.flush()
    return out


# ---------------------------------------------------------------- payments

def _partner(partner_type: str, partner_id: int):
    model = Customer if partner_type == "customer" else Supplier
    p = db.session.get(model, partner_id)
    if p is None:
        raise ValidationFailed(f"Unknown {partner_type}.", zh="往来单位不存在。", errors={"partner_id": ["Unknown."]})
    return p


@command
def record_payment(data: dict, user) -> Payment:
    """Record money received or paid, optionally allocated (partially) to open documents of that partner."""
    data = dict(data)
    specs = data.pop("allocations", None) or []
    ptype, pid = data.pop("partner_type"), data.pop("partner_id")
    _partner(ptype, pid)
    amount = cents(data.pop("amount"))
    if amount <= 0:
        raise ValidationFailed("Amount must be positive.", errors={"amount": ["Must be > 0."]})
    pay = Payment(number=document_number("PAY"), partner_type=ptype, amount=amount, created_by_id=user.id,
                  customer_id=pid if ptype == "customer" else None, supplier_id=pid if ptype == "supplier" else None,
                  paid_on=data.pop("paid_on", None) or utcnow().date(), **data)
    db.session.add(pay)
    db.session.flush()
    _allocate("payment", pay.id, pay.direction, (ptype, pid), amount, specs, user)
    db.session.expire(pay, ["allocations"])
    return pay


@command
def allocate_payment(payment_id: int, version: int, specs: list[dict], user) -> Payment:
    """Allocate more of a payment's unallocated amount."""
    lock_row(Payment, payment_id)
    pay = db.session.get(Payment, payment_id, populate_existing=True)
    if pay is None:
        raise NotFound(f"Payment {payment_id} not found.", zh=f"收付款 {payment_id} 不存在。")
    check_version(pay, version)
    if not specs:
        raise ValidationFailed("Nothing to allocate.", errors={"allocations": ["At least one."]})
    _allocate("payment", pay.id, pay.direction, (pay.partner_type, pay.partner_id), pay.unallocated, specs, user)
    pay.updated_at = utcnow()  # bump the version: the payment's allocation changed
    audit_action(pay, "allocate", allocations=[{k: str(v) for k, v in s.items()} for s in specs])
    db.session.flush()
    db.session.expire(pay, ["allocations"])
    return pay


@command
def apply_credit(source_type: str, source_id: int, specs: list[dict], user) -> list[Allocation]:
    """Apply a credit note to invoices / a purchase return to receipts (explicit allocations)."""
    kind, doc = _get_doc(source_type, source_id, lock=True)
    if source_type not in ("credit_note", "purchase_return"):
        raise ValidationFailed("Only credit notes and purchase returns can be applied.")
    return _allocate(source_type, doc.id, None, (kind.partner_type, kind.partner_id(doc)),
                     open_amount(source_type, doc), specs, user)


def _auto_apply(source_type: str, doc, target_type: str, targets, user) -> list[Allocation]:
    left, specs = open_amount(source_type, doc), []
    for t in targets:
        if left <= 0:
            break
        amt = min(left, open_amount(target_type, t))
        if amt > 0:
            specs.append({"doc_type": target_type, "doc_id": t.id, "amount": amt})
            left -= amt
    return apply_credit(source_type, doc.id, specs, user) if specs else []


def apply_credit_note(cn: CreditNote, user) -> list[Allocation]:
    """Settle the order's open invoices (oldest first) with a new credit note; the rest stays as credit."""
    invoices = db.session.scalars(select(Invoice).where(Invoice.order_id == cn.order_id).order_by(Invoice.id)).all()
    return _auto_apply("credit_note", cn, "invoice", invoices, user)


def apply_open_credits(inv: Invoice, user) -> list[Allocation]:
    """Settle a new invoice with the order's credit notes that still have credit (goods returned before invoicing)."""
    out = []
    for cn in db.session.scalars(select(CreditNote).where(CreditNote.order_id == inv.order_id).order_by(CreditNote.id)):
        out += _auto_apply("credit_note", cn, "invoice", [inv], user)
    return out


def apply_purchase_return(ret, user) -> list[Allocation]:
    """Settle the order's open goods receipts (oldest first) with a purchase return (for purchasing)."""
    rows = db.session.scalars(select(GoodsReceipt).where(GoodsReceipt.order_id == ret.order_id)
                              .order_by(GoodsReceipt.id)).all()
    return _auto_apply("purchase_return", ret, "receipt", rows, user)


def get_payment(payment_id: int) -> Payment:
    pay = db.session.get(Payment, payment_id)
    if pay is None:
        raise NotFound(f"Payment {payment_id} not found.", zh=f"收付款 {payment_id} 不存在。", errors={"id": payment_id})
    return pay


def list_payments(args: dict, user) -> dict:
    stmt = select(Payment)
    for key in ("direction", "partner_type", "customer_id", "supplier_id"):
        if args.get(key):
            stmt = stmt.where(getattr(Payment, key) == args[key])
    if args.get("q"):
        stmt = stmt.where(Payment.number.ilike(f"%{args['q'].strip()}%"))
    stmt = sort(stmt, Payment, args.get("sort"), ("id", "number", "amount", "paid_on"), "-id", user=user)
    return paginate(stmt, args["page"], args["per_page"])


# ---------------------------------------------------------------- receivables, payables, balances

def open_items(side: str, partner_id: int | None = None, include_settled: bool = False) -> list[dict]:
    """Receivables (side=customer) or payables (side=supplier): documents with their open amounts."""
    items = []
    for doc_type, kind in doc_kinds().items():
        if kind.partner_type != side:
            continue
        col = kind.model.customer_id if side == "customer" else kind.model.supplier_id
        stmt = select(kind.model).order_by(kind.model.id)
        if partner_id:
            stmt = stmt.where(col == partner_id)
        for doc in db.session.scalars(stmt):
            open_ = open_amount(doc_type, doc)
            if open_ == 0 and not include_settled:
                continue
            d = getattr(doc, kind.date_attr)
            items.append({"doc_type": doc_type, "doc_id": doc.id, "number": doc.number,
                          "partner_type": side, "partner_id": kind.partner_id(doc),
                          "date": d.date() if hasattr(d, "date") else d, "due_date": getattr(doc, "due_date", None),
                          "total": cents(doc.total) * kind.sign, "open": open_ * kind.sign})
    return sorted(items, key=lambda i: (i["date"], i["doc_type"], i["doc_id"]))


def _sum_by(model, partner_col, amount_col, *where) -> dict[int, Decimal]:
    rows = db.session.execute(select(partner_col, func.coalesce(func.sum(amount_col), 0))
                              .where(*where).group_by(partner_col)).all()
    return {pid: Decimal(total) for pid, total in rows if pid is not None}


def balances(side: str, partner_id: int | None = None) -> list[dict]:
    """Per customer (what they owe us) or supplier (what we owe them): documents, credits, payments, balance."""
    kinds = {k: v for k, v in doc_kinds().items() if v.partner_type == side}
    plus = next((k for k, v in kinds.items() if v.sign > 0), None)
    minus = next((k for k, v in kinds.items() if v.sign < 0), None)
    pcol = Payment.customer_id if side == "customer" else Payment.supplier_id
    settle_dir, refund_dir = ("in", "out") if side == "customer" else ("out", "in")

    def docs(name):
        if name is None:
            return {}
        m = kinds[name].model
        return _sum_by(m, m.customer_id if side == "customer" else m.supplier_id, m.total)

    billed, credited = docs(plus), docs(minus)
    paid = _sum_by(Payment, pcol, Payment.amount, Payment.direction == settle_dir)
    refunded = _sum_by(Payment, pcol, Payment.amount, Payment.direction == refund_dir)
    model = Customer if side == "customer" else Supplier
    ids = set(billed) | set(credited) | set(paid) | set(refunded)
    if partner_id:
        ids = {partner_id}
    out = []
    for p in db.session.scalars(select(model).where(model.id.in_(ids)).order_by(model.code)):
        b, c = cents(billed.get(p.id, ZERO)), cents(credited.get(p.id, ZERO))
        pd, rf = cents(paid.get(p.id, ZERO)), cents(refunded.get(p.id, ZERO))
        out.append({"partner_type": side, "partner_id": p.id, "code": p.code, "name": p.name,
                    "billed": b, "credited": c, "paid": pd, "refunded": rf, "balance": b - c - pd + rf})
    return out


# ---------------------------------------------------------------- expenses

EXPENSE_SORT = ("id", "number", "amount", "expense_date", "category")


def _check_expense_refs(data: dict) -> None:
    if data.get("supplier_id") and db.session.get(Supplier, data["supplier_id"]) is None:
        raise ValidationFailed("Unknown supplier.", errors={"supplier_id": ["Unknown."]})
    if data.get("warehouse_id") and db.session.get(Warehouse, data["warehouse_id"]) is None:
        raise ValidationFailed("Unknown warehouse.", errors={"warehouse_id": ["Unknown."]})
    if "amount" in data:
        data["amount"] = cents(data["amount"])
        if data["amount"] <= 0:
            raise ValidationFailed("Amount must be positive.", errors={"amount": ["Must be > 0."]})


@command
def create_expense(data: dict, user) -> Expense:
    data = dict(data)
    _check_expense_refs(data)
    exp = Expense(number=document_number("EXP"), created_by_id=user.id,
                  expense_date=data.pop("expense_date", None) or utcnow().date(), **data)
    db.session.add(exp)
    expense_approvals.on_create(exp, user)  # over the threshold it waits for approval
    db.session.flush()
    return exp


def get_expense(expense_id: int) -> Expense:
    exp = db.session.get(Expense, expense_id)
    if exp is None:
        raise NotFound(f"Expense {expense_id} not found.", zh=f"费用 {expense_id} 不存在。", errors={"id": expense_id})
    return exp


@command
def update_expense(expense_id: int, version: int, data: dict, user) -> Expense:
    exp = get_expense(expense_id)
    check_version(exp, version)
    data = dict(data)
    _check_expense_refs(data)
    for k, v in data.items():
        setattr(exp, k, v)
    db.session.flush()
    return exp


@command
def delete_expense(expense_id: int, version: int, user) -> None:
    exp = get_expense(expense_id)
    check_version(exp, version)
    att = db.session.get(ExpenseAttachment, exp.id)
    if att is not None:
        db.session.delete(att)
        db.session.flush()  # before the expense: no relationship orders these two deletes
    db.session.delete(exp)
    db.session.flush()


ATTACHMENT_TYPES = {"application/pdf", "image/png", "image/jpeg", "image/webp"}
ATTACHMENT_MAX = 5 * 1024 * 1024


def set_expense_attachment(expense_id: int, version: int, filename: str, content_type: str, data: bytes,
                           user) -> Expense:
    """Attach (or replace) a receipt scan / PDF: ≤ 5 MB, a PDF or a PNG/JPEG/WebP image, decided by the
    bytes (``content_type`` and the name are not trusted). Images are re-encoded (``backend.uploads``)
    before the transaction; a PDF is kept as sent and only ever served as a download."""
    get_expense(expense_id)  # 404 before any work on the file
    if len(data) > ATTACHMENT_MAX:
        raise PayloadTooLarge(f"Attachments are limited to {ATTACHMENT_MAX // (1024 * 1024)} MB.",
                              zh=f"附件不能超过 {ATTACHMENT_MAX // (1024 * 1024)} MB。",
                              errors={"file": {"limit": "max_bytes", "max_bytes": ATTACHMENT_MAX}})
    if data.startswith(b"%PDF-"):
        stored, mimetype = data, "application/pdf"
    elif sniff_stored_format(data) is not None:
        with decode_slot():
            clean = clean_image(data, max_bytes=ATTACHMENT_MAX, field="file")
        stored, mimetype = clean.data, clean.mimetype
    else:
        raise UnsupportedMediaType("Attach a PDF, PNG, JPEG or WebP file (checked from the file's bytes).",
                                   zh="请附加 PDF、PNG、JPEG 或 WebP 文件（按文件内容判断）。",
                                   errors={"file": [content_type or "unknown"]})
    return _store_attachment(expense_id, version, filename, mimetype, stored, user)


@command
def _store_attachment(expense_id: int, version: int, filename: str, mimetype: str, data: bytes, user) -> Expense:
    exp = get_expense(expense_id)
    check_version(exp, version)
    att = db.session.get(ExpenseAttachment, exp.id)
    if att is None:
        db.session.add(ExpenseAttachment(expense_id=exp.id, data=data))
    else:
        att.data = data
    exp.attachment_name = (filename or "attachment")[:200]
    exp.attachment_type, exp.attachment_size = mimetype, len(data)
    db.session.flush()
    return exp


def get_expense_attachment(expense_id: int) -> tuple[Expense, bytes]:
    exp = get_expense(expense_id)
    att = db.session.get(ExpenseAttachment, exp.id)
    if att is None:
        raise NotFound("This expense has no attachment.")
    return exp, att.data


def list_expenses(args: dict, user) -> dict:
    stmt = select(Expense)
    if args.get("category"):
        stmt = stmt.where(Expense.category == args["category"])
    if args.get("date_from"):
        stmt = stmt.where(Expense.expense_date >= args["date_from"])
    if args.get("date_to"):
        stmt = stmt.where(Expense.expense_date <= args["date_to"])
    if args.get("q"):
        like = f"%{args['q'].strip().lower()}%"
        stmt = stmt.where(func.lower(Expense.number).like(like) | func.lower(func.coalesce(Expense.description, ""))
                          .like(like) | func.lower(func.coalesce(Expense.payee, "")).like(like))
    stmt = sort(stmt, Expense, args.get("sort"), EXPENSE_SORT, "-id", user=user)
    return paginate(stmt, args["page"], args["per_page"])


def expense_categories() -> list[str]:
    return list(db.session.scalars(select(Expense.category).distinct().order_by(Expense.category)))


def expense_total(date_from: date | None = None, date_to: date | None = None) -> Decimal:
    stmt = select(func.coalesce(func.sum(Expense.amount), 0)).where(Expense.status.in_(EXPENSE_FLOW.group("counted")))
    if date_from:
        stmt = stmt.where(Expense.expense_date >= date_from)
    if date_to:
        stmt = stmt.where(Expense.expense_date <= date_to)
    return cents(db.session.scalar(stmt))
