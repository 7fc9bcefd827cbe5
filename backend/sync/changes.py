"""Change log for ``GET /api/v1/sync/pull``: a global, commit-ordered change sequence.

Every flush that inserts, updates or deletes a tracked row (product, barcode, warehouse, location, and
the documents phones work on, including their lines: ``TRACKED``) notes ``(entity, id)`` on the session. At commit
(``before_commit``) the transaction takes ``n`` numbers from the ``sync:changes`` counter with
``UPDATE counters SET value = value + n … RETURNING`` and upserts one ``sync_changes`` row per entity with
its new sequence number, in the same transaction as the change itself.

Why this is a safe cursor: the counter row stays locked until the transaction commits, so the next
transaction can only take its numbers after this one has committed. Commit order therefore equals
sequence order and a reader that has seen sequence ``s`` has also seen every change numbered below
``s`` — a row that commits "late" always gets a later number (unlike ``updated_at`` watermarks or plain
autoincrement ids, which are assigned before commit). The lock is held only for the last moments of the
commit, and only by transactions that changed a tracked row. On SQLite writers are serialized anyway.

Only ORM changes are seen; bulk ``update()``/``delete()`` statements on tracked tables must call
``note_change(entity, id)`` themselves.
"""
from __future__ import annotations

from dataclasses import dataclass
from itertools import chain
from typing import Any

from sqlalchemy import event, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from backend.extensions import db
from backend.models.base import utcnow
from backend.models.catalog import Counter
from backend.models.sync import SyncChange

COUNTER = "sync:changes"
_KEY = "sync_changes"


@dataclass(frozen=True)
class Tracked:
    entity: str
    id_attr: str = "id"


# mapped class name -> how a change of such a row maps to a pulled entity (lines map to their document);
# the entities are those of backend/sync/pull.py
TRACKED: dict[str, Tracked] = {
    "Product": Tracked("product"),
    "Barcode": Tracked("barcode"),
    "Warehouse": Tracked("warehouse"),
    "Location": Tracked("location"),
    "PurchaseOrder": Tracked("purchase_order"),
    "PurchaseOrderLine": Tracked("purchase_order", "order_id"),
    "SalesOrder": Tracked("sales_order"),
    "SalesOrderLine": Tracked("sales_order", "order_id"),
    "Transfer": Tracked("transfer"),
    "TransferLine": Tracked("transfer", "transfer_id"),
    "Stocktake": Tracked("stocktake"),
}
_cache: dict[type, Tracked | None] = {}


def spec_of(cls: type) -> Tracked | None:
    try:
        return _cache[cls]
    except KeyError:
        spec = next((TRACKED[c.__name__] for c in cls.__mro__ if c.__name__ in TRACKED), None)
        _cache[cls] = spec
        return spec


def note_change(entity: str, entity_id: int, session: Session | None = None) -> None:
    """Record a change made outside the ORM unit of work (bulk statements)."""
    s = session or db.session()
    s.info.setdefault(_KEY, set()).add((entity, int(entity_id)))


@event.listens_for(Session, "after_flush")
def _collect(session: Session, _ctx: object) -> None:
    found = None
    for obj in chain(session.new, session.dirty, session.deleted):
        spec = spec_of(type(obj))
        if spec is None:
            continue
        if obj in session.dirty and not session.is_modified(obj, include_collections=False):
            continue
        eid = getattr(obj, spec.id_attr, None)
        if eid is None:
            continue
        if found is None:
            found = session.info.setdefault(_KEY, set())
        found.add((spec.entity, int(eid)))


def _take(session: Session, n: int) -> int:
    """Reserve ``n`` sequence numbers; returns the last one. Holds the counter row lock until commit."""
    for _ in range(3):
        row = session.execute(update(Counter).where(Counter.name == COUNTER)
                              .values(value=Counter.value + n).returning(Counter.value)).first()
        if row is not None:
            return int(row[0])
        try:
            with session.begin_nested():
                session.execute(insert(Counter).values(name=COUNTER, value=n))
            return n
        except IntegrityError:
            continue
    raise RuntimeError("sync change counter unavailable")


@event.listens_for(Session, "before_commit")
def _write(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a SAVEPOINT release: the outer commit writes the change log once
    if session.new or session.dirty or session.deleted:
        session.flush()  # before_commit runs before the final flush: see everything first
    changes = session.info.pop(_KEY, None)
    if not changes:
        return
    items = sorted(changes)
    last = _take(session, len(items))
    first = last - len(items) + 1
    now = utcnow()
    rows = [{"entity": e, "entity_id": i, "seq": first + k, "changed_at": now} for k, (e, i) in enumerate(items)]
    stmt = (pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert)(SyncChange)
    # executemany of one cached statement (a VALUES list of thousands of rows would be compiled each time)
    session.execute(stmt.on_conflict_do_update(
        index_elements=["entity", "entity_id"],
        set_={"seq": stmt.excluded.seq, "changed_at": stmt.excluded.changed_at}), rows)


@event.listens_for(Session, "after_soft_rollback")
def _forget(session: Session, previous_transaction: Any) -> None:
    # Only a rollback of the whole transaction discards the notes; after a savepoint rollback they are
    # kept (announcing an entity that did not change is harmless, missing one is not).
    if previous_transaction.parent is None and not previous_transaction.nested:
        session.info.pop(_KEY, None)


def current_seq(session: Session) -> int:
    return int(session.scalar(select(Counter.value).where(Counter.name == COUNTER)) or 0)
