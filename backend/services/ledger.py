"""The only way stock changes: ``post(moves)`` writes immutable moves and updates levels atomically.

Outgoing quantity is taken with a guarded UPDATE (``… WHERE quantity + :d >= 0``) after locking the level
row in (product, warehouse) order, so stock never goes negative with many workers on PostgreSQL; on
SQLite, write commands already hold the database write lock (BEGIN IMMEDIATE).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import func, select, tuple_, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import lazyload
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key

from backend.context import current_actor
from backend.domain import costing
from backend.errors import InsufficientStock, ValidationFailed
from backend.extensions import db
from backend.models.base import utcnow
from backend.models.catalog import Product
from backend.models.ledger import MOVE_KINDS, StockLevel, StockMove
from backend.models.warehouses import Warehouse
from backend.services.uow import command


@dataclass
class MoveSpec:
    """One line to post. ``quantity`` is signed (+ in, − out). ``unit_cost`` only for incoming stock;
    None means: at the current average (or the product's purchase price when there is none)."""

    product_id: int
    warehouse_id: int
    quantity: Decimal
    kind: str
    unit_cost: Decimal | None = None
    location_id: int | None = None
    reason: str | None = None
    doc_type: str | None = None
    doc_id: int | None = None
    doc_line_id: int | None = None
    note: str | None = None
    op_id: str | None = None
    created_at: datetime | None = None


def _ensure_levels(pairs: list[tuple[int, int]]) -> None:
    dialect = db.engine.dialect.name
    now = utcnow()
    ins = (pg_insert if dialect == "postgresql" else sqlite_insert)(StockLevel).values(
        [{"product_id": p, "warehouse_id": w, "quantity": 0, "value": 0, "avg_cost": 0, "updated_at": now}
         for p, w in pairs])
    db.session.execute(ins.on_conflict_do_nothing(index_elements=["product_id", "warehouse_id"]))


def _check_known(pairs: list[tuple[int, int]]) -> None:
    """422 for an unknown product or warehouse (rather than a foreign-key error); rows this transaction
    has already loaded need no query."""
    pids = {p for p, _ in pairs if _loaded(Product, p) is None}
    wids = {w for _, w in pairs if _loaded(Warehouse, w) is None}
    known_p = set(db.session.scalars(select(Product.id).where(Product.id.in_(pids)))) if pids else set()
    known_w = set(db.session.scalars(select(Warehouse.id).where(Warehouse.id.in_(wids)))) if wids else set()
    for pid, wid in pairs:
        if (pid in pids and pid not in known_p) or (wid in wids and wid not in known_w):
            raise ValidationFailed("Unknown product or warehouse.", errors={"product_id": pid, "warehouse_id": wid})


def _loaded(model, ident):
    obj = db.session.identity_map.get(identity_key(model, ident))
    return None if obj is None or obj in db.session.deleted else obj


def _lock_levels(pairs: list[tuple[int, int]]) -> dict[tuple[int, int], StockLevel]:
    """The levels of ``pairs``, created when missing and locked in (product, warehouse) order (no
    deadlocks). One pair (a one-line document): one statement when its level exists. More pairs: the
    missing ones are created first in one statement, then all are locked in one statement, so no lock is
    ever taken out of order."""
    if len(pairs) > 1:
        _ensure_levels(pairs)
    found = {(lv.product_id, lv.warehouse_id): lv for lv in db.session.scalars(
        select(StockLevel).where(tuple_(StockLevel.product_id, StockLevel.warehouse_id).in_(pairs))
        .order_by(StockLevel.product_id, StockLevel.warehouse_id)
        .with_for_update(of=StockLevel).execution_options(populate_existing=True).options(lazyload("*")))}
    if len(found) < len(pairs):  # only a single pair can get here
        _ensure_levels(pairs)
        found = {pairs[0]: _lock_level(*pairs[0])}
    return found


def _lock_level(product_id: int, warehouse_id: int) -> StockLevel:
    stmt = (select(StockLevel).where(StockLevel.product_id == product_id, StockLevel.warehouse_id == warehouse_id)
            .with_for_update(of=StockLevel).execution_options(populate_existing=True)
            .options(lazyload("*")))  # the lock needs the row only: no joined product/warehouse refetch
    return db.session.scalars(stmt).one()


class Short(Exception):
    """Not enough stock for an outgoing move."""


def shortage(m: MoveSpec, dq: Decimal, available: Decimal) -> dict:
    """One line of the InsufficientStock (409) body."""
    return {"product_id": m.product_id, "warehouse_id": m.warehouse_id, "requested": str(-dq),
            "available": str(available)}


def apply_move(qty: Decimal, value: Decimal, avg_cost: Decimal, dq: Decimal, unit_cost: Decimal | None,
               purchase_price) -> tuple[Decimal, Decimal, Decimal, Decimal, Decimal]:
    """The costing rule of one move on a level (shared by ``post`` and the batch path).

    Returns (new qty, new value, move value, unit cost of the move, new average cost); raises ``Short``
    when an outgoing move would take the level below zero. ``purchase_price`` is called only when an
    incoming move without a cost meets an empty level.
    """
    if dq > 0:
        cost = unit_cost
        if cost is None:
            cost = avg_cost if qty > 0 else purchase_price()
        if Decimal(cost) < 0:
            raise ValidationFailed("Unit cost cannot be negative.", errors={"unit_cost": str(cost)})
        new_qty, new_value, move_value = costing.receive(qty, value, dq, Decimal(cost))
        unit_cost = Decimal(cost)
    else:
        if qty + dq < 0:
            raise Short()
        new_qty, new_value, move_value = costing.issue(qty, value, -dq)
        unit_cost = avg_cost
    return new_qty, new_value, move_value, unit_cost, costing.average(new_qty, new_value, unit_cost)


def move_quantity(m: MoveSpec) -> Decimal:
    """The signed quantity of a move (0: nothing to post); an unknown kind is a programming error."""
    if m.kind not in MOVE_KINDS:
        raise ValueError(f"unknown move kind {m.kind}")
    return Decimal(m.quantity)


def move_values(m: MoveSpec, dq: Decimal, unit_cost: Decimal, value: Decimal, balance_after: Decimal,
                user_id: int | None, now: datetime) -> dict:
    """The columns of the stock move that posts ``m`` (``post`` and the sync batch path)."""
    return {"product_id": m.product_id, "warehouse_id": m.warehouse_id, "location_id": m.location_id,
            "quantity": dq, "unit_cost": unit_cost, "value": value, "balance_after": balance_after,
            "kind": m.kind, "reason": m.reason, "doc_type": m.doc_type, "doc_id": m.doc_id,
            "doc_line_id": m.doc_line_id, "note": m.note, "op_id": m.op_id, "user_id": user_id,
            "created_at": m.created_at or now}


@command
def post(moves: list[MoveSpec]) -> list[StockMove]:
    """Post moves all-or-nothing; raises InsufficientStock (409) if any level would go negative."""
    if not moves:
        return []
    actor = current_actor()
    pairs = sorted({(m.product_id, m.warehouse_id) for m in moves})
    _check_known(pairs)
    levels = _lock_levels(pairs)
    out = []
    short = []
    for m in moves:
        dq = move_quantity(m)
        if dq == 0:
            continue
        lvl = levels[(m.product_id, m.warehouse_id)]
        qty = lvl.quantity
        try:
            new_qty, new_value, move_value, unit_cost, new_avg = apply_move(
                qty, lvl.value, lvl.avg_cost, dq, m.unit_cost,
                lambda pid=m.product_id: db.session.scalar(select(Product.purchase_price).where(Product.id == pid)))
        except Short:
            short.append(shortage(m, dq, qty))
            continue
        # Guarded update: the database refuses to go below zero even if the lock above were bypassed.
        res = db.session.execute(
            update(StockLevel)
            .where(StockLevel.product_id == m.product_id, StockLevel.warehouse_id == m.warehouse_id,
                   StockLevel.quantity + dq >= 0)
            .values(quantity=StockLevel.quantity + dq, value=new_value, avg_cost=new_avg, updated_at=utcnow())
            .execution_options(synchronize_session=False))
        if res.rowcount != 1:
            short.append(shortage(m, dq, qty))
            continue
        # the UPDATE above already wrote these: keep the object in step without a second UPDATE at flush
        set_committed_value(lvl, "quantity", new_qty)
        set_committed_value(lvl, "value", new_value)
        set_committed_value(lvl, "avg_cost", new_avg)
        move = StockMove(**move_values(m, dq, unit_cost, move_value, new_qty, actor.user_id if actor else None,
                                       utcnow()))
        db.session.add(move)
        out.append(move)
    if short:
        raise InsufficientStock("Not enough stock.", errors={"lines": short})
    db.session.flush()
    return out


def level(product_id: int, warehouse_id: int) -> StockLevel | None:
    return db.session.get(StockLevel, (product_id, warehouse_id))


def on_hand(product_id: int, warehouse_id: int) -> Decimal:
    lvl = level(product_id, warehouse_id)
    return lvl.quantity if lvl else Decimal(0)


def quantity_at(product_id: int, warehouse_id: int, at: datetime) -> Decimal:
    """Book quantity at a moment (sum of moves up to and including ``at``)."""
    total = db.session.scalar(select(func.coalesce(func.sum(StockMove.quantity), 0)).where(
        StockMove.product_id == product_id, StockMove.warehouse_id == warehouse_id, StockMove.created_at <= at))
    return Decimal(total).quantize(Decimal("0.0001"))


def on_hand_by_warehouse(product_id: int, warehouse_ids: set[int] | None = None) -> list[dict]:
    """On-hand, average cost and value per warehouse (for the product detail); ``warehouse_ids``: only
    these (the user's scope, ``access.visible_warehouses``), None for all."""
    stmt = select(StockLevel).where(StockLevel.product_id == product_id)
    if warehouse_ids is not None:
        stmt = stmt.where(StockLevel.warehouse_id.in_(warehouse_ids))
    rows = db.session.scalars(stmt.order_by(StockLevel.warehouse_id)).all()
    return [{"warehouse_id": r.warehouse_id, "warehouse_code": r.warehouse.code, "quantity": r.quantity,
             "avg_cost": r.avg_cost, "value": r.value} for r in rows]
