"""``GET /api/v1/sync/pull``: what changed since a cursor, so a phone can work offline.

A first pull (no cursor) pages through a full snapshot of every entity in the scope, ordered by entity
then id, pinned to the change sequence read when the snapshot began (``hw``). After the snapshot the
cursor switches to the change phase: rows of ``sync_changes`` with ``seq > cursor`` in ``seq`` order (see
backend/sync/changes.py for why this never misses a late commit). For each changed entity the
current row is sent (``upsert``) or, when it no longer exists or left the user's view (another warehouse,
a document that is no longer open), a ``delete``. Changes made while a snapshot was being paged are
delivered again by the change phase (upserts are idempotent).

Who sees what: each entity needs the permission its own list endpoint needs (``Entity.perm``); entities
the user may not see are not pulled at all and the answer names them (``omitted``). Rows are scoped to the
user's warehouses as the lists are, and cost columns (``info=COST`` in the models, also in document lines)
are left out without ``cost.view`` (backend/auth/visibility.py).

Cursors are opaque (base64url JSON); they carry the scope and a fingerprint of what the user may see
(warehouse set, pulled entities, costs) — if that changes, the next pull restarts with a snapshot
(``reset: true``).
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Callable
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import or_, select

from backend.auth.visibility import can_see_costs, cost_columns
from backend.domain.flows import PO_FLOW, SO_FLOW, STOCKTAKE_FLOW, TRANSFER_FLOW
from backend.errors import ValidationFailed
from backend.extensions import db
from backend.models.catalog import Barcode, Product
from backend.models.inventory import Stocktake, Transfer, TransferLine
from backend.models.purchasing import PurchaseOrder, PurchaseOrderLine
from backend.models.sales import SalesOrder, SalesOrderLine
from backend.models.sync import SyncChange
from backend.models.warehouses import Location, Warehouse
from backend.services.access import visible_warehouses
from backend.sync import changes as change_log

DEFAULT_LIMIT = 1000
MAX_LIMIT = 5000

Where = Callable[[Any, "set[int] | None"], list]


@dataclass
class Entity:
    name: str
    group: str  # scope a client can ask for
    perm: str  # the permission of the entity's own list endpoint
    model: Any
    where: Where = lambda m, wh: []
    lines: tuple[Any, str] | None = None  # (line model, foreign key column to the document)
    exclude: tuple[str, ...] = ()


def _wh(col: str) -> Where:
    return lambda m, wh: [] if wh is None else [getattr(m, col).in_(wh)]


def _open(statuses: tuple[str, ...], *wh_cols: str) -> Where:
    def where(m: Any, wh: set[int] | None) -> list:
        clauses = [m.status.in_(statuses)]
        if wh is not None:
            clauses.append(or_(*(getattr(m, c).in_(wh) for c in wh_cols)))
        return clauses

    return where


# A change of a row is noted for its entity by backend/sync/changes.py (``TRACKED``: lines count as a
# change of their document).
ENTITIES: list[Entity] = [
    Entity("warehouse", "warehouses", "warehouse.view", Warehouse,
           lambda m, wh: [] if wh is None else [m.id.in_(wh)], exclude=("notes",)),
    Entity("location", "warehouses", "warehouse.view", Location, _wh("warehouse_id")),
    Entity("product", "catalog", "product.view", Product, exclude=("notes",)),
    Entity("barcode", "catalog", "product.view", Barcode),
    Entity("purchase_order", "documents", "purchase.view", PurchaseOrder,
           _open(PO_FLOW.group("open"), "warehouse_id"),
           lines=(PurchaseOrderLine, "order_id"), exclude=("notes", "reject_reason")),
    Entity("sales_order", "documents", "sales.view", SalesOrder,
           _open(SO_FLOW.group("open"), "warehouse_id"),
           lines=(SalesOrderLine, "order_id"), exclude=("notes", "rejected_reason")),
    Entity("transfer", "documents", "transfer.view", Transfer,
           _open(TRANSFER_FLOW.group("open"), "from_warehouse_id", "to_warehouse_id"),
           lines=(TransferLine, "transfer_id")),
    # stocktakes are counted blind: the header only, no theoretical quantities
    Entity("stocktake", "documents", "stocktake.view", Stocktake, _open(STOCKTAKE_FLOW.group("counting"), "warehouse_id")),
]
BY_NAME = {e.name: e for e in ENTITIES}
SCOPES: dict[str, list[str]] = {"all": [e.name for e in ENTITIES]}
for _e in ENTITIES:
    SCOPES.setdefault(_e.group, []).append(_e.name)


def _json(v: Any) -> Any:
    if isinstance(v, Decimal):
        return str(v)
    if isinstance(v, (datetime, date)):
        return v.isoformat()
    return v


def _columns(model: Any, hidden: AbstractSet[str]) -> list:
    return [c for c in model.__table__.columns if c.key not in hidden]


def _rows(ent: Entity, wh: set[int] | None, *, ids: list[int] | None = None, after: int = 0,
          limit: int | None = None, costs: bool = True) -> list[dict]:
    m = ent.model
    hidden = set(ent.exclude) | (set() if costs else cost_columns(m))
    stmt = select(*_columns(m, hidden)).where(*ent.where(m, wh))
    if ids is not None:
        stmt = stmt.where(m.id.in_(ids))
    else:
        stmt = stmt.where(m.id > after).order_by(m.id).limit(limit)
    out = [{k: _json(v) for k, v in r._mapping.items()} for r in db.session.execute(stmt)]
    if ent.lines and out:
        lm, fk = ent.lines
        by_doc: dict[int, list] = {d["id"]: [] for d in out}
        lcols = _columns(lm, set() if costs else cost_columns(lm))
        for r in db.session.execute(select(*lcols).where(getattr(lm, fk).in_(list(by_doc))).order_by(lm.id)):
            d = {k: _json(v) for k, v in r._mapping.items()}
            by_doc[d[fk]].append(d)
        for d in out:
            d["lines"] = by_doc[d["id"]]
    return out


def _fingerprint(wh: set[int] | None, omitted: list[str], costs: bool) -> str:
    """What the user may see: warehouses, the entities left out, costs (a change restarts the snapshot).

    A user who sees every entity and the costs keeps the fingerprint of before per-entity permissions."""
    fp = "all" if wh is None else hashlib.sha1(",".join(map(str, sorted(wh))).encode()).hexdigest()[:12]
    if omitted or not costs:
        fp = hashlib.sha1(f"{fp};-{','.join(omitted)};c{int(costs)}".encode()).hexdigest()[:12]
    return fp


def _encode(c: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(c, separators=(",", ":")).encode()).decode().rstrip("=")


_BIG = 2**63 - 1  # ids and change sequence numbers are at most BIGINT
# Every key a cursor of each phase carries, with its type; anything else is not a cursor of ours.
_CURSOR_KEYS = {"s": {"v": int, "sc": str, "w": str, "ph": str, "hw": int, "e": int, "a": int},
                "c": {"v": int, "sc": str, "w": str, "ph": str, "s": int}}


def _decode(cursor: str) -> dict:
    """The cursor's fields, or 422 ``invalid_cursor`` for anything this server did not write (garbage,
    another shape, a negative or huge number): the numbers go into SQL, so every one is checked."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        if raw[:1] != b"{" or raw.count(b"{") + raw.count(b"[") > 1:  # a flat object, nothing nested
            raise ValueError
        c: Any = json.loads(raw)
        keys = _CURSOR_KEYS.get(str(c.get("ph"))) if isinstance(c, dict) else None
        if keys is None or c.keys() != keys.keys() or c["v"] != 1:
            raise ValueError
        for k, t in keys.items():  # bool is an int to Python; a cursor never holds one
            if type(c[k]) is not t or (t is int and not 0 <= c[k] <= _BIG):
                raise ValueError
        if c["ph"] == "s" and c["e"] > len(ENTITIES):
            raise ValueError
        fields: dict = c
        return fields
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError):
        raise ValidationFailed("The cursor is not valid; pull without a cursor.", zh="游标无效；请不带游标重新拉取。",
                               code="invalid_cursor", errors={"cursor": ["Not a cursor from this server."]}) from None


@dataclass
class _View:
    """What one pull may send: the entities (in order), the user's warehouses, costs or not."""

    names: list[str]
    wh: set[int] | None
    costs: bool
    limit: int


def _page(c: dict, reset: bool, omitted: list[str], changes: list[dict], more: bool) -> dict:
    return {"cursor": _encode(c), "has_more": more, "reset": reset, "omitted": omitted, "changes": changes}


def _snapshot(v: _View, c: dict, changes: list[dict]) -> tuple[dict, bool | None]:
    """Page through the snapshot from the cursor: (next cursor, has_more) — has_more None: the snapshot
    is done and room is left for the change phase."""
    e, after = c["e"], c["a"]
    while e < len(v.names) and len(changes) < v.limit:
        ent = BY_NAME[v.names[e]]
        room = v.limit - len(changes)
        rows = _rows(ent, v.wh, after=after, limit=room, costs=v.costs)
        changes.extend({"entity": ent.name, "id": r["id"], "op": "upsert", "data": r} for r in rows)
        if len(rows) < room:  # this entity is exhausted
            e, after = e + 1, 0
        else:
            after = rows[-1]["id"]
    if e < len(v.names):
        return {**c, "e": e, "a": after}, True
    c = {"v": 1, "sc": c["sc"], "w": c["w"], "ph": "c", "s": c["hw"]}
    if len(changes) >= v.limit:
        more = db.session.scalar(select(SyncChange.id).where(SyncChange.seq > c["s"],
                                                             SyncChange.entity.in_(v.names)).limit(1)) is not None
        return c, more
    return c, None


def _change_phase(v: _View, c: dict, changes: list[dict]) -> tuple[dict, bool]:
    """The changes after the cursor's sequence: the current row of each (or a delete)."""
    room = v.limit - len(changes)
    rows = db.session.execute(select(SyncChange.entity, SyncChange.entity_id, SyncChange.seq)
                              .where(SyncChange.seq > c["s"], SyncChange.entity.in_(v.names))
                              .order_by(SyncChange.seq).limit(room + 1)).all()
    more = len(rows) > room
    rows = rows[:room]
    by_ent: dict[str, list[int]] = {}
    for r in rows:
        by_ent.setdefault(r.entity, []).append(r.entity_id)
    current: dict[tuple[str, int], dict] = {}
    for name, ids in by_ent.items():
        for i in range(0, len(ids), 500):
            for d in _rows(BY_NAME[name], v.wh, ids=ids[i:i + 500], costs=v.costs):
                current[(name, d["id"])] = d
    for r in rows:
        data = current.get((r.entity, r.entity_id))
        changes.append({"entity": r.entity, "id": r.entity_id, "op": "upsert", "data": data} if data is not None
                       else {"entity": r.entity, "id": r.entity_id, "op": "delete"})
    if rows:
        c = {**c, "s": rows[-1].seq}
    return c, more


def pull(user: Any, cursor: str | None = None, scope: str = "all", limit: int = DEFAULT_LIMIT) -> dict:
    """One page of changes: ``{cursor, has_more, reset, omitted, changes: [{entity, id, op, data?}]}``."""
    if scope not in SCOPES:
        raise ValidationFailed(f"Unknown scope {scope!r}.", zh=f"未知的范围 {scope!r}。",
                               errors={"scope": [f"One of: {', '.join(SCOPES)}"]})
    wh = visible_warehouses(user)
    costs = can_see_costs(user)
    names = [n for n in SCOPES[scope] if user.can(BY_NAME[n].perm)]
    omitted = [n for n in SCOPES[scope] if n not in names]
    v = _View(names, wh, costs, max(1, min(int(limit or DEFAULT_LIMIT), MAX_LIMIT)))
    fp = _fingerprint(wh, omitted, costs)
    c: dict | None = _decode(cursor) if cursor else None
    reset = c is None
    if c is not None and (c.get("sc") != scope or c.get("w") != fp):
        c, reset = None, True  # another scope, or the user's warehouses changed: start again
    if c is None:
        c = {"v": 1, "sc": scope, "w": fp, "ph": "s", "hw": change_log.current_seq(db.session()), "e": 0, "a": 0}
    changes: list[dict] = []
    if c["ph"] == "s":
        c, more = _snapshot(v, c, changes)
        if more is not None:
            return _page(c, reset, omitted, changes, more)
    c, more = _change_phase(v, c, changes)
    return _page(c, reset, omitted, changes, more)
