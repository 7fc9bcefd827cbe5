"""The outbox: a session listener writes one ``webhook_deliveries`` row per (event, subscribed webhook) in
the same transaction as the change, so an event exists exactly when its change was committed."""
from __future__ import annotations

import uuid
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

from sqlalchemy import event, insert, select
from sqlalchemy.orm import Session

from backend.context import current_actor, current_request_id
from backend.models.audit import AuditLog
from backend.models.base import QTY_SCALE, utcnow
from backend.models.ops import Webhook, WebhookDelivery
from backend.services.audit import ROWS_WRITTEN, jsonable
from backend.services.webhooks.events import INSERT_EVENTS, SILENT_ENTITIES, STOCK_MOVE_FIELDS, event_name, matches

_INFO_EVENTS = "ops_webhook_events"
_INFO_HOOKS = "ops_webhook_hooks"


def event_from_audit(rec: AuditLog) -> dict | None:
    if rec.entity in SILENT_ENTITIES:
        return None
    return {"event": event_name(rec.entity, rec.action), "entity": rec.entity, "entity_id": rec.entity_id,
            "action": rec.action, "data": jsonable(rec.changes or {}),
            "actor": {"user_id": rec.user_id, "username": rec.username, "source": rec.source},
            "request_id": rec.request_id}


def event_from_insert(obj: Any, name: str) -> dict:
    data = {}
    for f in STOCK_MOVE_FIELDS:
        if hasattr(obj, f):
            v = getattr(obj, f)
            data[f] = jsonable(v.quantize(QTY_SCALE) if isinstance(v, Decimal) else v)
    actor = current_actor()
    return {"event": name, "entity": obj.__tablename__, "entity_id": str(getattr(obj, "id", "")),
            "action": "create", "data": data,
            "actor": {"user_id": actor.user_id if actor else None, "username": actor.username if actor else None,
                      "source": actor.source if actor else "system"},
            "request_id": current_request_id()}


def active_hooks(session: Session) -> list[tuple[int, list[str]]]:
    hooks = session.info.get(_INFO_HOOKS)
    if hooks is None:
        rows = session.execute(select(Webhook.id, Webhook.events).where(Webhook.is_active.is_(True))).all()
        hooks = session.info[_INFO_HOOKS] = [(r.id, list(r.events or ())) for r in rows]
    return hooks


@event.listens_for(Session, "after_flush")
def _collect_events(session: Session, _ctx) -> None:
    found = session.info.setdefault(_INFO_EVENTS, [])
    for obj in session.new:
        if isinstance(obj, AuditLog):
            ev = event_from_audit(obj)
            if ev:
                found.append(ev)
        else:
            name = INSERT_EVENTS.get(getattr(obj, "__tablename__", ""))
            if name:
                found.append(event_from_insert(obj, name))
    if any(isinstance(o, Webhook) for o in (*session.new, *session.dirty, *session.deleted)):
        session.info.pop(_INFO_HOOKS, None)  # subscriptions changed in this transaction


def _audit_written(session: Session, records: list[dict]) -> None:
    """The events of the audit records written at commit (``audit.ROWS_WRITTEN``), into the outbox."""
    if not active_hooks(session):
        return
    events = [ev for r in records if (ev := event_from_audit(SimpleNamespace(**r)))]  # type: ignore[arg-type]
    rows = outbox_rows(session, events) if events else []
    if rows:
        session.execute(insert(WebhookDelivery.__table__), rows)


ROWS_WRITTEN.append(_audit_written)


@event.listens_for(Session, "after_flush_postexec")
def _write_outbox(session: Session, _ctx) -> None:
    """Turn the events of this flush into outbox rows; the next flush of the same transaction writes them."""
    events = session.info.pop(_INFO_EVENTS, None)
    if not events:
        return
    for row in outbox_rows(session, events):
        session.add(WebhookDelivery(**row))


def outbox_rows(session: Session, events: list[dict]) -> list[dict]:
    """Outbox rows (one per subscribed webhook and event) for events of this transaction."""
    hooks = active_hooks(session)
    if not hooks:
        return []
    now = utcnow()
    rows = []
    for ev in events:
        targets = [hid for hid, patterns in hooks if matches(patterns, ev["event"])]
        if not targets:
            continue
        event_id = str(uuid.uuid4())
        payload = {"id": event_id, "event": ev["event"], "occurred_at": now.isoformat(), **{
            k: v for k, v in ev.items() if k != "event"}}
        rows.extend({"webhook_id": hid, "event_id": event_id, "event": ev["event"], "payload": payload,
                     "status": "pending", "attempts": 0, "next_attempt_at": now, "created_at": now}
                    for hid in targets)
    return rows


@event.listens_for(Session, "after_transaction_end")
def _forget(session: Session, transaction) -> None:
    if transaction.parent is None:
        session.info.pop(_INFO_EVENTS, None)
        session.info.pop(_INFO_HOOKS, None)
