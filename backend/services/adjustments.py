"""Stock adjustments (其他入库/出库) with reason codes; large ones need ``stock.adjust.approve``.

Stable service API (the online API and offline sync ops call the same functions)::

    create_adjustment(data, user, op_id=None) -> Adjustment
        data = {warehouse_id, reason, note?, lines: [{product_id, quantity (signed), unit_cost?, location_id?}]}
        Posts at once (status "posted") when its value ≤ ADJUSTMENT_APPROVAL_THRESHOLD, else waits
        ("pending_approval"). A repeated op_id returns the adjustment created by that op.
    approve_adjustment(adjustment_id, version, user, comment=None, op_id=None) -> Adjustment
    reject_adjustment(adjustment_id, version, user, comment=None) -> Adjustment
    cancel_adjustment(adjustment_id, version, user) -> Adjustment
    get_adjustment(adjustment_id, user) -> Adjustment
    list_adjustments(args, user) -> page dict
"""
from __future__ import annotations

from decimal import Decimal

from flask import current_app
from sqlalchemy import select

from backend.domain import costing
from backend.domain.flows import ADJUSTMENT_FLOW
from backend.domain.inventory import reason_sign_ok
from backend.errors import ValidationFailed, check_version
from backend.extensions import db
from backend.models.base import utcnow
from backend.models.inventory import ADJUSTMENT_REASONS, Adjustment, AdjustmentLine
from backend.models.warehouses import Location
from backend.services import approvals, crud, ledger, numbering
from backend.services.access import ensure_warehouse, lock, require, visible_warehouses
from backend.services.audit import audit_action
from backend.services.ledger import MoveSpec
from backend.services.stock import get_active_warehouse, get_product
from backend.services.uow import command

DOC = "adjustment"


def _threshold() -> Decimal:
    return Decimal(str(current_app.config.get("ADJUSTMENT_APPROVAL_THRESHOLD", "5000")))


def _estimated_cost(product, warehouse_id: int, quantity: Decimal, unit_cost: Decimal | None) -> Decimal:
    lvl = ledger.level(product.id, warehouse_id)
    return estimated_cost(product.purchase_price, lvl.quantity if lvl else None, lvl.avg_cost if lvl else None,
                          quantity, unit_cost)


def estimated_cost(purchase_price: Decimal, level_qty: Decimal | None, level_avg: Decimal | None,
                   quantity: Decimal, unit_cost: Decimal | None) -> Decimal:
    """Unit value used for the approval threshold: the given cost of incoming stock, else the average."""
    if quantity > 0 and unit_cost is not None:
        return Decimal(unit_cost)
    return level_avg if level_qty is not None and level_qty > 0 else purchase_price


def _check_header(data: dict, user, warehouse_getter):
    wh = warehouse_getter(data["warehouse_id"])
    ensure_warehouse(user, wh.id)
    reason = data.get("reason")
    if reason not in ADJUSTMENT_REASONS:
        raise ValidationFailed("Unknown reason.", errors={"reason": [f"One of: {', '.join(ADJUSTMENT_REASONS)}"]})
    lines = data.get("lines") or []
    if not lines:
        raise ValidationFailed("An adjustment needs at least one line.", errors={"lines": ["Required."]})
    return wh, reason, lines


def _line_error(reason: str, qty: Decimal, location, warehouse_id: int, has_location: bool) -> dict | None:
    if not reason_sign_ok(reason, qty):
        return {"quantity": [f"Quantity must be non-zero and have the right sign for {reason}."]}
    if has_location and (location is None or location.warehouse_id != warehouse_id):
        return {"location_id": ["Not a location of this warehouse."]}
    return None


def _post(adj: Adjustment, op_id: str | None) -> None:
    kind = "opening" if adj.reason == "opening_balance" else "adjustment"
    specs = [MoveSpec(ln.product_id, adj.warehouse_id, ln.quantity, kind, unit_cost=ln.unit_cost,
                      location_id=ln.location_id, reason=adj.reason, doc_type=DOC, doc_id=adj.id,
                      doc_line_id=ln.id, note=adj.note[:500] if adj.note else None, op_id=op_id)
             for ln in adj.lines]
    moves = ledger.post(specs)
    by_line = {m.doc_line_id: m for m in moves}
    for ln in adj.lines:
        m = by_line.get(ln.id)
        if m is not None:
            ln.move_id, ln.value = m.id, m.value
    adj.status = ADJUSTMENT_FLOW.next(adj.status, "post" if adj.status == "draft" else "approve")
    adj.posted_at = utcnow()


@command
def create_adjustment(data: dict, user, op_id: str | None = None) -> Adjustment:
    """Create (and, below the approval threshold, post) an adjustment."""
    require(user, "stock.adjust")
    if op_id:
        existing = db.session.scalar(select(Adjustment).where(Adjustment.op_id == op_id))
        if existing is not None:
            return existing
    wh, reason, lines = _check_header(data, user, get_active_warehouse)
    adj = Adjustment(number=numbering.document_number("ADJ"), warehouse_id=wh.id, reason=reason,
                     note=data.get("note"), status="draft", submitted_by_id=user.id if user else None,
                     approval_level=0, op_id=op_id)
    total = Decimal(0)
    errors = {}
    for i, spec in enumerate(lines):
        product = get_product(spec["product_id"])
        qty = Decimal(spec["quantity"])
        loc_id = spec.get("location_id")
        loc = db.session.get(Location, loc_id) if loc_id is not None and reason_sign_ok(reason, qty) else None
        err = _line_error(reason, qty, loc, wh.id, loc_id is not None)
        if err:
            errors[str(i)] = err
            continue
        cost = spec.get("unit_cost") if qty > 0 else None
        total += abs(qty * _estimated_cost(product, wh.id, qty, cost))
        adj.lines.append(AdjustmentLine(product_id=product.id, location_id=loc_id, quantity=qty, unit_cost=cost))
    if errors:
        raise ValidationFailed("Some lines are not valid.", errors={"lines": errors})
    adj.total_value = costing.q4(total)
    db.session.add(adj)
    db.session.flush()
    if adj.total_value > _threshold():
        adj.status = ADJUSTMENT_FLOW.next(adj.status, "submit")
        audit_action(adj, "submit", value=str(adj.total_value))
    else:
        _post(adj, op_id)
        audit_action(adj, "post", value=str(adj.total_value))
    db.session.flush()
    return adj


def plan_adjustment(batch, data: dict, user, op_id: str | None = None) -> dict:
    """``create_adjustment`` on the batch path (``backend.services.batch``): the same checks and the same
    rows — document, lines, moves, audit records — queued for one multi-row write. Returns the row."""
    from backend.services.batch import Fallback

    require(user, "stock.adjust")
    if op_id and batch.has_op_document(Adjustment, op_id):
        raise Fallback("this op already created an adjustment")
    wh, reason, lines = _check_header(data, user, batch.warehouse)
    number = batch.number("ADJ")
    adj = {"number": number, "warehouse_id": wh.id, "reason": reason, "note": data.get("note"), "status": "draft",
           "total_value": Decimal(0), "submitted_by_id": user.id if user else None, "approval_level": 0,
           "posted_at": None, "op_id": op_id, "version": 2, "created_at": batch.now, "updated_at": batch.now}
    total = Decimal(0)
    errors, rows = {}, []
    for i, spec in enumerate(lines):
        product = batch.product(spec["product_id"])
        qty = Decimal(spec["quantity"])
        loc_id = spec.get("location_id")
        loc = batch.location(loc_id) if loc_id is not None and reason_sign_ok(reason, qty) else None
        err = _line_error(reason, qty, loc, wh.id, loc_id is not None)
        if err:
            errors[str(i)] = err
            continue
        cost = spec.get("unit_cost") if qty > 0 else None
        lvl = batch.level(product.id, wh.id)
        total += abs(qty * estimated_cost(product.purchase_price, lvl.quantity, lvl.avg_cost, qty, cost))
        rows.append({"product_id": product.id, "location_id": loc_id, "quantity": qty, "unit_cost": cost,
                     "value": None, "move_id": None})
    if errors:
        raise ValidationFailed("Some lines are not valid.", errors={"lines": errors})
    adj["total_value"] = costing.q4(total)
    adj = batch.add(Adjustment, adj)
    batch.audit_create(Adjustment, {**adj, "version": 1})
    for r in rows:
        r["adjustment_id"] = adj["id"]
        batch.audit_create(AdjustmentLine, batch.add(AdjustmentLine, r))
    if adj["total_value"] > _threshold():
        batch.audit_update(Adjustment, adj, "submit", {"status": ("draft", ADJUSTMENT_FLOW.next("draft", "submit"))},
                           value=str(adj["total_value"]))
        return adj
    kind = "opening" if reason == "opening_balance" else "adjustment"
    note = adj["note"][:500] if adj["note"] else None
    moves = batch.post_moves([MoveSpec(r["product_id"], wh.id, r["quantity"], kind, unit_cost=r["unit_cost"],
                                       location_id=r["location_id"], reason=reason, doc_type=DOC, doc_id=adj["id"],
                                       doc_line_id=r["id"], note=note, op_id=op_id) for r in rows])
    batch.audit_update(Adjustment, adj, "post", {"status": ("draft", ADJUSTMENT_FLOW.next("draft", "post")),
                                                 "posted_at": (None, batch.now)}, value=str(adj["total_value"]))
    by_line = {m["doc_line_id"]: m for m in moves}
    for r in rows:
        m = by_line[r["id"]]
        batch.audit_update(AdjustmentLine, r, "update", {"value": (None, m["value"]), "move_id": (None, m["id"])})
    return adj


def get_adjustment(adjustment_id: int, user) -> Adjustment:
    adj = crud.get_or_404(Adjustment, adjustment_id, "Adjustment")
    ensure_warehouse(user, adj.warehouse_id)
    return adj


def _load_for_action(adjustment_id: int, version: int, user, action: str) -> Adjustment:
    adj = lock(Adjustment, adjustment_id, "Adjustment")
    ensure_warehouse(user, adj.warehouse_id)
    check_version(adj, version)
    ADJUSTMENT_FLOW.next(adj.status, action)  # raises InvalidTransition
    return adj


@command
def approve_adjustment(adjustment_id: int, version: int, user, comment: str | None = None,
                       op_id: str | None = None) -> Adjustment:
    """Approve a pending adjustment; when fully approved its moves are posted (409 if stock ran out)."""
    require(user, "stock.adjust.approve")
    adj = _load_for_action(adjustment_id, version, user, "approve")
    _, done = approvals.record(user, DOC, adj, adj.total_value, "approve", comment)
    audit_action(adj, "approve", comment=comment)
    if done:
        _post(adj, op_id)
    db.session.flush()
    return adj


@command
def reject_adjustment(adjustment_id: int, version: int, user, comment: str | None = None) -> Adjustment:
    require(user, "stock.adjust.approve")
    adj = _load_for_action(adjustment_id, version, user, "reject")
    approvals.record(user, DOC, adj, adj.total_value, "reject", comment)
    adj.status = ADJUSTMENT_FLOW.next(adj.status, "reject")
    audit_action(adj, "reject", comment=comment)
    db.session.flush()
    return adj


@command
def cancel_adjustment(adjustment_id: int, version: int, user) -> Adjustment:
    require(user, "stock.adjust")
    adj = _load_for_action(adjustment_id, version, user, "cancel")
    adj.status = ADJUSTMENT_FLOW.next(adj.status, "cancel")
    audit_action(adj, "cancel")
    db.session.flush()
    return adj


def list_adjustments(args: dict, user) -> dict:
    stmt = select(Adjustment)
    ids = visible_warehouses(user)
    if ids is not None:
        stmt = stmt.where(Adjustment.warehouse_id.in_(ids))
    for f in ("warehouse_id", "status", "reason"):
        if args.get(f):
            stmt = stmt.where(getattr(Adjustment, f) == args[f])
    stmt = stmt.order_by(Adjustment.id.desc())
    return crud.paginate(stmt, args.get("page", 1), args.get("per_page", 50))
