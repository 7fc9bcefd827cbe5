"""Two-step transfers: draft → ship (source → in transit) → receive (partial allowed) → done.

Shortage or damage found on receipt becomes a discrepancy that a manager resolves (write_off,
return_to_source, accept); until resolved it stays "in transit". Cancel only before shipping.

Stable service API (online API and offline sync ops call the same functions)::

    create_transfer(data, user, op_id=None) -> Transfer
        data = {from_warehouse_id, to_warehouse_id, note?, lines: [{product_id, quantity > 0}]}
    update_transfer(transfer_id, version, data, user) -> Transfer          # draft only; replaces lines/note
    ship_transfer(transfer_id, version, user, op_id=None) -> Transfer
    receive_transfer(transfer_id, version, lines, user, op_id=None, complete=False) -> Transfer
        lines = [{line_id | product_id, quantity ≥ 0, damaged_qty?, short_qty?, note?}];
        complete=True reports everything still unaccounted as "short".
    resolve_transfer(transfer_id, version, resolutions, user, op_id=None) -> Transfer
        resolutions = [{discrepancy_id, resolution: write_off|return_to_source|accept, note?}]
    cancel_transfer(transfer_id, version, user) -> Transfer
    get_transfer(transfer_id, user) / list_transfers(args, user)
"""
from __future__ import annotations

from decimal import Decimal

from sqlalchemy import or_, select

from backend.domain import costing
from backend.domain.flows import TRANSFER_FLOW
from backend.domain.inventory import transfer_status_after_receipt
from backend.errors import ValidationFailed, check_version
from backend.extensions import db
from backend.models.base import utcnow
from backend.models.inventory import (
    TRANSFER_RESOLUTIONS,
    Transfer,
    TransferDiscrepancy,
    TransferLine,
)
from backend.services import crud, ledger, numbering, quantities
from backend.services.access import ensure_any_warehouse, ensure_warehouse, lock, require, visible_warehouses
from backend.services.audit import audit_action
from backend.services.ledger import MoveSpec
from backend.services.stock import get_active_warehouse, get_product
from backend.services.uow import command

DOC = "transfer"


def _uid(user):
    return user.id if user is not None else None


def _set_lines(t: Transfer, lines: list[dict]) -> None:
    if not lines:
        raise ValidationFailed("A transfer needs at least one line.", errors={"lines": ["Required."]})
    merged: dict[int, Decimal] = {}
    for i, ln in enumerate(lines):
        qty = Decimal(ln["quantity"])
        if qty <= 0:
            raise ValidationFailed("Quantities must be positive.", errors={"lines": {str(i): {"quantity": ["> 0"]}}})
        product = get_product(ln["product_id"])
        if bad := quantities.line_errors(ln, product.unit):
            raise ValidationFailed("A quantity is out of bounds.", zh="数量超出允许范围。",
                                   errors={"lines": {str(i): bad}})
        merged[product.id] = merged.get(product.id, Decimal(0)) + qty
    t.lines.clear()
    db.session.flush()
    for pid, qty in merged.items():
        t.lines.append(TransferLine(product_id=pid, quantity=qty))


@command
def create_transfer(data: dict, user, op_id: str | None = None) -> Transfer:
    """A draft transfer between two warehouses (the user must work in the source)."""
    require(user, "transfer.create")
    src, dst = get_active_warehouse(data["from_warehouse_id"]), get_active_warehouse(data["to_warehouse_id"])
    if src.id == dst.id:
        raise ValidationFailed("Source and destination must differ.", errors={"to_warehouse_id": ["Same as source."]})
    ensure_warehouse(user, src.id)
    t = Transfer(number=numbering.document_number("TR"), from_warehouse_id=src.id, to_warehouse_id=dst.id,
                 status="draft", note=data.get("note"), created_by_id=_uid(user))
    db.session.add(t)
    _set_lines(t, data.get("lines") or [])
    db.session.flush()
    return t


def get_transfer(transfer_id: int, user) -> Transfer:
    t = crud.get_or_404(Transfer, transfer_id, "Transfer")
    _ensure_either(user, t)
    return t


def _ensure_either(user, t: Transfer) -> None:
    ensure_any_warehouse(user, (t.from_warehouse_id, t.to_warehouse_id),
                         "You do not work in either warehouse of this transfer.", "您不在此调拨单的任一仓库工作。")


def _load(transfer_id: int, version: int, action: str) -> Transfer:
    t = lock(Transfer, transfer_id, "Transfer")
    check_version(t, version)
    TRANSFER_FLOW.next(t.status, action)
    return t


@command
def update_transfer(transfer_id: int, version: int, data: dict, user) -> Transfer:
    require(user, "transfer.create")
    t = _load(transfer_id, version, "update")
    ensure_warehouse(user, t.from_warehouse_id)
    if "note" in data:
        t.note = data["note"]
    if "lines" in data:
        _set_lines(t, data["lines"])
    t.updated_at = utcnow()  # bumps the version even when only lines changed
    db.session.flush()
    return t


@command
def ship_transfer(transfer_id: int, version: int, user, op_id: str | None = None) -> Transfer:
    """Take the goods out of the source (transfer_out moves at the average cost) into transit."""
    require(user, "transfer.ship")
    t = _load(transfer_id, version, "ship")
    ensure_warehouse(user, t.from_warehouse_id)
    moves = ledger.post([MoveSpec(ln.product_id, t.from_warehouse_id, -ln.quantity, "transfer_out",
                                  doc_type=DOC, doc_id=t.id, doc_line_id=ln.id, op_id=op_id,
                                  note=f"to warehouse {t.to_warehouse_id}") for ln in t.lines])
    by_line = {m.doc_line_id: m for m in moves}
    for ln in t.lines:
        m = by_line[ln.id]
        ln.shipped_qty = ln.quantity
        # cost per unit actually taken out (value / qty keeps in-transit value exact for whole receipts)
        ln.unit_cost = costing.q4(-m.value / ln.quantity)
    t.status = TRANSFER_FLOW.next(t.status, "ship")
    t.shipped_at, t.shipped_by_id = utcnow(), _uid(user)
    audit_action(t, "ship")
    db.session.flush()
    return t


def _find_line(t: Transfer, spec: dict, i: int) -> TransferLine:
    for ln in t.lines:
        if (spec.get("line_id") and ln.id == spec["line_id"]) or \
                (not spec.get("line_id") and spec.get("product_id") == ln.product_id):
            return ln
    raise ValidationFailed("No such line on this transfer.", errors={"lines": {str(i): ["Unknown line/product."]}})


def _discrepancy(t: Transfer, ln: TransferLine, kind: str, qty: Decimal, note, user) -> None:
    ln.reported_qty += qty
    t.discrepancies.append(TransferDiscrepancy(
        line_id=ln.id, product_id=ln.product_id, kind=kind, quantity=qty, value=costing.q4(qty * (ln.unit_cost or 0)),
        note=note, reported_by_id=_uid(user)))


@command
def receive_transfer(transfer_id: int, version: int, lines: list[dict], user, op_id: str | None = None,
                     complete: bool = False) -> Transfer:
    """Receive (part of) a shipped transfer into the destination; report shortages and damage."""
    require(user, "transfer.receive")
    t = _load(transfer_id, version, "receive")
    ensure_warehouse(user, t.to_warehouse_id)
    specs, touched = [], False
    for i, spec in enumerate(lines or []):
        ln = _find_line(t, spec, i)
        if bad := quantities.line_errors(spec, quantities.unit_of(ln.product_id),
                                         ("quantity", "damaged_qty", "short_qty")):
            raise ValidationFailed("A quantity is out of bounds.", zh="数量超出允许范围。",
                                   errors={"lines": {str(i): bad}})
        qty = Decimal(spec.get("quantity") or 0)
        damaged, short = Decimal(spec.get("damaged_qty") or 0), Decimal(spec.get("short_qty") or 0)
        if min(qty, damaged, short) < 0:
            raise ValidationFailed("Quantities cannot be negative.", errors={"lines": {str(i): ["Negative."]}})
        if qty + damaged + short > ln.open_qty:
            raise ValidationFailed("More than is still in transit for this line.", code="over_receipt",
                                   errors={"lines": {str(i): {"open": str(ln.open_qty),
                                                             "received": str(qty + damaged + short)}}})
        if qty > 0:
            ln.received_qty += qty
            specs.append(MoveSpec(ln.product_id, t.to_warehouse_id, qty, "transfer_in", unit_cost=ln.unit_cost,
                                  doc_type=DOC, doc_id=t.id, doc_line_id=ln.id, op_id=op_id,
                                  note=f"from warehouse {t.from_warehouse_id}"))
        if damaged > 0:
            _discrepancy(t, ln, "damaged", damaged, spec.get("note"), user)
        if short > 0:
            _discrepancy(t, ln, "short", short, spec.get("note"), user)
        touched = touched or (qty + damaged + short) > 0
    if complete:
        for ln in t.lines:
            if ln.open_qty > 0:
                _discrepancy(t, ln, "short", ln.open_qty, "not received (receipt completed)", user)
                touched = True
    if not touched:
        raise ValidationFailed("Nothing to receive.", errors={"lines": ["Receive or report at least one unit."]})
    ledger.post(specs)
    db.session.flush()
    open_disc = sum(1 for d in t.discrepancies if d.resolution is None)
    t.status = transfer_status_after_receipt(t.lines, open_disc)
    if t.status == "done":
        t.completed_at = utcnow()
    t.updated_at = utcnow()
    audit_action(t, "receive", complete=complete)
    db.session.flush()
    return t


@command
def resolve_transfer(transfer_id: int, version: int, resolutions: list[dict], user,
                     op_id: str | None = None) -> Transfer:
    """A manager decides each discrepancy: write it off, put it back into the source, or accept it."""
    require(user, "transfer.resolve")
    t = _load(transfer_id, version, "resolve")
    _ensure_either(user, t)
    if not resolutions:
        raise ValidationFailed("Nothing to resolve.", errors={"resolutions": ["Required."]})
    by_id = {d.id: d for d in t.discrepancies}
    lines = {ln.id: ln for ln in t.lines}
    specs = []
    for i, r in enumerate(resolutions):
        d = by_id.get(r.get("discrepancy_id"))
        if d is None or d.resolution is not None:
            raise ValidationFailed("Unknown or already resolved discrepancy.",
                                   errors={"resolutions": {str(i): ["Unknown or already resolved."]}})
        if r.get("resolution") not in TRANSFER_RESOLUTIONS:
            raise ValidationFailed("Unknown resolution.", errors={"resolutions": {str(i): {
                "resolution": [f"One of: {', '.join(TRANSFER_RESOLUTIONS)}"]}}})
        ln = lines[d.line_id]
        target = {"return_to_source": t.from_warehouse_id, "accept": t.to_warehouse_id}.get(r["resolution"])
        if target is not None:
            specs.append(MoveSpec(d.product_id, target, d.quantity, "transfer_in", unit_cost=ln.unit_cost,
                                  doc_type=DOC, doc_id=t.id, doc_line_id=ln.id, op_id=op_id,
                                  reason=r["resolution"], note=f"discrepancy {d.id} {d.kind}"))
        d.resolution, d.resolution_note = r["resolution"], r.get("note")
        d.resolved_by_id, d.resolved_at = _uid(user), utcnow()
        ln.resolved_qty += d.quantity
    ledger.post(specs)
    open_disc = sum(1 for d in t.discrepancies if d.resolution is None)
    t.status = transfer_status_after_receipt(t.lines, open_disc)
    if t.status == "done":
        t.completed_at = utcnow()
    t.updated_at = utcnow()
    audit_action(t, "resolve", resolutions=resolutions)
    db.session.flush()
    return t


@command
def cancel_transfer(transfer_id: int, version: int, user) -> Transfer:
    require(user, "transfer.create")
    t = _load(transfer_id, version, "cancel")
    ensure_warehouse(user, t.from_warehouse_id)
    t.status = TRANSFER_FLOW.next(t.status, "cancel")
    audit_action(t, "cancel")
    db.session.flush()
    return t


def list_transfers(args: dict, user) -> dict:
    stmt = select(Transfer)
    ids = visible_warehouses(user)
    if ids is not None:
        stmt = stmt.where(or_(Transfer.from_warehouse_id.in_(ids), Transfer.to_warehouse_id.in_(ids)))
    for f in ("status", "from_warehouse_id", "to_warehouse_id"):
        if args.get(f):
            stmt = stmt.where(getattr(Transfer, f) == args[f])
    if args.get("warehouse_id"):
        stmt = stmt.where(or_(Transfer.from_warehouse_id == args["warehouse_id"],
                              Transfer.to_warehouse_id == args["warehouse_id"]))
    stmt = stmt.order_by(Transfer.id.desc())
    return crud.paginate(stmt, args.get("page", 1), args.get("per_page", 50))
