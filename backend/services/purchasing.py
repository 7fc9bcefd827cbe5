"""Purchasing use cases: purchase orders, approvals, goods receipts (入库单) and purchase returns (退货).

Stable entry points (also used by offline sync and finance)::

    create_purchase_order(data, user) -> PurchaseOrder
    update_purchase_order(po_id, version, data, user)          # non-draft → back to draft, approvals reset
    submit_purchase_order(po_id, version, user)
    approve_purchase_order(po_id, version, user, comment=None) # one level per call; two levels ≥ 50,000
    reject_purchase_order(po_id, version, user, reason)
    reopen_purchase_order / cancel_purchase_order / close_purchase_order(po_id, version, user)
    receive_purchase_order(po_id, version, lines=[{line_id, quantity, location_id?}], user, op_id=None)
        -> GoodsReceipt   (version=None skips the client check; the row lock still serialises)
    return_purchase_goods(po_id, version, lines=[{receipt_line_id, quantity}], user, reason=None, op_id=None)
        -> PurchaseReturn
    payable_documents(supplier_id) -> [{doc_type, doc_id, number, date, order_id, order_number, amount}]
    supplier_payable(supplier_id) -> Decimal   # receipts − returns (gross, cents); payments are finance's

Money: ``backend.domain.money.line_figures`` (unit prices tax-exclusive; per line amount, tax and total in
cents, ROUND_HALF_UP; document totals are sums of line figures). Approval thresholds compare the total.
"""
from __future__ import annotations

import os
from collections import defaultdict
from decimal import Decimal

from flask import current_app, has_app_context
from sqlalchemy import or_, select

from backend.domain.flows import PO_FLOW
from backend.domain.money import line_figures, money_sum
from backend.errors import Conflict, ValidationFailed, check_version, not_found
from backend.extensions import db
from backend.models.base import QTY_SCALE, utcnow
from backend.models.catalog import Product
from backend.models.partners import Supplier
from backend.models.purchasing import (
    GoodsReceipt,
    GoodsReceiptLine,
    PurchaseOrder,
    PurchaseOrderLine,
    PurchaseReturn,
    PurchaseReturnLine,
)
from backend.models.warehouses import Location, Warehouse
from backend.services import approvals, inbox, ledger
from backend.services.access import ensure_warehouse, lock, scoped
from backend.services.audit import audit_action
from backend.services.crud import paginate, sort
from backend.services.numbering import document_number
from backend.services.uow import command

DOC_TYPE = "purchase_order"


# ---------------------------------------------------------------- money

def _sum_figures(doc, lines) -> None:
    """Document totals = sums of the (already rounded) line figures."""
    net = money_sum(ln.amount for ln in lines)
    tax = money_sum(ln.tax_amount for ln in lines)
    if isinstance(doc, PurchaseOrder):
        doc.subtotal, doc.tax_total = net, tax
    else:
        doc.amount, doc.tax_amount = net, tax
    doc.total = net + tax


def receive_tolerance(po) -> Decimal:
    """Over-receipt allowance in percent: the PO's own, else config PURCHASE_RECEIVE_TOLERANCE_PCT (0)."""
    if po.receive_tolerance_pct is not None:
        return Decimal(po.receive_tolerance_pct)
    default = os.environ.get("PURCHASE_RECEIVE_TOLERANCE_PCT", "0")
    if has_app_context():
        default = current_app.config.get("PURCHASE_RECEIVE_TOLERANCE_PCT", default)
    return Decimal(str(default))


# ---------------------------------------------------------------- loading & scope

def get_purchase_order(po_id: int, user) -> PurchaseOrder:
    """A purchase order the user may see (404 unknown, 403 other warehouse)."""
    po = db.session.get(PurchaseOrder, po_id)
    if po is None:
        raise not_found("Purchase order", po_id)
    ensure_warehouse(user, po.warehouse_id)
    return po


def _load_for_update(po_id: int, version: int | None, user, action: str | None) -> PurchaseOrder:
    """Lock the order row (PostgreSQL), check scope, version and that ``action`` is allowed."""
    po = lock(PurchaseOrder, po_id, "Purchase order")
    ensure_warehouse(user, po.warehouse_id)
    if version is not None:
        check_version(po, version)
    if action:
        PO_FLOW.next(po.status, action)  # raises InvalidTransition
    return po


def _touch(po) -> None:
    po.updated_at = utcnow()  # forces the UPDATE that bumps ``version``


def _flush() -> None:
    db.session.flush()


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
        products[i] = p
    if errors:
        raise ValidationFailed("Some lines are not valid.", errors={"lines": errors})
    po.lines.clear()
    _flush()
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
    _sum_figures(po, po.lines)


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
    _flush()
    return po


def _back_to_draft(po) -> None:
    po.status = "draft"
    po.approval_level = 0
    po.submitted_by_id = po.submitted_at = None
    po.approved_by_id = po.approved_at = None


@command
def update_purchase_order(po_id: int, version: int, data: dict, user) -> PurchaseOrder:
    """Edit header and/or replace lines. A submitted, approved or rejected order goes back to draft."""
    po = _load_for_update(po_id, version, user, "edit")
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
    _touch(po)
    _flush()
    return po


# ---------------------------------------------------------------- submit / approve / reject

@command
def submit_purchase_order(po_id: int, version: int | None, user) -> PurchaseOrder:
    po = _load_for_update(po_id, version, user, "submit")
    if not po.lines:
        raise ValidationFailed("An order needs at least one line.", errors={"lines": ["Add at least one line."]})
    po.status = "submitted"
    po.submitted_by_id, po.submitted_at = user.id, utcnow()
    po.approval_level = 0
    po.reject_reason = po.rejected_by_id = po.rejected_at = None
    audit_action(po, "submit", total=po.total)
    _touch(po)
    _flush()
    return po


@command
def approve_purchase_order(po_id: int, version: int | None, user, comment: str | None = None) -> PurchaseOrder:
    """Grant the next approval level; the order is ``approved`` once every required level is granted."""
    po = _load_for_update(po_id, version, user, "approve")
    level, done = approvals.record(user, DOC_TYPE, po, po.total, "approve", comment, since=po.submitted_at)
    if done:
        po.status = "approved"
        po.approved_by_id, po.approved_at = user.id, utcnow()
    audit_action(po, "approve", level=level, final=done, comment=comment)
    _touch(po)
    _flush()
    return po


@command
def reject_purchase_order(po_id: int, version: int | None, user, reason: str) -> PurchaseOrder:
    if not reason or not str(reason).strip():
        raise ValidationFailed("A reason is required.", errors={"reason": ["Required."]})
    po = _load_for_update(po_id, version, user, "reject")
    level, _ = approvals.record(user, DOC_TYPE, po, po.total, "reject", reason, since=po.submitted_at)
    po.status = "rejected"
    po.rejected_by_id, po.rejected_at, po.reject_reason = user.id, utcnow(), reason.strip()
    audit_action(po, "reject", level=level, comment=reason)
    _touch(po)
    _flush()
    return po


def _simple(action: str, to_status: str, stamp: str | None = None):
    @command
    def run(po_id: int, version: int | None, user, reason: str | None = None) -> PurchaseOrder:
        po = _load_for_update(po_id, version, user, action)
        was = po.status
        po.status = PO_FLOW.next(was, action)
        if action == "reopen":
            _back_to_draft(po)
        if stamp:
            setattr(po, stamp, utcnow())
        audit_action(po, action, previous_status=was, reason=reason)
        _touch(po)
        _flush()
        return po

    run.__name__ = f"{action}_purchase_order"
    run.__doc__ = f"Transition ``{action}`` → {to_status}."
    return run


reopen_purchase_order = _simple("reopen", "draft")
cancel_purchase_order = _simple("cancel", "cancelled", "cancelled_at")
close_purchase_order = _simple("close", "closed", "closed_at")


# ---------------------------------------------------------------- receive

def _location(warehouse_id: int, location_id: int | None) -> int | None:
    if location_id is None:
        return None
    loc = db.session.get(Location, location_id)
    if loc is None or loc.warehouse_id != warehouse_id:
        raise ValidationFailed("Unknown location for this warehouse.", errors={"location_id": [location_id]})
    return loc.id


@command
def receive_purchase_order(po_id: int, version: int | None, lines: list[dict], user, op_id: str | None = None,
                           note: str | None = None) -> GoodsReceipt:
    """Receive (part of) an approved order: one GR- document, incoming ledger moves at the line prices.

    Refuses (409 ``over_receipt``) more than ordered plus the tolerance; nothing is posted then.
    """
    po = _load_for_update(po_id, version, user, "receive")
    if not lines:
        raise ValidationFailed("Nothing to receive.", errors={"lines": ["At least one line."]})
    by_id = {ln.id: ln for ln in po.lines}
    errors, wanted = {}, []
    for i, rl in enumerate(lines):
        ln = by_id.get(rl.get("line_id"))
        q = Decimal(str(rl.get("quantity", 0)))
        if ln is None:
            errors[i] = {"line_id": ["Not a line of this order."]}
        elif q <= 0:
            errors[i] = {"quantity": ["Must be greater than 0."]}
        else:
            try:
                wanted.append((ln, q, _location(po.warehouse_id, rl.get("location_id"))))
            except ValidationFailed as exc:
                errors[i] = exc.errors
    if errors:
        raise ValidationFailed("Some receipt lines are not valid.", errors={"lines": errors})
    tol = receive_tolerance(po)
    per_line = defaultdict(Decimal)
    for ln, q, _ in wanted:
        per_line[ln.id] += q
    over = []
    for lid, q in per_line.items():
        ln = by_id[lid]
        limit = (ln.quantity * (1 + tol / 100)).quantize(QTY_SCALE)
        if ln.received_qty + q > limit:
            over.append({"line_id": lid, "ordered": str(ln.quantity), "received": str(ln.received_qty),
                         "requested": str(q), "allowed": str(max(limit - ln.received_qty, Decimal(0)))})
    if over:
        raise Conflict("Receiving more than ordered.", code="over_receipt",
                       errors={"lines": over, "tolerance_pct": str(tol)})

    gr = GoodsReceipt(number=document_number("GR"), order_id=po.id, supplier_id=po.supplier_id,
                      warehouse_id=po.warehouse_id, received_by_id=user.id if user else None, received_at=utcnow(),
                      note=note, op_id=op_id, status="posted")
    for ln, q, loc in wanted:
        amount, tax, total = line_figures(q, ln.unit_price, ln.tax_rate)
        gr.lines.append(GoodsReceiptLine(order_line_id=ln.id, product_id=ln.product_id, location_id=loc,
                                         quantity=q, unit_price=ln.unit_price, tax_rate=ln.tax_rate,
                                         amount=amount, tax_amount=tax, total=total, returned_qty=Decimal(0)))
        ln.received_qty = ln.received_qty + q
    _sum_figures(gr, gr.lines)
    db.session.add(gr)
    _flush()
    ledger.post([ledger.MoveSpec(product_id=gl.product_id, warehouse_id=po.warehouse_id, quantity=gl.quantity,
                                 kind="receipt", unit_cost=gl.unit_price, location_id=gl.location_id,
                                 doc_type="goods_receipt", doc_id=gr.id, doc_line_id=gl.id, op_id=op_id,
                                 note=po.number)
                 for gl in gr.lines])
    was = po.status
    po.status = "received" if all(ln.received_qty >= ln.quantity for ln in po.lines) else "partially_received"
    audit_action(po, "receive", receipt=gr.number, previous_status=was, op_id=op_id)
    _touch(po)
    _flush()
    return gr


# ---------------------------------------------------------------- returns

@command
def return_purchase_goods(po_id: int, version: int | None, lines: list[dict], user, reason: str | None = None,
                          op_id: str | None = None) -> PurchaseReturn:
    """退货: send received goods back (PR- document, ``return_out`` moves); reduces what is owed."""
    po = _load_for_update(po_id, version, user, "return_goods")
    if not lines:
        raise ValidationFailed("Nothing to return.", errors={"lines": ["At least one line."]})
    errors, wanted = {}, []
    per_line = defaultdict(Decimal)
    for i, rl in enumerate(lines):
        gl = db.session.get(GoodsReceiptLine, rl.get("receipt_line_id"))
        q = Decimal(str(rl.get("quantity", 0)))
        if gl is None or gl.receipt.order_id != po.id:
            errors[i] = {"receipt_line_id": ["Not a received line of this order."]}
        elif q <= 0:
            errors[i] = {"quantity": ["Must be greater than 0."]}
        else:
            per_line[gl.id] += q
            if per_line[gl.id] > gl.quantity - gl.returned_qty:
                errors[i] = {"quantity": [f"At most {gl.quantity - gl.returned_qty} can be returned."]}
            wanted.append((gl, q))
    if errors:
        raise ValidationFailed("Some return lines are not valid.", errors={"lines": errors})
    pr = PurchaseReturn(number=document_number("PR"), order_id=po.id, supplier_id=po.supplier_id,
                        warehouse_id=po.warehouse_id, reason=reason, returned_by_id=user.id if user else None,
                        returned_at=utcnow(), op_id=op_id, status="posted")
    po_lines = {ln.id: ln for ln in po.lines}
    for gl, q in wanted:
        amount, tax, total = line_figures(q, gl.unit_price, gl.tax_rate)
        pr.lines.append(PurchaseReturnLine(receipt_line_id=gl.id, order_line_id=gl.order_line_id,
                                           product_id=gl.product_id, quantity=q, unit_price=gl.unit_price,
                                           tax_rate=gl.tax_rate, amount=amount, tax_amount=tax, total=total))
        gl.returned_qty = gl.returned_qty + q
        pol = po_lines[gl.order_line_id]
        pol.returned_qty = pol.returned_qty + q
    _sum_figures(pr, pr.lines)
    db.session.add(pr)
    _flush()
    ledger.post([ledger.MoveSpec(product_id=rl.product_id, warehouse_id=po.warehouse_id, quantity=-rl.quantity,
                                 kind="return_out", doc_type="purchase_return", doc_id=pr.id, doc_line_id=rl.id,
                                 op_id=op_id, reason="purchase_return", note=po.number)
                 for rl in pr.lines])
    from backend.services import (
        finance,  # late: finance reads purchasing's models lazily too
    )

    db.session.flush()
    finance.apply_purchase_return(pr, user)  # settles the order's open receipts, as credit notes do invoices
    audit_action(po, "return_goods", purchase_return=pr.number, reason=reason)
    _touch(po)
    _flush()
    return pr


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
                ("id", "number", "status", "total", "expected_date", "created_at", "updated_at"))
    return paginate(stmt, args.get("page", 1), args.get("per_page", 50))


def _doc_list(model, args: dict, user) -> dict:
    stmt = scoped(select(model), model.warehouse_id, user)
    for key in ("order_id", "supplier_id", "warehouse_id"):
        if args.get(key) is not None:
            stmt = stmt.where(getattr(model, key) == args[key])
    stmt = sort(stmt, model, args.get("sort") or "-id", ("id", "number", "total", "created_at"))
    return paginate(stmt, args.get("page", 1), args.get("per_page", 50))


def list_receipts(args: dict, user) -> dict:
    return _doc_list(GoodsReceipt, args, user)


def list_returns(args: dict, user) -> dict:
    return _doc_list(PurchaseReturn, args, user)


def _get_doc(model, doc_id: int, what: str, user):
    doc = db.session.get(model, doc_id)
    if doc is None:
        raise not_found(what, doc_id)
    ensure_warehouse(user, doc.warehouse_id)
    return doc


def get_receipt(receipt_id: int, user) -> GoodsReceipt:
    return _get_doc(GoodsReceipt, receipt_id, "Receipt", user)


def get_return(return_id: int, user) -> PurchaseReturn:
    return _get_doc(PurchaseReturn, return_id, "Purchase return", user)


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
