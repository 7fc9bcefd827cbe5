"""Goods receipts (入库单 GR-) and purchase returns (退货 PR-) of purchase orders.

    receive_purchase_order(po_id, version, lines=[{line_id, quantity, location_id?}], user, op_id=None)
        -> GoodsReceipt   (version=None skips the client check; the row lock still serialises)
    return_purchase_goods(po_id, version, lines=[{receipt_line_id, quantity}], user, reason=None, op_id=None)
        -> PurchaseReturn
    get_receipt / get_return(doc_id, user); list_receipts / list_returns(args, user)
"""
from __future__ import annotations

import os
from collections import defaultdict
from decimal import Decimal

from flask import current_app, has_app_context
from sqlalchemy import select

from backend.domain.money import line_figures
from backend.errors import Conflict, ValidationFailed, not_found
from backend.extensions import db
from backend.models.base import QTY_SCALE, utcnow
from backend.models.purchasing import GoodsReceipt, GoodsReceiptLine, PurchaseReturn, PurchaseReturnLine
from backend.models.warehouses import Location
from backend.services import finance, ledger, quantities
from backend.services.access import ensure_warehouse, scoped
from backend.services.audit import audit_action
from backend.services.crud import paginate, sort
from backend.services.numbering import document_number
from backend.services.purchasing import load_for_update, sum_figures, touch
from backend.services.uow import command


def receive_tolerance(po) -> Decimal:
    """Over-receipt allowance in percent: the PO's own, else config PURCHASE_RECEIVE_TOLERANCE_PCT (0)."""
    if po.receive_tolerance_pct is not None:
        return Decimal(po.receive_tolerance_pct)
    default = os.environ.get("PURCHASE_RECEIVE_TOLERANCE_PCT", "0")
    if has_app_context():
        default = current_app.config.get("PURCHASE_RECEIVE_TOLERANCE_PCT", default)
    return Decimal(str(default))




# ---------------------------------------------------------------- receive

def _location(warehouse_id: int, location_id: int | None) -> int | None:
    if location_id is None:
        return None
    loc = db.session.get(Location, location_id)
    if loc is None or loc.warehouse_id != warehouse_id:
        raise ValidationFailed("Unknown location for this warehouse.", errors={"location_id": [location_id]})
    return loc.id


def _receipt_lines(po, lines: list[dict]) -> list[tuple]:
    """[(order line, quantity, location id)] of a receipt request; 422 for unknown lines or locations."""
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
        elif bad := quantities.line_errors(rl, quantities.unit_of(ln.product_id)):
            errors[i] = bad
        else:
            try:
                wanted.append((ln, q, _location(po.warehouse_id, rl.get("location_id"))))
            except ValidationFailed as exc:
                errors[i] = exc.errors
    if errors:
        raise ValidationFailed("Some receipt lines are not valid.", errors={"lines": errors})
    return wanted


def _refuse_over_receipt(po, wanted: list[tuple]) -> None:
    """409 ``over_receipt`` when a line would get more than ordered plus the tolerance."""
    tol = receive_tolerance(po)
    per_line: dict[int, Decimal] = defaultdict(Decimal)
    for ln, q, _ in wanted:
        per_line[ln.id] += q
    by_id = {ln.id: ln for ln in po.lines}
    over = []
    for lid, q in per_line.items():
        ln = by_id[lid]
        limit = (ln.quantity * (1 + tol / 100)).quantize(QTY_SCALE)
        if ln.received_qty + q > limit:
            over.append({**quantities.over_line(ln, q, limit - ln.received_qty, ln.received_qty),
                         "received": str(ln.received_qty)})
    if over:
        en, zh = quantities.over_message("receive", over)
        raise Conflict(en, zh=zh, code="over_receipt", errors={"lines": over, "tolerance_pct": str(tol)})


@command
def receive_purchase_order(po_id: int, version: int | None, lines: list[dict], user, op_id: str | None = None,
                           note: str | None = None) -> GoodsReceipt:
    """Receive (part of) an approved order: one GR- document, incoming ledger moves at the line prices.

    Refuses (409 ``over_receipt``) more than ordered plus the tolerance; nothing is posted then.
    """
    po = load_for_update(po_id, version, user, "receive")
    wanted = _receipt_lines(po, lines)
    _refuse_over_receipt(po, wanted)
    gr = GoodsReceipt(number=document_number("GR"), order_id=po.id, supplier_id=po.supplier_id,
                      warehouse_id=po.warehouse_id, received_by_id=user.id if user else None, received_at=utcnow(),
                      note=note, op_id=op_id, status="posted")
    for ln, q, loc in wanted:
        amount, tax, total = line_figures(q, ln.unit_price, ln.tax_rate)
        gr.lines.append(GoodsReceiptLine(order_line_id=ln.id, product_id=ln.product_id, location_id=loc,
                                         quantity=q, unit_price=ln.unit_price, tax_rate=ln.tax_rate,
                                         amount=amount, tax_amount=tax, total=total, returned_qty=Decimal(0)))
        ln.received_qty = ln.received_qty + q
    sum_figures(gr, gr.lines)
    db.session.add(gr)
    db.session.flush()
    ledger.post([ledger.MoveSpec(product_id=gl.product_id, warehouse_id=po.warehouse_id, quantity=gl.quantity,
                                 kind="receipt", unit_cost=gl.unit_price, location_id=gl.location_id,
                                 doc_type="goods_receipt", doc_id=gr.id, doc_line_id=gl.id, op_id=op_id,
                                 note=po.number)
                 for gl in gr.lines])
    was = po.status
    po.status = "received" if all(ln.received_qty >= ln.quantity for ln in po.lines) else "partially_received"
    audit_action(po, "receive", receipt=gr.number, previous_status=was, op_id=op_id)
    touch(po)
    db.session.flush()
    return gr


# ---------------------------------------------------------------- returns

def _return_lines(po, lines: list[dict]) -> list[tuple]:
    """[(receipt line, quantity)] of a return request; 422 for lines of other orders or beyond what is left."""
    if not lines:
        raise ValidationFailed("Nothing to return.", errors={"lines": ["At least one line."]})
    errors, wanted = {}, []
    per_line: dict[int, Decimal] = defaultdict(Decimal)
    for i, rl in enumerate(lines):
        gl = db.session.get(GoodsReceiptLine, rl.get("receipt_line_id"))
        q = Decimal(str(rl.get("quantity", 0)))
        if gl is None or gl.receipt.order_id != po.id:
            errors[i] = {"receipt_line_id": ["Not a received line of this order."]}
        elif q <= 0:
            errors[i] = {"quantity": ["Must be greater than 0."]}
        elif bad := quantities.line_errors(rl, quantities.unit_of(gl.product_id)):
            errors[i] = bad
        else:
            per_line[gl.id] += q
            if per_line[gl.id] > gl.quantity - gl.returned_qty:
                errors[i] = {"quantity": [f"At most {gl.quantity - gl.returned_qty} can be returned."]}
            wanted.append((gl, q))
    if errors:
        raise ValidationFailed("Some return lines are not valid.", errors={"lines": errors})
    return wanted


@command
def return_purchase_goods(po_id: int, version: int | None, lines: list[dict], user, reason: str | None = None,
                          op_id: str | None = None) -> PurchaseReturn:
    """退货: send received goods back (PR- document, ``return_out`` moves); reduces what is owed."""
    po = load_for_update(po_id, version, user, "return_goods")
    wanted = _return_lines(po, lines)
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
    sum_figures(pr, pr.lines)
    db.session.add(pr)
    db.session.flush()
    ledger.post([ledger.MoveSpec(product_id=rl.product_id, warehouse_id=po.warehouse_id, quantity=-rl.quantity,
                                 kind="return_out", doc_type="purchase_return", doc_id=pr.id, doc_line_id=rl.id,
                                 op_id=op_id, reason="purchase_return", note=po.number)
                 for rl in pr.lines])
    db.session.flush()
    finance.apply_purchase_return(pr, user)  # settles the order's open receipts, as credit notes do invoices
    audit_action(po, "return_goods", purchase_return=pr.number, reason=reason)
    touch(po)
    db.session.flush()
    return pr


# ---------------------------------------------------------------- queries

def _doc_list(model, args: dict, user) -> dict:
    stmt = scoped(select(model), model.warehouse_id, user)
    for key in ("order_id", "supplier_id", "warehouse_id"):
        if args.get(key) is not None:
            stmt = stmt.where(getattr(model, key) == args[key])
    stmt = sort(stmt, model, args.get("sort") or "-id", ("id", "number", "total", "created_at"), user=user)
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
