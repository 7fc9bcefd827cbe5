"""Sales orders: draft → submit → approve | reject → ship (partial, DN) → invoice (INV) → close.

Stable entry points for other modules (offline sync, approvals inbox): ``approve_sales_order``,
``reject_sales_order``, ``ship_sales_order``. Every function takes the acting ``user`` and the
``version`` the caller saw (optimistic locking); illegal actions raise InvalidTransition (409).
"""
from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import select

from backend.domain.flows import SO_FLOW, SO_STATUSES
from backend.domain.money import ZERO, line_amounts
from backend.errors import Conflict, InsufficientStock, ValidationFailed, check_version, not_found
from backend.extensions import db
from backend.models.base import utcnow
from backend.models.catalog import Product
from backend.models.partners import Customer
from backend.models.sales import (
    CreditNote,
    CreditNoteLine,
    Invoice,
    InvoiceLine,
    SalesOrder,
    SalesOrderLine,
    SalesReturn,
    SalesReturnLine,
    Shipment,
    ShipmentLine,
)
from backend.models.warehouses import Location, Warehouse
from backend.services import approvals, inbox, ledger
from backend.services.access import ensure_warehouse, lock_row, scoped
from backend.services.audit import audit_action
from backend.services.crud import paginate, sort
from backend.services.numbering import document_number
from backend.services.uow import command

DOC_TYPE = "sales_order"
STATUSES = SO_STATUSES


def can(so: SalesOrder, action: str) -> bool:
    return SO_FLOW.can(so.status, action)


def can_edit(so): return can(so, "edit")  # noqa: E704


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
    stmt = sort(stmt, SalesOrder, args.get("sort"), ("id", "number", "total", "status", "created_at"), "-id")
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

def _transition(so_id: int, version: int, action: str, user) -> SalesOrder:
    so = get_sales_order(so_id, user, lock=True)
    check_version(so, version)
    SO_FLOW.next(so.status, action)  # raises InvalidTransition
    so.updated_at = utcnow()  # every transition bumps the version, even when the status stays
    return so


@command
def submit_sales_order(so_id: int, version: int, user, comment: str | None = None) -> SalesOrder:
    so = _transition(so_id, version, "submit", user)
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
    so = _transition(so_id, version, "approve", user)
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
    so = _transition(so_id, version, "reject", user)
    level, _ = approvals.record(user, DOC_TYPE, so, so.total, "reject", comment)
    so.status, so.rejected_reason, so.approval_level = "rejected", comment, 0
    audit_action(so, "reject", level=level, comment=comment)
    db.session.flush()
    return so


@command
def cancel_sales_order(so_id: int, version: int, user, comment: str | None = None) -> SalesOrder:
    so = _transition(so_id, version, "cancel", user)
    so.status = "cancelled"
    audit_action(so, "cancel", comment=comment)
    db.session.flush()
    return so


@command
def close_sales_order(so_id: int, version: int, user, comment: str | None = None) -> SalesOrder:
    so = _transition(so_id, version, "close", user)
    so.status, so.closed_at = "closed", utcnow()
    audit_action(so, "close", comment=comment)
    db.session.flush()
    return so


# ---------------------------------------------------------------- shipping, invoicing, returns

# zh-CN verbs for the messages of _pick_lines
VERB_ZH = {"ship": "发货", "invoice": "开票"}


def _pick_lines(so: SalesOrder, specs: list[dict] | None, open_qty, what: str) -> list[tuple]:
    """[(order line, quantity, spec)]; no specs = every open quantity. Refuses more than is open."""
    by_id = {ln.id: ln for ln in so.lines}
    picked, totals = [], defaultdict(Decimal)
    if not specs:
        picked = [(ln, open_qty(ln), {}) for ln in so.lines if open_qty(ln) > 0]
    for i, spec in enumerate(specs or ()):
        ln = by_id.get(spec["line_id"])
        if ln is None:
            raise ValidationFailed(f"Line {spec['line_id']} is not on this order.",
                                   zh=f"明细 {spec['line_id']} 不在此订单上。",
                                   errors={"lines": {str(i): {"line_id": ["Not on this order."]}}})
        qty = Decimal(spec["quantity"])
        totals[ln.id] += qty
        if totals[ln.id] > open_qty(ln):
            raise Conflict(f"Line {ln.line_no}: only {open_qty(ln)} left to {what}.",
                           zh=f"第 {ln.line_no} 行：只剩 {open_qty(ln)} 可{VERB_ZH.get(what, what)}。", code=f"over_{what}",
                           errors={"lines": {str(i): {"quantity": [f"At most {open_qty(ln)}."]}}})
        picked.append((ln, qty, spec))
    if not picked:
        raise Conflict(f"Nothing left to {what}.", zh=f"没有可{VERB_ZH.get(what, what)}的数量。", code=f"nothing_to_{what}")
    return picked


@command
def ship_sales_order(so_id: int, version: int, lines: list[dict] | None, user, op_id: str | None = None,
                     notes: str | None = None) -> Shipment:
    """Post a shipment (DN): outgoing ``shipment`` moves valued at average cost; 409 when stock is short.

    ``lines`` = [{line_id, quantity, location_id?}] (None/empty: everything still open).
    """
    so = _transition(so_id, version, "ship", user)
    picked = _pick_lines(so, lines, lambda ln: ln.remaining_qty, "ship")
    dn = Shipment(number=document_number("DN"), order_id=so.id, customer_id=so.customer_id,
                  warehouse_id=so.warehouse_id, shipped_by_id=user.id, op_id=op_id, notes=notes)
    for ln, qty, spec in picked:
        loc = spec.get("location_id")
        if loc is not None:
            loc_obj = db.session.get(Location, loc)
            if loc_obj is None or loc_obj.warehouse_id != so.warehouse_id:
                raise ValidationFailed("Unknown location for this warehouse.", errors={"location_id": [loc]})
        dn.lines.append(ShipmentLine(order_line_id=ln.id, product_id=ln.product_id, quantity=qty, location_id=loc))
        ln.shipped_qty += qty
    db.session.add(dn)
    db.session.flush()
    moves = ledger.post([ledger.MoveSpec(sl.product_id, so.warehouse_id, -sl.quantity, "shipment",
                                         location_id=sl.location_id, doc_type="shipment", doc_id=dn.id,
                                         doc_line_id=sl.id, op_id=op_id, note=dn.number) for sl in dn.lines])
    for sl, mv in zip(dn.lines, moves):
        sl.unit_cost, sl.cost, sl.move_id = mv.unit_cost, -mv.value, mv.id
    dn.cost_total = sum((sl.cost for sl in dn.lines), ZERO)
    so.status = "shipped" if all(ln.remaining_qty <= 0 for ln in so.lines) else "partially_shipped"
    audit_action(so, "ship", shipment=dn.number, op_id=op_id)
    db.session.flush()
    return dn


@command
def invoice_sales_order(so_id: int, version: int, user, lines: list[dict] | None = None,
                        invoice_date: date | None = None, due_date: date | None = None,
                        notes: str | None = None) -> Invoice:
    """Issue an invoice (INV) for shipped, not yet invoiced quantities (all of them when ``lines`` is empty)."""
    from backend.services import finance

    so = _transition(so_id, version, "invoice", user)
    picked = _pick_lines(so, lines, lambda ln: ln.shipped_qty - ln.invoiced_qty, "invoice")
    inv_date = invoice_date or utcnow().date()
    if due_date is not None and due_date < inv_date:
        raise ValidationFailed("Due date is before the invoice date.", errors={"due_date": ["Before invoice date."]})
    if due_date is None and so.customer is not None:
        due_date = inv_date + timedelta(days=so.customer.payment_terms_days or 0)
    inv = Invoice(number=document_number("INV"), order_id=so.id, customer_id=so.customer_id, issued_by_id=user.id,
                  invoice_date=inv_date, due_date=due_date, notes=notes)
    for ln, qty, _ in picked:
        inv.lines.append(InvoiceLine(order_line_id=ln.id, product_id=ln.product_id, quantity=qty,
                                     unit_price=ln.unit_price, discount_rate=ln.discount_rate, tax_rate=ln.tax_rate))
        ln.invoiced_qty += qty
    inv.compute_totals()
    db.session.add(inv)
    db.session.flush()
    finance.apply_open_credits(inv, user)  # goods returned before they were invoiced
    if so.status == "shipped" and all(ln.invoiced_qty >= ln.quantity for ln in so.lines):
        so.status = "invoiced"
    audit_action(so, "invoice", invoice=inv.number, total=inv.total)
    db.session.flush()
    return inv


@command
def return_sales_order(so_id: int, version: int, lines: list[dict], user, reason: str | None = None,
                       op_id: str | None = None) -> SalesReturn:
    """Take goods back: ``return_in`` moves at the shipment line's original cost, and a credit note.

    ``lines`` = [{shipment_line_id, quantity}]. The credit note is applied to the order's open invoices.
    """
    from backend.services import finance

    so = _transition(so_id, version, "return", user)
    if not lines:
        raise ValidationFailed("Say what comes back.", errors={"lines": ["At least one line."]})
    sr = SalesReturn(number=document_number("SR"), order_id=so.id, customer_id=so.customer_id,
                     warehouse_id=so.warehouse_id, reason=reason, returned_by_id=user.id, op_id=op_id)
    order_lines = {ln.id: ln for ln in so.lines}
    for i, spec in enumerate(lines):
        sl = db.session.get(ShipmentLine, spec["shipment_line_id"])
        if sl is None or sl.order_line_id not in order_lines:
            raise ValidationFailed("Shipment line is not on this order.",
                                   errors={"lines": {str(i): {"shipment_line_id": ["Not on this order."]}}})
        qty = Decimal(spec["quantity"])
        if sl.returned_qty + qty > sl.quantity:
            raise Conflict(f"Only {sl.quantity - sl.returned_qty} of that shipment line can come back.",
                           zh=f"该发货明细最多只能退回 {sl.quantity - sl.returned_qty}。",
                           code="over_return", errors={"lines": {str(i): {"quantity": [
                               f"At most {sl.quantity - sl.returned_qty}."]}}})
        sl.returned_qty += qty
        order_lines[sl.order_line_id].returned_qty += qty
        sr.lines.append(SalesReturnLine(shipment_line_id=sl.id, order_line_id=sl.order_line_id,
                                        product_id=sl.product_id, quantity=qty, unit_cost=sl.unit_cost))
    db.session.add(sr)
    db.session.flush()
    moves = ledger.post([ledger.MoveSpec(rl.product_id, so.warehouse_id, rl.quantity, "return_in",
                                         unit_cost=rl.unit_cost, doc_type="sales_return", doc_id=sr.id,
                                         doc_line_id=rl.id, op_id=op_id, note=sr.number) for rl in sr.lines])
    for rl, mv in zip(sr.lines, moves):
        rl.cost, rl.move_id = mv.value, mv.id
    sr.cost_total = sum((rl.cost for rl in sr.lines), ZERO)
    cn = CreditNote(number=document_number("CN"), order_id=so.id, customer_id=so.customer_id,
                    credit_date=utcnow().date(), sales_return=sr)
    for rl in sr.lines:
        ol = order_lines[rl.order_line_id]
        cn.lines.append(CreditNoteLine(order_line_id=ol.id, product_id=ol.product_id, quantity=rl.quantity,
                                       unit_price=ol.unit_price, discount_rate=ol.discount_rate, tax_rate=ol.tax_rate))
    cn.compute_totals()
    db.session.add(cn)
    db.session.flush()
    finance.apply_credit_note(cn, user)
    audit_action(so, "return", sales_return=sr.number, credit_note=cn.number)
    db.session.flush()
    return sr


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


# ---------------------------------------------------------------- related documents, printing

def open_amount(doc_type: str, doc) -> Decimal:
    from backend.services import finance

    return finance.open_amount(doc_type, doc)


def order_documents(so: SalesOrder) -> dict:
    """Numbers of the shipments, invoices, returns and credit notes of an order."""
    def refs(model):
        return [{"id": d.id, "number": d.number}
                for d in db.session.scalars(select(model).where(model.order_id == so.id).order_by(model.id))]
    return {"shipments": refs(Shipment), "invoices": refs(Invoice), "returns": refs(SalesReturn),
            "credit_notes": refs(CreditNote)}


def _money_rows(lines) -> list[list]:
    return [[i, ln.product.sku, ln.product.name, f"{ln.quantity.normalize():f}", f"{ln.unit_price:.2f}",
             f"{(ln.discount_rate * 100).normalize():f}%", f"{(ln.tax_rate * 100).normalize():f}%",
             f"{ln.net_amount:.2f}", f"{ln.tax_amount:.2f}", f"{ln.total_amount:.2f}"]
            for i, ln in enumerate(lines, start=1)]


def _money_pdf(title: str, doc, header: list, notes: str | None = None):
    from backend.services.documents_pdf import Column, pdf_response, render_document

    cols = [Column("#", 6, "right"), Column("编码 SKU", 20), Column("商品 Product", 40), Column("数量 Qty", 14, "right"),
            Column("单价 Price", 16, "right"), Column("折扣 Disc.", 12, "right"), Column("税率 Tax", 12, "right"),
            Column("金额 Net", 18, "right"), Column("税额 Tax", 16, "right"), Column("价税合计 Total", 20, "right")]
    totals = [("金额 Subtotal", f"{doc.subtotal:.2f}"), ("折扣 Discount", f"-{doc.discount_total:.2f}")]
    totals += [(f"税额 Tax {(t['tax_rate'] * 100).normalize():f}% (基数 {t['base']:.2f})", f"{t['tax']:.2f}")
               for t in doc.tax_lines]
    totals += [("价税合计 Total", f"{doc.total:.2f}")]
    pdf = render_document(title, header, cols, _money_rows(doc.lines), totals, number=doc.number, notes=notes,
                          footer="JXC")
    return pdf_response(pdf, f"{doc.number}.pdf")


def sales_order_pdf(so_id: int, user):
    so = get_sales_order(so_id, user)
    return _money_pdf("销售订单 Sales Order", so, [
        ("单号 No.", so.number), ("日期 Date", so.order_date), ("客户 Customer", so.customer.name),
        ("仓库 Warehouse", so.warehouse.name), ("状态 Status", so.status), ("交货 Expected", so.expected_date or "")],
        so.notes)


def invoice_pdf(invoice_id: int, user):
    inv = get_document(Invoice, invoice_id, "Invoice", user)
    return _money_pdf("销售发票 Invoice", inv, [
        ("发票号 No.", inv.number), ("开票日期 Date", inv.invoice_date), ("客户 Customer", inv.customer.name),
        ("税号 Tax ID", inv.customer.tax_id or ""), ("订单 Order", inv.order.number), ("到期 Due", inv.due_date or "")],
        inv.notes)


def credit_note_pdf(cn_id: int, user):
    cn = get_document(CreditNote, cn_id, "Credit note", user)
    ret = cn.sales_return
    return _money_pdf("红字发票/贷项通知单 Credit Note", cn, [
        ("单号 No.", cn.number), ("日期 Date", cn.credit_date), ("客户 Customer", cn.customer.name),
        ("退货单 Return", ret.number if ret else "")], ret.reason if ret else None)


def shipment_pdf(shipment_id: int, user):
    from backend.services.documents_pdf import Column, pdf_response, render_document

    dn = get_document(Shipment, shipment_id, "Shipment", user)
    rows = [[i, sl.product.sku, sl.product.name, sl.product.unit, f"{sl.quantity.normalize():f}"]
            for i, sl in enumerate(dn.lines, start=1)]
    pdf = render_document("发货单 Delivery Note", [
        ("单号 No.", dn.number), ("日期 Date", dn.shipped_at.date()), ("订单 Order", dn.order.number),
        ("客户 Customer", dn.order.customer.name), ("仓库 Warehouse", dn.order.warehouse.name)],
        [Column("#", 6, "right"), Column("编码 SKU", 25), Column("商品 Product", 60), Column("单位 Unit", 12),
         Column("数量 Qty", 18, "right")], rows, number=dn.number, notes=dn.notes, footer="JXC")
    return pdf_response(pdf, f"{dn.number}.pdf")
