"""Sales orders: draft → submit → approve | reject, and what the order is now (lines, stock, margin).

Shipping (DN), invoicing (INV) and returns (SR + credit note) are ``services.sales_documents``; the
printable documents are ``services.sales_pdf``. Stable entry points for other modules (offline sync,
approvals inbox): ``approve_sales_order``, ``reject_sales_order`` here and
``sales_documents.ship_sales_order``. Every function takes the acting ``user`` and the ``version`` the
caller saw (optimistic locking); illegal actions raise InvalidTransition (409).
"""
from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from sqlalchemy import select

from backend.domain.flows import SO_FLOW
from backend.domain.money import ZERO, line_amounts
from backend.errors import InsufficientStock, ValidationFailed, check_version, not_found
from backend.extensions import db
from backend.models.base import utcnow
from backend.models.catalog import Product
from backend.models.partners import Customer
from backend.models.sales import (
    CreditNote,
    Invoice,
    SalesOrder,
    SalesOrderLine,
    SalesReturn,
    Shipment,
)
from backend.models.warehouses import Warehouse
from backend.services import approvals, inbox, ledger, quantities
from backend.services.access import ensure_warehouse, lock_row, scoped
from backend.services.audit import audit_action
from backend.services.crud import paginate, sort
from backend.services.numbering import document_number
from backend.services.uow import command

DOC_TYPE = "sales_order"


# ---------------------------------------------------------------- reading

def get_sales_order(so_id: int, user, *, lock: bool = False) -> SalesOrder:
    """The order (404 when missing, 403 outside the user's warehouses); ``lock`` for transitions."""
    if lock:
        lock_row(SalesOrder, so_id)
    so = db.session.get(SalesOrder, so_id, populate_existing=lock)
    if so is None:
        raise not_found("Sales order", so_id)
    ensure_warehouse(user, so.warehouse_id)
    return so


def list_sales_orders(args: dict, user) -> dict:
    stmt = scoped(select(SalesOrder), SalesOrder.warehouse_id, user)
    for key in ("status", "customer_id", "warehouse_id"):
        if args.get(key):
            stmt = stmt.where(getattr(SalesOrder, key) == args[key])
    if args.get("q"):
        stmt = stmt.where(SalesOrder.number.ilike(f"%{args['q'].strip()}%"))
    stmt = sort(stmt, SalesOrder, args.get("sort"), ("id", "number", "total", "status", "created_at"), "-id",
                user=user)
    return paginate(stmt, args["page"], args["per_page"])


def list_documents(model, args: dict, user) -> dict:
    """Shipments / invoices / returns / credit notes, scoped through their order's warehouse."""
    stmt = select(model).join(SalesOrder, SalesOrder.id == model.order_id)
    stmt = scoped(stmt, SalesOrder.warehouse_id, user)
    for key in ("order_id", "customer_id"):
        if args.get(key):
            stmt = stmt.where(getattr(model, key) == args[key])
    if args.get("q"):
        stmt = stmt.where(model.number.ilike(f"%{args['q'].strip()}%"))
    return paginate(stmt.order_by(model.id.desc()), args["page"], args["per_page"])


def get_document(model, doc_id: int, what: str, user):
    doc = db.session.get(model, doc_id)
    if doc is None:
        raise not_found(what, doc_id)
    order = db.session.get(SalesOrder, doc.order_id)
    ensure_warehouse(user, order.warehouse_id)
    return doc


def stock_impact(so: SalesOrder) -> list[dict]:
    """Per product: quantity still to ship, on hand in the order's warehouse, and the shortfall."""
    need: dict[int, Decimal] = defaultdict(Decimal)
    for ln in so.lines:
        if ln.remaining_qty > 0:
            need[ln.product_id] += ln.remaining_qty
    out = []
    for pid, qty in sorted(need.items()):
        on_hand = ledger.on_hand(pid, so.warehouse_id)
        out.append({"product_id": pid, "sku": db.session.get(Product, pid).sku, "quantity": qty,
                    "on_hand": on_hand, "short": max(qty - on_hand, ZERO)})
    return out


def margin(so: SalesOrder) -> dict:
    """Revenue (net, shipped quantities), cost of goods shipped minus returns, and margin."""
    lines = {ln.id: ln for ln in so.lines}
    shipments = db.session.scalars(select(Shipment).where(Shipment.order_id == so.id)).all()
    returns = db.session.scalars(select(SalesReturn).where(SalesReturn.order_id == so.id)).all()
    cost = sum((s.cost_total for s in shipments), ZERO) - sum((r.cost_total for r in returns), ZERO)
    revenue = sum((line_amounts(ln.shipped_qty - ln.returned_qty, ln.unit_price, ln.discount_rate, 0)["net"]
                   for ln in lines.values()), ZERO)
    return {"revenue": revenue, "cost": cost, "margin": revenue - cost}


# ---------------------------------------------------------------- editing

def _set_lines(so: SalesOrder, lines: list[dict]) -> None:
    if not lines:
        raise ValidationFailed("A sales order needs at least one line.", errors={"lines": ["At least one line."]})
    so.lines.clear()
    db.session.flush()
    for i, spec in enumerate(lines, start=1):
        product = db.session.get(Product, spec["product_id"])
        if product is None or not product.is_active:
            raise ValidationFailed(f"Unknown or inactive product {spec['product_id']}.",
                                   zh=f"商品 {spec['product_id']} 不存在或已停用。",
                                   errors={"lines": {str(i - 1): {"product_id": ["Unknown or inactive."]}}})
        bad = quantities.line_errors(spec, product.unit)
        if bad:
            raise ValidationFailed("A quantity is out of bounds.", zh="数量超出允许范围。",
                                   errors={"lines": {str(i - 1): bad}})
        ln = SalesOrderLine(line_no=i, product_id=product.id, quantity=Decimal(spec["quantity"]),
                            unit_price=Decimal(spec["unit_price"] if spec.get("unit_price") is not None
                                               else product.sale_price),
                            discount_rate=Decimal(spec.get("discount_rate") or 0),
                            tax_rate=Decimal(spec["tax_rate"] if spec.get("tax_rate") is not None
                                             else product.tax_rate),
                            notes=spec.get("notes"))
        if ln.discount_rate >= 1:
            raise ValidationFailed("Discount must be below 100%.",
                                   errors={"lines": {str(i - 1): {"discount_rate": ["Must be < 1."]}}})
        so.lines.append(ln)
    so.compute_totals()


def _check_header(data: dict, user) -> None:
    if "customer_id" in data:
        c = db.session.get(Customer, data["customer_id"])
        if c is None or not c.is_active:
            raise ValidationFailed("Unknown or inactive customer.", errors={"customer_id": ["Unknown or inactive."]})
    if "warehouse_id" in data:
        w = db.session.get(Warehouse, data["warehouse_id"])
        if w is None or not w.is_active:
            raise ValidationFailed("Unknown or inactive warehouse.", errors={"warehouse_id": ["Unknown or inactive."]})
        ensure_warehouse(user, w.id)


@command
def create_sales_order(data: dict, user) -> SalesOrder:
    """Create a draft order; totals are computed here, never taken from the client."""
    data = dict(data)
    lines = data.pop("lines", None) or []
    _check_header(data, user)
    so = SalesOrder(number=document_number("SO"), status="draft", created_by_id=user.id, approval_level=0,
                    order_date=data.pop("order_date", None) or utcnow().date(), **data)
    db.session.add(so)
    _set_lines(so, lines)
    db.session.flush()
    return so


@command
def update_sales_order(so_id: int, version: int, data: dict, user) -> SalesOrder:
    """Edit header and/or lines; a submitted, approved or rejected order goes back to draft."""
    so = get_sales_order(so_id, user, lock=True)
    check_version(so, version)
    data = dict(data)
    lines = data.pop("lines", None)
    so.status = SO_FLOW.next(so.status, "edit")
    _check_header(data, user)
    for k, v in data.items():
        setattr(so, k, v)
    if lines is not None:
        _set_lines(so, lines)
    so.approval_level, so.submitted_by_id, so.submitted_at = 0, None, None
    so.approved_by_id = so.approved_at = None
    db.session.flush()
    return so


# ---------------------------------------------------------------- approval flow

def begin_transition(so_id: int, version: int, action: str, user) -> SalesOrder:
    """The order locked for ``action``: in the user's warehouses, at ``version``, and the action allowed."""
    so = get_sales_order(so_id, user, lock=True)
    check_version(so, version)
    SO_FLOW.next(so.status, action)  # raises InvalidTransition
    so.updated_at = utcnow()  # every transition bumps the version, even when the status stays
    return so


@command
def submit_sales_order(so_id: int, version: int, user, comment: str | None = None) -> SalesOrder:
    so = begin_transition(so_id, version, "submit", user)
    so.status = SO_FLOW.next(so.status, "submit")
    so.submitted_by_id, so.submitted_at, so.approval_level, so.rejected_reason = user.id, utcnow(), 0, None
    audit_action(so, "submit", comment=comment)
    db.session.flush()
    return so


def _check_stock(so: SalesOrder) -> None:
    short = [dict(i, warehouse_id=so.warehouse_id) for i in stock_impact(so) if i["short"] > 0]
    if short:
        raise InsufficientStock("Not enough stock on hand to approve this order.",
                                errors={"lines": [{k: str(v) if isinstance(v, Decimal) else v for k, v in s.items()}
                                                  for s in short]})


@command
def approve_sales_order(so_id: int, version: int, user, comment: str | None = None) -> SalesOrder:
    """Grant the next approval level; the last level makes it ``approved``. Refused (409) when stock is short."""
    so = begin_transition(so_id, version, "approve", user)
    _check_stock(so)
    level, done = approvals.record(user, DOC_TYPE, so, so.total, "approve", comment, since=so.submitted_at)
    if done:
        so.status, so.approved_by_id, so.approved_at = "approved", user.id, utcnow()
    audit_action(so, "approve", level=level, comment=comment, final=done)
    db.session.flush()
    return so


@command
def reject_sales_order(so_id: int, version: int, user, comment: str | None = None) -> SalesOrder:
    """Reject with a reason (required); the submitter can edit and resubmit."""
    if not comment or not str(comment).strip():
        raise ValidationFailed("A reason is required.", errors={"reason": ["Required."]})
    so = begin_transition(so_id, version, "reject", user)
    level, _ = approvals.record(user, DOC_TYPE, so, so.total, "reject", comment)
    so.status, so.rejected_reason, so.approval_level = "rejected", comment, 0
    audit_action(so, "reject", level=level, comment=comment)
    db.session.flush()
    return so


@command
def cancel_sales_order(so_id: int, version: int, user, comment: str | None = None) -> SalesOrder:
    so = begin_transition(so_id, version, "cancel", user)
    so.status = "cancelled"
    audit_action(so, "cancel", comment=comment)
    db.session.flush()
    return so


@command
def close_sales_order(so_id: int, version: int, user, comment: str | None = None) -> SalesOrder:
    so = begin_transition(so_id, version, "close", user)
    so.status, so.closed_at = "closed", utcnow()
    audit_action(so, "close", comment=comment)
    db.session.flush()
    return so


# ---------------------------------------------------------------- approvals inbox

def _pending_for_inbox(user) -> list[dict]:
    """Submitted orders ``user`` may decide now (permission for the next level, not their own)."""
    stmt = scoped(select(SalesOrder).where(SalesOrder.status == "submitted"), SalesOrder.warehouse_id, user)
    stmt = stmt.order_by(SalesOrder.id)
    out = []
    for so in db.session.scalars(stmt):
        if approvals.can_decide(user, DOC_TYPE, so, so.total) and not (
                so.approval_level and user.id in approvals.approvers_since(DOC_TYPE, so.id, so.submitted_at)):
            out.append(inbox.item(
                doc_type=DOC_TYPE, doc=so, number=so.number, amount=so.total, partner=so.customer.name,
                warehouse_id=so.warehouse_id, url=f"/api/v1/sales-orders/{so.id}",
                stock_impact=[inbox.impact(ln.product, so.warehouse_id, -ln.remaining_qty) for ln in so.lines]))
    return out


inbox.register_source(DOC_TYPE, _pending_for_inbox)


# ---------------------------------------------------------------- related documents

def order_documents(so: SalesOrder) -> dict:
    """Numbers of the shipments, invoices, returns and credit notes of an order."""
    def refs(model):
        return [{"id": d.id, "number": d.number}
                for d in db.session.scalars(select(model).where(model.order_id == so.id).order_by(model.id))]
    return {"shipments": refs(Shipment), "invoices": refs(Invoice), "returns": refs(SalesReturn),
            "credit_notes": refs(CreditNote)}
