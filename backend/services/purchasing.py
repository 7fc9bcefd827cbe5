"""Purchasing use cases: purchase orders and their approval (the goods side — receipts 入库单 and
returns 退货 — is ``services.purchasing_receipts``).

Stable entry points (also used by offline sync and finance)::

    create_purchase_order(data, user) -> PurchaseOrder
    update_purchase_order(po_id, version, data, user)          # non-draft → back to draft, approvals reset
    submit_purchase_order(po_id, version, user)
    approve_purchase_order(po_id, version, user, comment=None) # one level per call; two levels ≥ 50,000
    reject_purchase_order(po_id, version, user, reason)
    reopen_purchase_order / cancel_purchase_order / close_purchase_order(po_id, version, user)
    get_purchase_order(po_id, user) / list_purchase_orders(args, user)
    payable_documents(supplier_id) -> [{doc_type, doc_id, number, date, order_id, order_number, amount}]
    supplier_payable(supplier_id) -> Decimal   # receipts − returns (gross, cents); payments are finance's

Money: ``backend.domain.money.line_figures`` (unit prices tax-exclusive; per line amount, tax and total in
cents, ROUND_HALF_UP; document totals are sums of line figures). Approval thresholds compare the total.
"""
from __future__ import annotations

from decimal import Decimal

from sqlalchemy import or_, select

from backend.domain.flows import PO_FLOW
from backend.domain.money import line_figures, money_sum
from backend.errors import ValidationFailed, check_version, not_found
from backend.extensions import db
from backend.models.base import utcnow
from backend.models.catalog import Product
from backend.models.partners import Supplier
from backend.models.purchasing import GoodsReceipt, PurchaseOrder, PurchaseOrderLine, PurchaseReturn
from backend.models.warehouses import Warehouse
from backend.services import approvals, inbox, quantities
from backend.services.access import ensure_warehouse, lock, scoped
from backend.services.audit import audit_action
from backend.services.crud import paginate, sort
from backend.services.numbering import document_number
from backend.services.uow import command

DOC_TYPE = "purchase_order"


# ---------------------------------------------------------------- money

def sum_figures(doc, lines) -> None:
    """Document totals = sums of the (already rounded) line figures."""
    net = money_sum(ln.amount for ln in lines)
    tax = money_sum(ln.tax_amount for ln in lines)
    if isinstance(doc, PurchaseOrder):
        doc.subtotal, doc.tax_total = net, tax
    else:
        doc.amount, doc.tax_amount = net, tax
    doc.total = net + tax




# ---------------------------------------------------------------- loading & scope

def get_purchase_order(po_id: int, user) -> PurchaseOrder:
    """A purchase order the user may see (404 unknown, 403 other warehouse)."""
    po = db.session.get(PurchaseOrder, po_id)
    if po is None:
        raise not_found("Purchase order", po_id)
    ensure_warehouse(user, po.warehouse_id)
    return po


def load_for_update(po_id: int, version: int | None, user, action: str | None) -> PurchaseOrder:
    """Lock the order row (PostgreSQL), check scope, version and that ``action`` is allowed."""
    po = lock(PurchaseOrder, po_id, "Purchase order")
    ensure_warehouse(user, po.warehouse_id)
    if version is not None:
        check_version(po, version)
    if action:
        PO_FLOW.next(po.status, action)  # raises InvalidTransition
    return po


def touch(po) -> None:
    po.updated_at = utcnow()  # forces the UPDATE that bumps ``version``


# ---------------------------------------------------------------- create / edit

def _supplier(supplier_id: int) -> Supplier:
    s = db.session.get(Supplier, supplier_id)
    if s is None or not s.is_active:
        raise ValidationFailed("Unknown or inactive supplier.", errors={"supplier_id": ["Unknown or inactive."]})
    return s


def _warehouse(warehouse_id: int, user) -> Warehouse:
    w = db.session.get(Warehouse, warehouse_id)
    if w is None or not w.is_active:
        raise ValidationFailed("Unknown or inactive warehouse.", errors={"warehouse_id": ["Unknown or inactive."]})
    ensure_warehouse(user, w.id)
    return w


def _build_lines(po: PurchaseOrder, lines: list[dict]) -> None:
    errors = {}
    products = {}
    for i, ln in enumerate(lines):
        p = db.session.get(Product, ln["product_id"])
        if p is None or not p.is_active:
            errors[i] = {"product_id": ["Unknown or inactive product."]}
        elif Decimal(ln["quantity"]) <= 0:
            errors[i] = {"quantity": ["Must be greater than 0."]}
        elif bad := quantities.line_errors(ln, p.unit):
            errors[i] = bad
        products[i] = p
    if errors:
        raise ValidationFailed("Some lines are not valid.", errors={"lines": errors})
    po.lines.clear()
    db.session.flush()
    for i, ln in enumerate(lines):
        p = products[i]
        price = Decimal(ln["unit_price"]) if ln.get("unit_price") is not None else p.purchase_price
        rate = Decimal(ln["tax_rate"]) if ln.get("tax_rate") is not None else p.tax_rate
        qty = Decimal(ln["quantity"])
        amount, tax, total = line_figures(qty, price, rate)
        po.lines.append(PurchaseOrderLine(line_no=i + 1, product_id=p.id, quantity=qty, unit_price=price,
                                          tax_rate=rate, amount=amount, tax_amount=tax, total=total,
                                          received_qty=Decimal(0), returned_qty=Decimal(0),
                                          notes=ln.get("notes")))
    sum_figures(po, po.lines)


@command
def create_purchase_order(data: dict, user) -> PurchaseOrder:
    """A draft order with a new PO- number; totals computed here, never taken from the client."""
    _supplier(data["supplier_id"])
    _warehouse(data["warehouse_id"], user)
    po = PurchaseOrder(number=document_number("PO"), supplier_id=data["supplier_id"],
                       warehouse_id=data["warehouse_id"], status="draft", expected_date=data.get("expected_date"),
                       notes=data.get("notes"), receive_tolerance_pct=data.get("receive_tolerance_pct"),
                       created_by_id=user.id if user else None, approval_level=0)
    db.session.add(po)
    _build_lines(po, data.get("lines") or [])
    db.session.flush()
    return po


def _back_to_draft(po) -> None:
    po.status = "draft"
    po.approval_level = 0
    po.submitted_by_id = po.submitted_at = None
    po.approved_by_id = po.approved_at = None


@command
def update_purchase_order(po_id: int, version: int, data: dict, user) -> PurchaseOrder:
    """Edit header and/or replace lines. A submitted, approved or rejected order goes back to draft."""
    po = load_for_update(po_id, version, user, "edit")
    if "supplier_id" in data:
        _supplier(data["supplier_id"])
    if "warehouse_id" in data:
        _warehouse(data["warehouse_id"], user)
    for k in ("supplier_id", "warehouse_id", "expected_date", "notes", "receive_tolerance_pct"):
        if k in data:
            setattr(po, k, data[k])
    if "lines" in data:
        _build_lines(po, data["lines"] or [])
    was = po.status
    if was != "draft":
        _back_to_draft(po)
        audit_action(po, "revert_to_draft", previous_status=was)
    touch(po)
    db.session.flush()
    return po


# ---------------------------------------------------------------- submit / approve / reject

@command
def submit_purchase_order(po_id: int, version: int | None, user) -> PurchaseOrder:
    po = load_for_update(po_id, version, user, "submit")
    if not po.lines:
        raise ValidationFailed("An order needs at least one line.", errors={"lines": ["Add at least one line."]})
    po.status = "submitted"
    po.submitted_by_id, po.submitted_at = user.id, utcnow()
    po.approval_level = 0
    po.reject_reason = po.rejected_by_id = po.rejected_at = None
    audit_action(po, "submit", total=po.total)
    touch(po)
    db.session.flush()
    return po


@command
def approve_purchase_order(po_id: int, version: int | None, user, comment: str | None = None) -> PurchaseOrder:
    """Grant the next approval level; the order is ``approved`` once every required level is granted."""
    po = load_for_update(po_id, version, user, "approve")
    level, done = approvals.record(user, DOC_TYPE, po, po.total, "approve", comment, since=po.submitted_at)
    if done:
        po.status = "approved"
        po.approved_by_id, po.approved_at = user.id, utcnow()
    audit_action(po, "approve", level=level, final=done, comment=comment)
    touch(po)
    db.session.flush()
    return po


@command
def reject_purchase_order(po_id: int, version: int | None, user, reason: str) -> PurchaseOrder:
    if not reason or not str(reason).strip():
        raise ValidationFailed("A reason is required.", errors={"reason": ["Required."]})
    po = load_for_update(po_id, version, user, "reject")
    level, _ = approvals.record(user, DOC_TYPE, po, po.total, "reject", reason, since=po.submitted_at)
    po.status = "rejected"
    po.rejected_by_id, po.rejected_at, po.reject_reason = user.id, utcnow(), reason.strip()
    audit_action(po, "reject", level=level, comment=reason)
    touch(po)
    db.session.flush()
    return po


def _simple(action: str, to_status: str, stamp: str | None = None):
    @command
    def run(po_id: int, version: int | None, user, reason: str | None = None) -> PurchaseOrder:
        po = load_for_update(po_id, version, user, action)
        was = po.status
        po.status = PO_FLOW.next(was, action)
        if action == "reopen":
            _back_to_draft(po)
        if stamp:
            setattr(po, stamp, utcnow())
        audit_action(po, action, previous_status=was, reason=reason)
        touch(po)
        db.session.flush()
        return po

    run.__name__ = f"{action}_purchase_order"
    run.__doc__ = f"Transition ``{action}`` → {to_status}."
    return run


reopen_purchase_order = _simple("reopen", "draft")
cancel_purchase_order = _simple("cancel", "cancelled", "cancelled_at")
close_purchase_order = _simple("close", "closed", "closed_at")


# ---------------------------------------------------------------- queries

def list_purchase_orders(args: dict, user) -> dict:
    stmt = scoped(select(PurchaseOrder), PurchaseOrder.warehouse_id, user)
    for key in ("status", "supplier_id", "warehouse_id"):
        if args.get(key) is not None:
            stmt = stmt.where(getattr(PurchaseOrder, key) == args[key])
    if args.get("q"):
        like = f"%{args['q'].strip().lower()}%"
        stmt = stmt.where(or_(db.func.lower(PurchaseOrder.number).like(like), PurchaseOrder.supplier_id.in_(
            select(Supplier.id).where(db.func.lower(Supplier.name).like(like)))))
    stmt = sort(stmt, PurchaseOrder, args.get("sort") or "-id",
                ("id", "number", "status", "total", "expected_date", "created_at", "updated_at"), user=user)
    return paginate(stmt, args.get("page", 1), args.get("per_page", 50))




def receipts_of(po_id: int) -> list[GoodsReceipt]:
    return list(db.session.scalars(select(GoodsReceipt).where(GoodsReceipt.order_id == po_id)
                                   .order_by(GoodsReceipt.id)).unique())


def returns_of(po_id: int) -> list[PurchaseReturn]:
    return list(db.session.scalars(select(PurchaseReturn).where(PurchaseReturn.order_id == po_id)
                                   .order_by(PurchaseReturn.id)).unique())


def approval_history(po_id: int):
    return approvals.history(DOC_TYPE, po_id)


def payable_documents(supplier_id: int) -> list[dict]:
    """What the supplier is owed, by document: receipts (+gross total) and returns (−gross total)."""
    out = []
    for gr in db.session.scalars(select(GoodsReceipt).where(GoodsReceipt.supplier_id == supplier_id)).unique():
        out.append({"doc_type": "goods_receipt", "doc_id": gr.id, "number": gr.number, "date": gr.received_at,
                    "order_id": gr.order_id, "order_number": gr.order.number, "amount": gr.total})
    for pr in db.session.scalars(select(PurchaseReturn).where(PurchaseReturn.supplier_id == supplier_id)).unique():
        out.append({"doc_type": "purchase_return", "doc_id": pr.id, "number": pr.number, "date": pr.returned_at,
                    "order_id": pr.order_id, "order_number": pr.order.number, "amount": -pr.total})
    return sorted(out, key=lambda d: (d["date"], d["number"]))


def supplier_payable(supplier_id: int) -> Decimal:
    """Receipts minus returns for the supplier (before payments)."""
    return sum((d["amount"] for d in payable_documents(supplier_id)), Decimal("0.00"))


# ---------------------------------------------------------------- approvals inbox

def _pending_for(user) -> list[dict]:
    if not (user.can("purchase.approve") or user.can("purchase.approve.high")):
        return []
    stmt = scoped(select(PurchaseOrder).where(PurchaseOrder.status == "submitted"), PurchaseOrder.warehouse_id, user)
    out = []
    for po in db.session.scalars(stmt.order_by(PurchaseOrder.submitted_at, PurchaseOrder.id)).unique():
        if not approvals.can_decide(user, DOC_TYPE, po, po.total):
            continue
        if po.approval_level and user.id in approvals.approvers_since(DOC_TYPE, po.id, po.submitted_at):
            continue  # already approved a lower level: the next one needs someone else
        out.append(inbox.item(doc_type=DOC_TYPE, doc=po, number=po.number, amount=po.total,
                              partner=po.supplier.name, warehouse_id=po.warehouse_id,
                              url=f"/api/v1/purchase-orders/{po.id}",
                              stock_impact=[inbox.impact(ln.product, po.warehouse_id, ln.quantity)
                                            for ln in po.lines]))
    return out


inbox.register_source(DOC_TYPE, _pending_for)
