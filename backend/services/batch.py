"""Batch write path: plan many commands in memory, then write them with a few statements per table.

Sync push uses it for runs of offline ops whose type has a *planner* (see ``sync_ops.op_plan``). A
planner lives next to its service and applies the same rules as the one-by-one function (shared
helpers), but against state this batch loaded — and locked — up front:

* ``Batch.load`` locks the document counters, then the documents (e.g. stocktakes), then the stock
  levels of the run — the lock order of the one-by-one path — and reads products, warehouses,
  locations and barcodes with one query per table; ``Batch.product/warehouse/location/code_owner/
  level/locked`` answer from those caches;
* ``Batch.add`` queues a row with an id from a pre-allocated block (PostgreSQL sequence / the table's
  max id under SQLite's write lock), ``Batch.number`` gives the next document number from the locked
  counter, ``Batch.post_moves`` applies the ledger's costing rule (``ledger.apply_move``) to the
  in-memory levels, ``Batch.audit_*`` queue the audit rows the ORM listener would have written;
* ``Batch.mark``/``rollback`` undo a planner that raised (rows, ids, numbers, levels, claimed codes),
  so a refused op leaves nothing behind and no gap.

``flush()`` writes the counters, the levels (INSERT of new rows, executemany UPDATE of the others), one
executemany INSERT per table (psycopg 3 pipelines the rows), the audit rows, the webhook outbox rows and
the change-log notes — the same rows the ORM path writes (``tests/sync/test_batch_path.py`` compares
the two). Whatever a planner cannot decide safely raises ``Fallback``; the caller cuts the run there.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

from sqlalchemy import bindparam, func, inspect, select, text, tuple_, update
from sqlalchemy.orm import lazyload

from backend.context import current_actor, current_request_id
from backend.domain.barcodes import equivalent_codes
from backend.errors import InsufficientStock, not_found
from backend.extensions import db
from backend.models.base import Base, utcnow
from backend.models.catalog import Barcode, Counter, Product
from backend.models.ledger import MOVE_KINDS, StockLevel, StockMove
from backend.models.warehouses import Location, Warehouse
from backend.services import ledger, numbering, sync_changes, webhooks
from backend.services.audit import _ALWAYS_EXCLUDED, _jsonable


class Fallback(Exception):
    """The batch path cannot take this run safely: apply its ops one by one instead."""


@dataclass(frozen=True)
class Level:
    quantity: Decimal
    value: Decimal
    avg_cost: Decimal
    exists: bool  # a row exists in stock_levels (else it is inserted at flush)
    touched: bool = False


_MISSING = object()
_order: dict[str, int] = {}


def _table_order(model: type) -> int:
    """Position in the metadata's dependency order: parents are inserted before children (FKs)."""
    if not _order:
        _order.update({t.name: i for i, t in enumerate(Base.metadata.sorted_tables)})
    return _order[model.__tablename__]


def _audit_columns(model: type) -> list[str]:
    excluded = _ALWAYS_EXCLUDED | set(getattr(model, "__audit_exclude__", ()))
    return [a.key for a in inspect(model).column_attrs if a.key not in excluded]


class Batch:
    def __init__(self, expected_rows: int = 64) -> None:
        self.now = utcnow()
        self._block = max(16, expected_rows)  # ids drawn per sequence round trip
        actor = current_actor()
        self.user_id = actor.user_id if actor else None
        self.username = actor.username if actor else None
        self.source = actor.source if actor else "system"
        self.request_id = current_request_id()
        self.rows: dict[type, list[dict]] = {}
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

    def load(self, products=(), warehouses=(), locations=(), codes=(), pairs=(), op_docs=None, locked=None,
             numbers=()) -> None:
        # Lock order as on the one-by-one path: document counter, then documents, then levels (no deadlock
        # between a batch and a concurrent command or batch).
        counters = sorted({f"doc:{p}:{self.now.strftime('%Y%m%d')}" for p in numbers} - self.counters.keys())
        if counters:
            values = numbering.lock_counters(counters)
            self.counters.update(values)
            self._taken.update(values)
        for model, ids in (locked or {}).items():  # documents the run writes under: locked in id order
            cache = self._locked.setdefault(model, {})
            ids = {int(i) for i in ids} - cache.keys()
            if ids:
                found = {o.id: o for o in db.session.scalars(
                    select(model).where(model.id.in_(ids)).order_by(model.id).with_for_update(of=model)
                    .options(lazyload("*")).execution_options(populate_existing=True))}
                for i in ids:
                    cache[i] = found.get(i)
        for model, op_ids in (op_docs or {}).items():
            known = self._op_docs.setdefault(model, set())
            known.update(db.session.scalars(select(model.op_id).where(model.op_id.in_(set(op_ids)))))
            self._op_docs_loaded.update((model, o) for o in op_ids)
        for model, cache, ids in ((Product, self.products, products), (Warehouse, self.warehouses, warehouses),
                                  (Location, self.locations, locations)):
            ids = {int(i) for i in ids} - cache.keys()
            if ids:
                found = {o.id: o for o in db.session.scalars(select(model).where(model.id.in_(ids)).options(lazyload("*")))}
                for i in ids:
                    cache[i] = found.get(i)
        codes = set(codes) - self.codes.keys()
        if codes:
            owners = dict(db.session.execute(select(Barcode.code, Barcode.product_id)
                                             .where(Barcode.code.in_(codes))).all())
            for c in codes:
                self.codes[c] = owners.get(c)
        self._lock_levels(pairs)

    def _lock_levels(self, pairs) -> None:
        """Lock the existing level rows in (product, warehouse) order — the ledger's deadlock-free order."""
        pairs = sorted({(int(p), int(w)) for p, w in pairs} - self.levels.keys())
        if not pairs:
            return
        rows = db.session.execute(
            select(StockLevel.product_id, StockLevel.warehouse_id, StockLevel.quantity, StockLevel.value,
                   StockLevel.avg_cost)
            .where(tuple_(StockLevel.product_id, StockLevel.warehouse_id).in_(pairs))
            .order_by(StockLevel.product_id, StockLevel.warehouse_id).with_for_update()).all()
        found = {(r.product_id, r.warehouse_id): r for r in rows}
        for key in pairs:
            r = found.get(key)
            self.levels[key] = Level(r.quantity, r.value, r.avg_cost, True) if r else \
                Level(Decimal(0), Decimal(0), Decimal(0), False)

    def _cached(self, cache: dict, model: type, obj_id: int):
        if obj_id not in cache:
            self.load(**{{Product: "products", Warehouse: "warehouses", Location: "locations"}[model]: [obj_id]})
        return cache[obj_id]

    def product(self, product_id: int) -> Product:
        obj = self._cached(self.products, Product, product_id)
        if obj is None:  # the message crud.get_or_404 gives
            raise not_found("Product", product_id)
        return obj

    def warehouse(self, warehouse_id: int) -> Warehouse:
        obj = self._cached(self.warehouses, Warehouse, warehouse_id)
        if obj is None:
            raise not_found("Warehouse", warehouse_id)
        return obj

    def location(self, location_id: int) -> Location | None:
        return self._cached(self.locations, Location, location_id)

    def code_owner(self, code: str) -> int | None:
        if code not in self.codes:
            self.load(codes=[code])
        return self.codes[code]

    def locked(self, model: type, obj_id: int, what: str):
        """A document row locked for update (``stock.lock`` for the batch): NotFound if missing."""
        if obj_id not in self._locked.get(model, {}):
            self.load(locked={model: [obj_id]})
        obj = self._locked[model][obj_id]
        if obj is None:
            raise not_found(what, obj_id)
        return obj

    def has_op_document(self, model: type, op_id: str) -> bool:
        """Whether a document of ``model`` was already created by this op (a resend after a lost answer)."""
        if (model, op_id) not in self._op_docs_loaded:
            self.load(op_docs={model: [op_id]})
        return op_id in self._op_docs.get(model, ())

    def claim_code(self, code: str, product_id: int) -> None:
        self._set(self.codes, code, product_id)
        self._set(self.new_codes, code, product_id)

    def resolve_ref(self, ref: dict) -> tuple[int, Decimal]:
        """``sync_ops.resolve_product`` for the batch: a code assigned earlier in this batch is not written
        yet, so a line naming it (or its UPC/EAN twin) cannot be resolved here."""
        code = (ref.get("barcode") or "").strip()
        if not ref.get("product_id") and code and set(equivalent_codes(code)) & self.new_codes.keys():
            raise Fallback("line names a barcode assigned in this batch")
        from backend.services.sync_ops import resolve_product

        return resolve_product(ref)

    def level(self, product_id: int, warehouse_id: int) -> Level:
        key = (product_id, warehouse_id)
        if key not in self.levels:
            self._lock_levels([key])
        return self.levels[key]

    # ------------------------------------------------------------ planning

    def _set(self, d: dict, key, value) -> None:
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

    def _allocate(self, model: type, n: int) -> list[int]:
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

    def add(self, model: type, row: dict) -> dict:
        """Queue one row (an id is drawn when the model has an ``id`` column and none is given)."""
        if "id" not in row and "id" in model.__table__.c:
            row["id"] = self.new_id(model)
        self.rows.setdefault(model, []).append(row)
        return row

    def number(self, prefix: str) -> str:
        """The next document number (``numbering.document_number`` from the counter locked at load; a
        refused op gives its number back, so there are no gaps)."""
        day = self.now.strftime("%Y%m%d")
        name = f"doc:{prefix}:{day}"
        if name not in self.counters:
            self.load(numbers=[prefix])
        self._set(self.counters, name, self.counters[name] + 1)
        return f"{prefix}-{day}-{self.counters[name]:04d}"

    def _audit_row(self, model: type, entity_id, action: str, changes: dict) -> None:
        self.audit.append({"at": self.now, "user_id": self.user_id, "username": self.username,
                           "source": self.source, "entity": model.__tablename__, "entity_id": str(entity_id),
                           "action": action, "changes": changes, "request_id": self.request_id})

    def audit_create(self, model: type, row: dict) -> None:
        """The ``create`` record the audit listener writes for a new row (snapshot of its columns)."""
        after = {k: _jsonable(row.get(k)) for k in _audit_columns(model)}
        self._audit_row(model, row["id"], "create", {"before": {}, "after": after})

    def audit_update(self, model: type, row: dict, action: str, changes: dict, **details) -> None:
        """The record of an update: ``changes`` = {column: (before, after)}; ``row`` is updated too."""
        before = {k: _jsonable(b) for k, (b, _a) in changes.items()}
        after = {k: _jsonable(a) for k, (_b, a) in changes.items()}
        body = {"before": before, "after": after}
        if details:
            body["details"] = _jsonable(details)
        for k, (_b, a) in changes.items():
            row[k] = a
        self._audit_row(model, row["id"], action, body)

    def post_moves(self, specs: list[ledger.MoveSpec]) -> list[dict]:
        """``ledger.post`` on the in-memory levels: all or nothing, same rule and same 409 body."""
        planned: dict[tuple[int, int], Level] = {}
        rows, short = [], []
        for m in specs:
            if m.kind not in MOVE_KINDS:
                raise ValueError(f"unknown move kind {m.kind}")
            dq = Decimal(m.quantity)
            if dq == 0:
                continue
            key = (m.product_id, m.warehouse_id)
            self.product(m.product_id)
            self.warehouse(m.warehouse_id)
            lvl = planned.get(key) or self.level(*key)
            try:
                new_qty, new_value, move_value, unit_cost, new_avg = ledger.apply_move(
                    lvl.quantity, lvl.value, lvl.avg_cost, dq, m.unit_cost,
                    lambda pid=m.product_id: self.product(pid).purchase_price)
            except ledger.Short:
                short.append(ledger.shortage(m, dq, lvl.quantity))
                continue
            planned[key] = Level(new_qty, new_value, new_avg, lvl.exists, True)
            rows.append({"product_id": m.product_id, "warehouse_id": m.warehouse_id, "location_id": m.location_id,
                         "quantity": dq, "unit_cost": unit_cost, "value": move_value, "balance_after": new_qty,
                         "kind": m.kind, "reason": m.reason, "doc_type": m.doc_type, "doc_id": m.doc_id,
                         "doc_line_id": m.doc_line_id, "note": m.note, "op_id": m.op_id, "user_id": self.user_id,
                         "created_at": m.created_at or self.now})
        if short:
            raise InsufficientStock("Not enough stock.", errors={"lines": short})
        for key, lvl in planned.items():
            self._set(self.levels, key, lvl)
        return [self.add(StockMove, r) for r in rows]

    # ------------------------------------------------------------ writing

    def flush(self) -> None:
        self._write_counters()
        self._write_levels()
        for model in sorted(self.rows, key=_table_order):
            rows = self.rows[model]
            if rows:
                self._insert(model.__table__, rows)
        audit = self.audit
        if audit:
            from backend.models.audit import AuditLog

            self._insert(AuditLog.__table__, audit)
        self._outbox(audit)
        self._note_changes()
        self._expire_stale()

    def _expire_stale(self) -> None:
        """ORM objects of this transaction that the writes above made stale (levels, a product's barcodes,
        a stocktake's counts) are reloaded on next use by a one-by-one op of the same chunk."""
        from backend.models.inventory import Stocktake

        session = db.session()
        for obj in list(session.identity_map.values()):
            if isinstance(obj, StockLevel):
                session.expire(obj)
            elif isinstance(obj, Product):
                session.expire(obj, ["barcodes"])
            elif isinstance(obj, Stocktake):
                session.expire(obj, ["counts"])

    def _insert(self, table, rows: list[dict]) -> None:
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
            t = StockLevel.__table__
            db.session.execute(
                update(t).where(t.c.product_id == bindparam("b_p"), t.c.warehouse_id == bindparam("b_w"))
                .values(quantity=bindparam("b_q"), value=bindparam("b_v"), avg_cost=bindparam("b_a"),
                        updated_at=bindparam("b_t")), old)

    def _outbox(self, audit: list[dict]) -> None:
        session = db.session()
        if not webhooks._active_hooks(session):
            return
        events = [ev for a in audit if (ev := webhooks._event_from_audit(SimpleNamespace(**a)))]
        for name_table, name in webhooks.INSERT_EVENTS.items():
            model = next((m for m in self.rows if m.__tablename__ == name_table), None)
            for r in self.rows.get(model, ()) if model else ():
                events.append(webhooks._event_from_insert(SimpleNamespace(__tablename__=name_table, **r), name))
        rows = webhooks.outbox_rows(session, events)
        if rows:
            from backend.models.ops import WebhookDelivery

            self._insert(WebhookDelivery.__table__, rows)

    def _note_changes(self) -> None:
        for model, rows in self.rows.items():
            spec = sync_changes._spec(model)
            if spec is not None:
                for r in rows:
                    sync_changes.note_change(spec.entity, r[spec.id_attr])
