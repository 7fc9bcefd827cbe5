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

from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import Any

from flask import current_app
from sqlalchemy import and_, select
from sqlalchemy.orm import lazyload

from backend.domain import costing
from backend.domain.flows import ADJUSTMENT_FLOW
from backend.domain.inventory import reason_sign_ok
from backend.errors import ValidationFailed, check_version, not_found
from backend.extensions import db
from backend.models.base import utcnow
from backend.models.catalog import Product
from backend.models.inventory import ADJUSTMENT_REASONS, Adjustment, AdjustmentLine
from backend.models.ledger import StockLevel
from backend.models.warehouses import Location, Warehouse
from backend.services import approvals, crud, ledger, numbering, quantities
from backend.services.access import ensure_warehouse, lock, require, visible_warehouses
from backend.services.audit import audit_action
from backend.services.ledger import MoveSpec
from backend.services.uow import command

DOC = "adjustment"


def _threshold() -> Decimal:
    return Decimal(str(current_app.config.get("ADJUSTMENT_APPROVAL_THRESHOLD", "5000")))


def estimated_cost(purchase_price: Decimal, level_qty: Decimal | None, level_avg: Decimal | None,
                   quantity: Decimal, unit_cost: Decimal | None) -> Decimal:
    """Unit value used for the approval threshold: the given cost of incoming stock, else the average."""
    if quantity > 0 and unit_cost is not None:
        return Decimal(unit_cost)
    return level_avg if level_qty is not None and level_qty > 0 else purchase_price


# ---------------------------------------------------------------- the rules of a new adjustment
# (``create_adjustment`` below, and its batch planner in backend/sync/ops/inventory.py: same functions,
# with the getters of the session or of the batch)


def check_header(data: dict, user: Any, warehouse_of: Callable[[int], Any]) -> tuple[Any, str, list[dict]]:
    """(warehouse, reason, lines) of a new adjustment, checked."""
    wh = warehouse_of(data["warehouse_id"])
    ensure_warehouse(user, wh.id)
    reason = data.get("reason")
    if reason not in ADJUSTMENT_REASONS:
        raise ValidationFailed("Unknown reason.", errors={"reason": [f"One of: {', '.join(ADJUSTMENT_REASONS)}"]})
    lines = data.get("lines") or []
    if not lines:
        raise ValidationFailed("An adjustment needs at least one line.", errors={"lines": ["Required."]})
    return wh, reason, lines


def header_values(data: dict, warehouse_id: int, reason: str, user: Any, op_id: str | None, number: str) -> dict:
    """The columns of a new adjustment (status draft until ``first_action``)."""
    return {"number": number, "warehouse_id": warehouse_id, "reason": reason, "note": data.get("note"),
            "status": "draft", "submitted_by_id": user.id if user else None, "approval_level": 0, "op_id": op_id}


def _line_error(reason: str, qty: Decimal, location: Any, warehouse_id: int, has_location: bool) -> dict | None:
    if not reason_sign_ok(reason, qty):
        return {"quantity": [f"Quantity must be non-zero and have the right sign for {reason}."]}
    if has_location and (location is None or location.warehouse_id != warehouse_id):
        return {"location_id": ["Not a location of this warehouse."]}
    return None


def check_lines(reason: str, warehouse_id: int, lines: list[dict], product_of: Callable[[int], Any],
                location_of: Callable[[int], Any], level_of: Callable[[int, int], Any]
                ) -> tuple[list[dict], Decimal]:
    """The columns of each line and the adjustment's total estimated value (``first_action``); every
    refused line is named in one 422. ``level_of`` answers a stock level (``quantity``, ``avg_cost``)
    or None."""
    total = Decimal(0)
    errors, out = {}, []
    for i, spec in enumerate(lines):
        product = product_of(spec["product_id"])
        qty = Decimal(spec["quantity"])
        loc_id = spec.get("location_id")
        loc = location_of(loc_id) if loc_id is not None and reason_sign_ok(reason, qty) else None
        err = (_line_error(reason, qty, loc, warehouse_id, loc_id is not None)
               or quantities.line_errors(spec, getattr(product, "unit", None)))
        if err:
            errors[str(i)] = err
            continue
        cost = spec.get("unit_cost") if qty > 0 else None
        lvl = level_of(product.id, warehouse_id)
        total += abs(qty * estimated_cost(product.purchase_price, lvl.quantity if lvl else None,
                                          lvl.avg_cost if lvl else None, qty, cost))
        out.append({"product_id": product.id, "location_id": loc_id, "quantity": qty, "unit_cost": cost})
    if errors:
        raise ValidationFailed("Some lines are not valid.", errors={"lines": errors})
    return out, costing.q4(total)


def first_action(total_value: Decimal) -> str:
    """What a new adjustment does: ``post`` at once, or ``submit`` for approval above the threshold."""
    return "submit" if total_value > _threshold() else "post"


def move_specs(adj: Any, lines: Iterable[Any], op_id: str | None) -> list[MoveSpec]:
    """The moves that post an adjustment's lines (``adj`` and ``lines``: ORM objects or batch rows)."""
    kind = "opening" if adj.reason == "opening_balance" else "adjustment"
    note = adj.note[:500] if adj.note else None
    return [MoveSpec(ln.product_id, adj.warehouse_id, ln.quantity, kind, unit_cost=ln.unit_cost,
                     location_id=ln.location_id, reason=adj.reason, doc_type=DOC, doc_id=adj.id,
                     doc_line_id=ln.id, note=note, op_id=op_id) for ln in lines]


def _post(adj: Adjustment, op_id: str | None) -> None:
    moves = ledger.post(move_specs(adj, adj.lines, op_id))
    by_line = {m.doc_line_id: m for m in moves}
    for ln in adj.lines:
        m = by_line.get(ln.id)
        if m is not None:
            ln.move_id, ln.value = m.id, m.value
    adj.status = ADJUSTMENT_FLOW.next(adj.status, "post" if adj.status == "draft" else "approve")
    adj.posted_at = utcnow()


def _location(location_id: int) -> Location | None:
    return db.session.get(Location, location_id)


def _getters(data: dict) -> tuple[Callable, Callable, Callable]:
    """(warehouse_of, product_of, level_of) answered from one statement: the warehouse, the lines'
    products and their levels there (not their bins or barcodes). 404 as ``get_or_404`` would."""
    wid = data["warehouse_id"]
    pids = {ln["product_id"] for ln in data.get("lines") or ()}
    rows = db.session.execute(
        select(Warehouse, Product, StockLevel).select_from(Warehouse)
        .outerjoin(Product, Product.id.in_(pids))
        .outerjoin(StockLevel, and_(StockLevel.product_id == Product.id, StockLevel.warehouse_id == Warehouse.id))
        .where(Warehouse.id == wid).options(lazyload("*"))).all()
    products = {p.id: p for _, p, _ in rows if p is not None}
    levels = {lv.product_id: lv for _, _, lv in rows if lv is not None}

    def warehouse_of(warehouse_id: int) -> Warehouse:
        if not rows:
            raise not_found("Warehouse", warehouse_id)
        return rows[0][0]

    def product_of(product_id: int) -> Product:
        if product_id not in products:
            raise not_found("Product", product_id)
        return products[product_id]

    return warehouse_of, product_of, lambda product_id, _wid: levels.get(product_id)


@command
def create_adjustment(data: dict, user: Any, op_id: str | None = None) -> Adjustment:
    """Create (and, below the approval threshold, post) an adjustment."""
    require(user, "stock.adjust")
    if op_id:
        existing = db.session.scalar(select(Adjustment).where(Adjustment.op_id == op_id))
        if existing is not None:
            return existing
    warehouse_of, product_of, level_of = _getters(data)
    wh, reason, lines = check_header(data, user, warehouse_of)
    adj = Adjustment(**header_values(data, wh.id, reason, user, op_id, numbering.document_number("ADJ")))
    values, adj.total_value = check_lines(reason, wh.id, lines, product_of, _location, level_of)
    adj.lines.extend(AdjustmentLine(**v) for v in values)
    db.session.add(adj)
    db.session.flush()
    action = first_action(adj.total_value)
    if action == "submit":
        adj.status = ADJUSTMENT_FLOW.next(adj.status, "submit")
    else:
        _post(adj, op_id)
    audit_action(adj, action, value=str(adj.total_value))
    db.session.flush()
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
