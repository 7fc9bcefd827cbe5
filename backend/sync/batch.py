"""Batch write path: plan many commands in memory, then write them with a few statements per table.

Sync push uses it for runs of offline ops whose type has a *planner* (``backend.sync.ops``: an op
type's ``Planner``). A planner applies the same rules as the service command (the service's own rule
functions, shared), but against state this batch loaded — and locked — up front:

* ``Batch.load`` (what the run ``Needs``) locks the document counters, then the documents (e.g.
  stocktakes), then the stock levels of the run — the lock order of the one-by-one path — and reads
  products, warehouses, locations and barcodes with one query per table; ``Batch.product/warehouse/
  location/code_owner/level/locked`` answer from those caches;
* ``Batch.add`` is the ORM's INSERT of a new object: the column defaults, ``version`` 1, an id from a
  pre-allocated block (PostgreSQL sequence / the table's max id under SQLite's write lock) and the
  ``create`` record of the audit listener; ``Batch.update`` is its UPDATE: the changed columns,
  ``version`` + 1, ``updated_at`` and the audit record (labelled with a business action like
  ``audit_action``). ``Batch.number`` gives the next document number from the locked counter,
  ``Batch.post_moves`` applies the ledger's costing rule (``ledger.apply_move``) to the in-memory levels;
* ``Batch.mark``/``rollback`` undo a planner that raised (rows, ids, numbers, levels, claimed codes),
  so a refused op leaves nothing behind and no gap.

``flush()`` writes the counters, the levels (INSERT of new rows, executemany UPDATE of the others), one
executemany INSERT per table (psycopg 3 pipelines the rows), the audit rows, the webhook outbox rows and
the change-log notes — the same rows the ORM path writes (``tests/sync/test_batch_path.py`` compares
the two). Whatever a planner cannot decide safely raises ``Fallback``; the caller cuts the run there.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from decimal import Decimal
from types import SimpleNamespace
from typing import Any, cast

from sqlalchemy import Table, bindparam, func, select, text, tuple_, update
from sqlalchemy.orm import lazyload

from backend.context import current_actor, current_request_id
from backend.errors import InsufficientStock, not_found
from backend.extensions import db
from backend.models.audit import AuditLog
from backend.models.base import utcnow
from backend.models.catalog import Barcode, Counter, Product
from backend.models.inventory import Stocktake
from backend.models.ledger import StockLevel, StockMove
from backend.models.ops import WebhookDelivery
from backend.models.warehouses import Location, Warehouse
from backend.services import ledger, numbering, webhooks
from backend.services.audit import jsonable
from backend.sync import changes
from backend.sync.rows import Fallback, Level, Needs, Row, shape, table_order

__all__ = ["Batch", "Fallback", "Level", "Needs", "Row"]

_MISSING = object()


class Batch:
    def __init__(self, expected_rows: int = 64) -> None:
        self.now = utcnow()
        self._block = max(16, expected_rows)  # ids drawn per sequence round trip
        actor = current_actor()
        self.user_id = actor.user_id if actor else None
        self.username = actor.username if actor else None
        self.source = actor.source if actor else "system"
        self.request_id = current_request_id()
        self.rows: dict[type, list[Row]] = {}
        self.audit: list[dict] = []
        self.counters: dict[str, int] = {}  # locked document counters: name -> last value given out
        self.products: dict[int, Product | None] = {}
        self.warehouses: dict[int, Warehouse | None] = {}
        self.locations: dict[int, Location | None] = {}
        self.codes: dict[str, int | None] = {}  # barcode -> owning product id (None: free)
        self.new_codes: dict[str, int] = {}  # barcodes assigned by this batch
        self.levels: dict[tuple[int, int], Level] = {}
        self._ids: dict[type, list[int]] = {}
        self._drawn: list[tuple[type, int]] = []
        self._undo: list[tuple[dict, Any, Any]] = []
        self._op_docs: dict[type, set[str]] = {}
        self._locked: dict[type, dict[int, Any]] = {}
        self._taken: dict[str, int] = {}  # counter values when locked (written back at flush if changed)
        self._op_docs_loaded: set[tuple[type, str]] = set()
        self._pg = db.session.get_bind().dialect.name == "postgresql"

    # ------------------------------------------------------------ loading (one query per table)

    def load(self, needs: Needs) -> None:
        # Lock order as on the one-by-one path: document counter, then documents, then levels (no deadlock
        # between a batch and a concurrent command or batch).
        counters = sorted({f"doc:{p}:{self.now.strftime('%Y%m%d')}" for p in needs.numbers} - self.counters.keys())
        if counters:
            values = numbering.lock_counters(counters)
            self.counters.update(values)
            self._taken.update(values)
        for model, ids in needs.locked.items():  # documents the run writes under: locked in id order
            self._lock_documents(model, ids)
        for model, op_ids in needs.op_docs.items():
            known = self._op_docs.setdefault(model, set())
            known.update(db.session.scalars(select(model.op_id).where(model.op_id.in_(set(op_ids)))))  # type: ignore[attr-defined]
            self._op_docs_loaded.update((model, o) for o in op_ids)
        self._read(Product, self.products, needs.products)
        self._read(Warehouse, self.warehouses, needs.warehouses)
        self._read(Location, self.locations, needs.locations)
        codes = set(needs.codes) - self.codes.keys()
        if codes:
            owners = {code: pid for code, pid in db.session.execute(
                select(Barcode.code, Barcode.product_id).where(Barcode.code.in_(codes)))}
            for c in codes:
                self.codes[c] = owners.get(c)
        self._lock_levels(needs.pairs)

    def _lock_documents(self, model: Any, wanted: Iterable[int]) -> None:
        cache = self._locked.setdefault(model, {})
        ids = {int(i) for i in wanted} - cache.keys()
        if ids:
            rows: Iterable[Any] = db.session.scalars(
                select(model).where(model.id.in_(ids)).order_by(model.id).with_for_update(of=model)
                .options(lazyload("*")).execution_options(populate_existing=True))
            found = {o.id: o for o in rows}
            for i in ids:
                cache[i] = found.get(i)

    def _read(self, model: Any, cache: dict, wanted: Iterable[int]) -> None:
        ids = {int(i) for i in wanted} - cache.keys()
        if ids:
            rows: Iterable[Any] = db.session.scalars(select(model).where(model.id.in_(ids)).options(lazyload("*")))
            found = {o.id: o for o in rows}
            for i in ids:
                cache[i] = found.get(i)

    def _lock_levels(self, pairs: Iterable[tuple[int, int]]) -> None:
        """Lock the existing level rows in (product, warehouse) order — the ledger's deadlock-free order."""
        keys = sorted({(int(p), int(w)) for p, w in pairs} - self.levels.keys())
        if not keys:
            return
        rows = db.session.execute(
            select(StockLevel.product_id, StockLevel.warehouse_id, StockLevel.quantity, StockLevel.value,
                   StockLevel.avg_cost)
            .where(tuple_(StockLevel.product_id, StockLevel.warehouse_id).in_(keys))
            .order_by(StockLevel.product_id, StockLevel.warehouse_id).with_for_update()).all()
        found = {(r.product_id, r.warehouse_id): r for r in rows}
        for key in keys:
            r = found.get(key)
            self.levels[key] = Level(r.quantity, r.value, r.avg_cost, True) if r else \
                Level(Decimal(0), Decimal(0), Decimal(0), False)

    def product(self, product_id: int) -> Product:
        if product_id not in self.products:
            self.load(Needs(products=[product_id]))
        obj = self.products[product_id]
        if obj is None:  # the message crud.get_or_404 gives
            raise not_found("Product", product_id)
        return obj

    def warehouse(self, warehouse_id: int) -> Warehouse:
        if warehouse_id not in self.warehouses:
            self.load(Needs(warehouses=[warehouse_id]))
        obj = self.warehouses[warehouse_id]
        if obj is None:
            raise not_found("Warehouse", warehouse_id)
        return obj

    def location(self, location_id: int) -> Location | None:
        if location_id not in self.locations:
            self.load(Needs(locations=[location_id]))
        return self.locations[location_id]

    def code_owner(self, code: str) -> int | None:
        if code not in self.codes:
            self.load(Needs(codes=[code]))
        return self.codes[code]

    def locked(self, model: type, obj_id: int, what: str) -> Any:
        """A document row locked for update (``stock.lock`` for the batch): NotFound if missing."""
        if obj_id not in self._locked.get(model, {}):
            self.load(Needs(locked={model: [obj_id]}))
        obj = self._locked[model][obj_id]
        if obj is None:
            raise not_found(what, obj_id)
        return obj

    def has_op_document(self, model: type, op_id: str) -> bool:
        """Whether a document of ``model`` was already created by this op (a resend after a lost answer)."""
        if (model, op_id) not in self._op_docs_loaded:
            self.load(Needs(op_docs={model: [op_id]}))
        return op_id in self._op_docs.get(model, ())

    def claim_code(self, code: str, product_id: int) -> None:
        self._set(self.codes, code, product_id)
        self._set(self.new_codes, code, product_id)

    def level(self, product_id: int, warehouse_id: int) -> Level:
        key = (product_id, warehouse_id)
        if key not in self.levels:
            self._lock_levels([key])
        return self.levels[key]

    # ------------------------------------------------------------ planning

    def _set(self, d: dict, key: Any, value: Any) -> None:
        self._undo.append((d, key, d.get(key, _MISSING)))
        d[key] = value

    def mark(self) -> tuple:
        return ({m: len(r) for m, r in self.rows.items()}, len(self.audit), len(self._undo), len(self._drawn))

    def rollback(self, mark: tuple) -> None:
        """Forget everything planned since ``mark`` (a refused op); its ids go back to the pools."""
        rows, n_audit, n_undo, n_drawn = mark
        while len(self._drawn) > n_drawn:
            model, i = self._drawn.pop()
            self._ids[model].insert(0, i)
        for m, r in self.rows.items():
            del r[rows.get(m, 0):]
        del self.audit[n_audit:]
        while len(self._undo) > n_undo:
            d, key, old = self._undo.pop()
            if old is _MISSING:
                d.pop(key, None)
            else:
                d[key] = old

    def new_id(self, model: type) -> int:
        pool = self._ids.setdefault(model, [])
        if not pool:
            pool.extend(self._allocate(model, self._block))
        i = pool.pop(0)
        self._drawn.append((model, i))
        return i

    def _allocate(self, model: Any, n: int) -> list[int]:
        table = model.__tablename__
        if self._pg:
            return sorted(db.session.scalars(text(
                "SELECT nextval(pg_get_serial_sequence(:t, 'id')) FROM generate_series(1, :n)"), {"t": table, "n": n}))
        # SQLite: this transaction holds the database write lock, so max(id) + k is ours (what an INSERT
        # would pick); ids already handed out in this batch are above it.
        top = max([db.session.scalar(select(func.max(model.id))) or 0, *self._given(model)])
        return list(range(top + 1, top + 1 + n))

    def _given(self, model: type) -> list[int]:
        return [r["id"] for r in self.rows.get(model, ())]

    def add(self, model: type, values: dict) -> Row:
        """Queue a new row as the ORM inserts a new object: unset columns get their defaults, a versioned
        row version 1, an ``id`` column an id from the pool; an audited model gets its ``create`` record."""
        row = Row(values)
        ms = shape(model)
        ms.fill(row, self.now)
        if "id" not in row and "id" in model.__table__.c:  # type: ignore[attr-defined]
            row["id"] = self.new_id(model)
        self.rows.setdefault(model, []).append(row)
        if ms.audited:
            after = {k: jsonable(row.get(k)) for k in ms.audit_columns}
            self._audit_row(model, row["id"], "create", {"before": {}, "after": after})
        return row

    def update(self, model: type, row: Row, values: dict, action: str = "update", **details: Any) -> None:
        """Change a queued row as an ORM UPDATE does (version + 1, ``updated_at``), with the audit record
        of the changed columns, labelled ``action`` (``audit_action``) with ``details``."""
        changed = {k: (row.get(k), v) for k, v in values.items() if row.get(k) != v}
        body: dict = {"before": {k: jsonable(b) for k, (b, _a) in changed.items()},
                      "after": {k: jsonable(a) for k, (_b, a) in changed.items()}}
        if details:
            body["details"] = jsonable(details)
        row.update(values)
        ms = shape(model)
        if changed:
            ms.touch(row, self.now)
        if ms.audited and (changed or action != "update"):
            self._audit_row(model, row["id"], action, body)

    def number(self, prefix: str) -> str:
        """The next document number (``numbering.document_number`` from the counter locked at load; a
        refused op gives its number back, so there are no gaps)."""
        day = self.now.strftime("%Y%m%d")
        name = f"doc:{prefix}:{day}"
        if name not in self.counters:
            self.load(Needs(numbers=[prefix]))
        self._set(self.counters, name, self.counters[name] + 1)
        return f"{prefix}-{day}-{self.counters[name]:04d}"

    def _audit_row(self, model: Any, entity_id: Any, action: str, changes: dict) -> None:
        self.audit.append({"at": self.now, "user_id": self.user_id, "username": self.username,
                           "source": self.source, "entity": model.__tablename__, "entity_id": str(entity_id),
                           "action": action, "changes": changes, "request_id": self.request_id})

    def post_moves(self, specs: list[ledger.MoveSpec]) -> list[Row]:
        """``ledger.post`` on the in-memory levels: all or nothing, same rule and same 409 body."""
        planned: dict[tuple[int, int], Level] = {}
        rows, short = [], []
        for m in specs:
            dq = ledger.move_quantity(m)
            if dq == 0:
                continue
            key = (m.product_id, m.warehouse_id)
            self.product(m.product_id)
            self.warehouse(m.warehouse_id)
            lvl = planned.get(key) or self.level(*key)
            try:
                new_qty, new_value, move_value, unit_cost, new_avg = ledger.apply_move(
                    lvl.quantity, lvl.value, lvl.avg_cost, dq, m.unit_cost, self._price_of(m.product_id))
            except ledger.Short:
                short.append(ledger.shortage(m, dq, lvl.quantity))
                continue
            planned[key] = Level(new_qty, new_value, new_avg, lvl.exists, True)
            rows.append(ledger.move_values(m, dq, unit_cost, move_value, new_qty, self.user_id, self.now))
        if short:
            raise InsufficientStock("Not enough stock.", errors={"lines": short})
        for key, lvl in planned.items():
            self._set(self.levels, key, lvl)
        return [self.add(StockMove, r) for r in rows]

    def _price_of(self, product_id: int) -> Callable[[], Decimal]:
        return lambda: self.product(product_id).purchase_price

    # ------------------------------------------------------------ writing

    def flush(self) -> None:
        self._write_counters()
        self._write_levels()
        for model in sorted(self.rows, key=table_order):
            rows = self.rows[model]
            if rows:
                self._insert(model.__table__, rows)  # type: ignore[attr-defined]
        if self.audit:
            self._insert(AuditLog.__table__, self.audit)
        self._outbox(self.audit)
        self._note_changes()
        self._expire_stale()

    def _expire_stale(self) -> None:
        """ORM objects of this transaction that the writes above made stale (levels, a product's barcodes,
        a stocktake's counts) are reloaded on next use by a one-by-one op of the same chunk."""
        session = db.session()
        for obj in list(session.identity_map.values()):
            if isinstance(obj, StockLevel):
                session.expire(obj)
            elif isinstance(obj, Product):
                session.expire(obj, ["barcodes"])
            elif isinstance(obj, Stocktake):
                session.expire(obj, ["counts"])

    def _insert(self, table: Any, rows: list) -> None:
        # executemany: psycopg 3 pipelines the rows (measured faster here than multi-row INSERT … RETURNING)
        db.session.execute(table.insert(), rows)

    def _write_counters(self) -> None:
        for name, value in self.counters.items():
            if value != self._taken.get(name):  # the row is locked since load: set, not increment
                db.session.execute(update(Counter).where(Counter.name == name).values(value=value))

    def _write_levels(self) -> None:
        touched = [(k, v) for k, v in self.levels.items() if v.touched]
        new = [{"product_id": p, "warehouse_id": w, "quantity": v.quantity, "value": v.value, "avg_cost": v.avg_cost,
                "updated_at": self.now} for (p, w), v in touched if not v.exists]
        old = [{"b_p": p, "b_w": w, "b_q": v.quantity, "b_v": v.value, "b_a": v.avg_cost, "b_t": self.now}
               for (p, w), v in touched if v.exists]
        if new:  # a concurrent first move of the same pair makes this fail: the caller falls back
            self._insert(StockLevel.__table__, new)
        if old:
            t = cast(Table, StockLevel.__table__)
            db.session.execute(
                update(t).where(t.c.product_id == bindparam("b_p"), t.c.warehouse_id == bindparam("b_w"))
                .values(quantity=bindparam("b_q"), value=bindparam("b_v"), avg_cost=bindparam("b_a"),
                        updated_at=bindparam("b_t")), old)

    def _outbox(self, audit: list[dict]) -> None:
        session = db.session()
        if not webhooks.active_hooks(session):
            return
        events = [ev for a in audit if (ev := webhooks.event_from_audit(SimpleNamespace(**a)))]  # type: ignore[arg-type]
        for name_table, name in webhooks.INSERT_EVENTS.items():
            model = next((m for m in self.rows if m.__tablename__ == name_table), None)  # type: ignore[attr-defined]
            for r in self.rows.get(model, ()) if model else ():
                events.append(webhooks.event_from_insert(SimpleNamespace(__tablename__=name_table, **r), name))
        rows = webhooks.outbox_rows(session, events)
        if rows:
            self._insert(WebhookDelivery.__table__, rows)

    def _note_changes(self) -> None:
        for model, rows in self.rows.items():
            spec = changes.spec_of(model)
            if spec is not None:
                for r in rows:
                    changes.note_change(spec.entity, r[spec.id_attr])
