"""Sales order documents: shipments (出库单/发货单 DN), invoices (开票 INV), returns (SR) with credit notes (CN).

Each is a command on an order (``sales.begin_transition``: lock, scope, version, flow) that writes its
document, posts the ledger moves and settles money through ``finance``.
"""
from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal

from backend.domain.money import ZERO
from backend.errors import Conflict, ValidationFailed
from backend.extensions import db
from backend.models.base import utcnow
from backend.models.sales import (
    CreditNote,
    CreditNoteLine,
    Invoice,
    InvoiceLine,
    SalesOrder,
    SalesReturn,
    SalesReturnLine,
    Shipment,
    ShipmentLine,
)
from backend.models.warehouses import Location
from backend.services import finance, ledger, quantities
from backend.services.audit import audit_action
from backend.services.numbering import document_number
from backend.services.sales import begin_transition
from backend.services.uow import command

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
        bad = quantities.line_errors(spec, quantities.unit_of(ln.product_id))
        if bad:
            raise ValidationFailed("A quantity is out of bounds.", zh="数量超出允许范围。",
                                   errors={"lines": {str(i): bad}})
        totals[ln.id] += Decimal(spec["quantity"])
        picked.append((ln, Decimal(spec["quantity"]), spec))
    # Every line asking for more than is open is named, with what it may have instead (issue 14 §5).
    over = [quantities.over_line(ln, totals[ln.id], open_qty(ln), ln.quantity - open_qty(ln))
            for ln in so.lines if totals.get(ln.id, 0) > open_qty(ln)]
    if over:
        en, zh = quantities.over_message(what, over)
        raise Conflict(en, zh=zh, code=f"over_{what}", errors={"lines": over})
    if not picked:
        raise Conflict(f"Nothing left to {what}.", zh=f"没有可{VERB_ZH.get(what, what)}的数量。", code=f"nothing_to_{what}")
    return picked


@command
def ship_sales_order(so_id: int, version: int, lines: list[dict] | None, user, op_id: str | None = None,
                     notes: str | None = None) -> Shipment:
    """Post a shipment (DN): outgoing ``shipment`` moves valued at average cost; 409 when stock is short.

    ``lines`` = [{line_id, quantity, location_id?}] (None/empty: everything still open).
    """
    so = begin_transition(so_id, version, "ship", user)
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
    so = begin_transition(so_id, version, "invoice", user)
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
    so = begin_transition(so_id, version, "return", user)
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
        quantities.ensure(spec["quantity"], quantities.unit_of(sl.product_id))
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
