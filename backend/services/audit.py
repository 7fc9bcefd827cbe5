"""Audit trail: every insert/update/delete of an audited model is recorded in the same transaction.

Models opt out with ``__audit__ = False`` and hide fields with ``__audit_exclude__``. Services name a
business action (approve, ship, …) with ``audit_action(obj, "approve", comment=…)``; otherwise the
action is create/update/delete.

The records are collected while the transaction runs and written at its commit in one executemany INSERT
(a write command costs one audit statement, not one per record and flush); a savepoint that rolls back
takes its records with it.
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from sqlalchemy import event, func, insert, inspect, select
from sqlalchemy.orm import Session

from backend.context import current_actor, current_request_id
from backend.errors import not_found
from backend.extensions import db
from backend.models.audit import AuditLog
from backend.models.base import utcnow
from backend.services import crud

_ALWAYS_EXCLUDED = {"updated_at", "created_at", "version"}


def jsonable(v: Any) -> Any:
    """A value as JSON-ready data (Decimal as text, dates ISO 8601, enums by value), recursively."""
    if isinstance(v, Decimal):
        return str(v)
    if isinstance(v, (datetime, date)):
        return v.isoformat()
    if isinstance(v, Enum):
        return v.value
    if isinstance(v, (list, tuple)):
        return [jsonable(x) for x in v]
    if isinstance(v, dict):
        return {str(k): jsonable(x) for k, x in v.items()}
    return v


def audit_action(obj: Any, action: str, **details: Any) -> None:
    """Label the next audit record of ``obj`` with a business action (and extra details)."""
    session = inspect(obj).session
    if session is None:
        raise RuntimeError("audit_action needs a persistent or pending object")
    session.info.setdefault("audit_labels", {})[id(obj)] = (action, jsonable(details))


def record_event(entity: str, entity_id: str, action: str, details: dict) -> None:
    """An audit record of something that is not one row (an import, a backup) in the current transaction."""
    actor = current_actor()
    db.session.add(AuditLog(user_id=actor.user_id if actor else None, username=actor.username if actor else None,
                            source=actor.source if actor else "system", entity=entity, entity_id=entity_id,
                            action=action, changes={"details": jsonable(details)}, request_id=current_request_id()))


def _audited(obj: Any) -> bool:
    return getattr(obj, "__audit__", True) and not isinstance(obj, AuditLog)


def _excluded(cls: Any) -> set[str]:
    return _ALWAYS_EXCLUDED | set(getattr(cls, "__audit_exclude__", ()))


def audit_columns(model: type) -> list[str]:
    """The columns an audit record shows of a model: not the timestamps, ``version`` or
    ``__audit_exclude__`` (also used by the sync batch path, which writes the records of its rows)."""
    excluded = _excluded(model)
    return [a.key for a in inspect(model).column_attrs if a.key not in excluded]


def _columns(obj: Any):
    excluded = _excluded(obj)
    return [a for a in inspect(obj).mapper.column_attrs if a.key not in excluded]


def _diff(obj: Any) -> dict:
    state = inspect(obj)
    before, after = {}, {}
    for attr in _columns(obj):
        hist = state.attrs[attr.key].history
        if hist.has_changes():
            old = hist.deleted[0] if hist.deleted else None
            new = hist.added[0] if hist.added else None
            if old != new:
                before[attr.key], after[attr.key] = jsonable(old), jsonable(new)
    return {"before": before, "after": after}


def _snapshot(obj: Any) -> dict:
    return {a.key: jsonable(getattr(obj, a.key)) for a in _columns(obj)}


def _entity_id(obj: Any) -> str:
    ident = inspect(obj).identity
    if ident:
        return ",".join(str(i) for i in ident)
    pk = [getattr(obj, c.key) for c in inspect(obj).mapper.primary_key]
    return ",".join(str(p) for p in pk)


_ROWS = "audit_rows"  # session.info: the records of this transaction, written at commit
_MARKS = "audit_marks"  # session.info: {savepoint transaction: number of records when it began}
# Called with (session, records) after the records are written (the webhook outbox turns them into events).
ROWS_WRITTEN: list[Callable[[Session, list[dict]], None]] = []


def _record(session: Session, obj: Any, action: str, changes: dict) -> None:
    actor = current_actor()
    labels = session.info.get("audit_labels", {})
    label = labels.pop(id(obj), None)
    if label:
        action = label[0]
        if label[1]:
            changes = {**changes, "details": label[1]}
    session.info.setdefault(_ROWS, []).append({
        "at": utcnow(), "user_id": actor.user_id if actor else None, "username": actor.username if actor else None,
        "source": actor.source if actor else "system", "entity": obj.__tablename__, "entity_id": _entity_id(obj),
        "action": action, "changes": changes, "request_id": current_request_id()})


@event.listens_for(Session, "before_flush")
def _before_flush(session: Session, _ctx, _instances) -> None:
    pending = session.info.setdefault("audit_new", [])
    for obj in list(session.dirty):
        if _audited(obj) and session.is_modified(obj, include_collections=False):
            changes = _diff(obj)
            if changes["after"] or id(obj) in session.info.get("audit_labels", {}):
                _record(session, obj, "update", changes)
    for obj in list(session.deleted):
        if _audited(obj):
            _record(session, obj, "delete", {"before": _snapshot(obj), "after": {}})
    # New rows get their ids only during the flush: record them after it.
    pending.extend(o for o in session.new if _audited(o))


@event.listens_for(Session, "after_flush_postexec")
def _after_flush(session: Session, _ctx) -> None:
    pending = session.info.pop("audit_new", [])
    for obj in pending:
        _record(session, obj, "create", {"before": {}, "after": _snapshot(obj)})


@event.listens_for(Session, "before_commit")
def _write_records(session: Session) -> None:
    """Flush, then write the transaction's records in one statement (again if writing them made more)."""
    for _ in range(10):
        session.flush()
        rows = session.info.pop(_ROWS, None)
        if not rows:
            return
        session.execute(insert(AuditLog.__table__), rows)
        for listener in ROWS_WRITTEN:
            listener(session, rows)


@event.listens_for(Session, "after_transaction_create")
def _mark_savepoint(session: Session, transaction) -> None:
    if transaction.nested:
        session.info.setdefault(_MARKS, {})[transaction] = len(session.info.get(_ROWS, ()))


@event.listens_for(Session, "after_soft_rollback")
def _drop_savepoint_records(session: Session, transaction) -> None:
    if transaction.nested:
        mark = session.info.get(_MARKS, {}).pop(transaction, None)
        if mark is not None and _ROWS in session.info:
            del session.info[_ROWS][mark:]


@event.listens_for(Session, "after_rollback")
def _after_rollback(session: Session) -> None:
    session.info.pop("audit_new", None)
    session.info.pop("audit_labels", None)


@event.listens_for(Session, "after_transaction_end")
def _forget(session: Session, transaction) -> None:
    if transaction.parent is None:
        for key in ("audit_new", "audit_labels", _ROWS, _MARKS):
            session.info.pop(key, None)


# ---------------------------------------------------------------- reading the log

FILTER_FIELDS = ("entity", "entity_id", "user_id", "action")


def search(filters: dict, page: int, per_page: int) -> dict:
    """Audit records, newest first: equal ``entity``/``entity_id``/``user_id``/``action``, ``since`` ≤ at <
    ``until``; one page of them (``crud.paginate``)."""
    stmt = select(AuditLog)
    for f in FILTER_FIELDS:
        if filters.get(f) is not None:
            stmt = stmt.where(getattr(AuditLog, f) == filters[f])
    if filters.get("since"):
        stmt = stmt.where(AuditLog.at >= filters["since"])
    if filters.get("until"):
        stmt = stmt.where(AuditLog.at < filters["until"])
    return crud.paginate(stmt.order_by(AuditLog.id.desc()), page, per_page)


def facets() -> dict:
    """What the log can be filtered by: the entity names in it and the users who wrote it (by name)."""
    entities = db.session.scalars(select(AuditLog.entity).distinct().order_by(AuditLog.entity)).all()
    users = db.session.execute(select(AuditLog.user_id, func.max(AuditLog.username))
                               .where(AuditLog.user_id.is_not(None)).group_by(AuditLog.user_id)).all()
    return {"entities": list(entities),
            "users": sorted(({"id": uid, "username": name or str(uid)} for uid, name in users),
                            key=lambda u: u["username"])}


def get(record_id: int) -> AuditLog:
    rec = db.session.get(AuditLog, record_id)
    if rec is None:
        raise not_found("Audit record", record_id)
    return rec
