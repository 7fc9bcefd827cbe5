"""Webhooks: subscriptions, events derived from the audit trail (outbox), and the delivery worker.

Events are not coded per document: every audit record becomes ``<entity>.<past tense of action>``
(``products``/``create`` → ``product.created``, ``purchase_orders``/``approve`` →
``purchase_order.approved``), and every stock move becomes ``stock.moved``. A session listener writes one
``webhook_deliveries`` row per (event, subscribed webhook) in the same transaction as the change, so an
event exists exactly when its change was committed. ``deliver_due`` (CLI ``webhooks-deliver``) posts the
rows with an HMAC-SHA256 signature and retries failures with exponential backoff.
"""
from __future__ import annotations

import fnmatch
import hashlib
import hmac
import http.client
import json
import logging
import re
import secrets
import ssl
import time
import uuid
from datetime import timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

from flask import current_app, has_app_context
from sqlalchemy import event, select, update
from sqlalchemy.orm import Session

from backend.context import current_actor, current_request_id
from backend.errors import NotFound, ValidationFailed, check_version
from backend.extensions import db
from backend.models.audit import AuditLog
from backend.models.base import QTY_SCALE, utcnow
from backend.models.ops import Webhook, WebhookDelivery
from backend.services import crud
from backend.services.audit import _jsonable
from backend.services.uow import command, transaction

log = logging.getLogger(__name__)

# Tables whose changes are never published (secrets, bookkeeping, the webhook machinery itself).
SILENT_ENTITIES = {"webhooks", "webhook_deliveries", "user_sessions", "api_tokens", "audit_log", "counters",
                   "idempotency_keys", "users"}
# Unaudited ledger-like tables that still publish an event for every inserted row.
INSERT_EVENTS = {"stock_moves": "stock.moved"}
STOCK_MOVE_FIELDS = ("id", "product_id", "warehouse_id", "location_id", "quantity", "unit_cost", "value",
                     "balance_after", "kind", "reason", "doc_type", "doc_id", "doc_line_id", "op_id", "user_id",
                     "created_at")
EVENT_PATTERN = re.compile(r"^(\*|[a-z][a-z0-9_]*\.(\*|[a-z][a-z0-9_]*))$")
_PAST = {"ship": "shipped", "submit": "submitted", "cancel": "cancelled", "send": "sent", "pay": "paid",
         "stop": "stopped", "plan": "planned", "write_off": "written_off", "set": "set", "put": "put"}
_INFO_EVENTS = "ops_webhook_events"
_INFO_HOOKS = "ops_webhook_hooks"


# ---------------------------------------------------------------- event names

def singular(table: str) -> str:
    """``purchase_orders`` → ``purchase_order``; ``addresses`` → ``address``; ``categories`` → ``category``."""
    if table.endswith("ies"):
        return table[:-3] + "y"
    if table.endswith(("sses", "shes", "ches", "xes")):
        return table[:-2]
    if table.endswith("s") and not table.endswith("ss"):
        return table[:-1]
    return table


def past_tense(action: str) -> str:
    """``create`` → ``created``, ``approve`` → ``approved``, ``ship`` → ``shipped``."""
    head, _, last = action.rpartition("_")
    if action in _PAST:
        return _PAST[action]
    if last in _PAST:
        word = _PAST[last]
    elif last.endswith("ed"):
        word = last
    elif last.endswith("e"):
        word = last + "d"
    elif len(last) > 1 and last.endswith("y") and last[-2] not in "aeiou":
        word = last[:-1] + "ied"
    else:
        word = last + "ed"
    return f"{head}_{word}" if head else word


def event_name(entity: str, action: str) -> str:
    return f"{singular(entity)}.{past_tense(action)}"


def matches(patterns: list[str], name: str) -> bool:
    return any(p == "*" or fnmatch.fnmatchcase(name, p) for p in patterns or ())


def event_catalogue() -> list[str]:
    """Event names every audited table emits (documents add their own actions, e.g. ``.approved``)."""
    from backend.models.base import Base

    names = {"webhook.ping", *INSERT_EVENTS.values()}
    for mapper in Base.registry.mappers:
        cls = mapper.class_
        table = getattr(cls, "__tablename__", None)
        if not table or table in SILENT_ENTITIES or not getattr(cls, "__audit__", True):
            continue
        names.update(event_name(table, a) for a in ("create", "update", "delete"))
    return sorted(names)


# ---------------------------------------------------------------- outbox listener

def _event_from_audit(rec: AuditLog) -> dict | None:
    if rec.entity in SILENT_ENTITIES:
        return None
    return {"event": event_name(rec.entity, rec.action), "entity": rec.entity, "entity_id": rec.entity_id,
            "action": rec.action, "data": _jsonable(rec.changes or {}),
            "actor": {"user_id": rec.user_id, "username": rec.username, "source": rec.source},
            "request_id": rec.request_id}


def _event_from_insert(obj: Any, name: str) -> dict:
    data = {}
    for f in STOCK_MOVE_FIELDS:
        if hasattr(obj, f):
            v = getattr(obj, f)
            data[f] = _jsonable(v.quantize(QTY_SCALE) if isinstance(v, Decimal) else v)
    actor = current_actor()
    return {"event": name, "entity": obj.__tablename__, "entity_id": str(getattr(obj, "id", "")),
            "action": "create", "data": data,
            "actor": {"user_id": actor.user_id if actor else None, "username": actor.username if actor else None,
                      "source": actor.source if actor else "system"},
            "request_id": current_request_id()}


def _active_hooks(session: Session) -> list[tuple[int, list[str]]]:
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
            ev = _event_from_audit(obj)
            if ev:
                found.append(ev)
        else:
            name = INSERT_EVENTS.get(getattr(obj, "__tablename__", ""))
            if name:
                found.append(_event_from_insert(obj, name))
    if any(isinstance(o, Webhook) for o in (*session.new, *session.dirty, *session.deleted)):
        session.info.pop(_INFO_HOOKS, None)  # subscriptions changed in this transaction


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
    hooks = _active_hooks(session)
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


# ---------------------------------------------------------------- subscriptions

def _check_events(events: list[str] | None) -> None:
    bad = [e for e in events or () if not EVENT_PATTERN.match(e)]
    if bad:
        raise ValidationFailed("Unknown event pattern.", errors={"events": [f"Not an event name or pattern: {b}"
                                                                            for b in bad]})


def list_webhooks(page: int, per_page: int) -> dict:
    return crud.paginate(select(Webhook).order_by(Webhook.id), page, per_page)


@command
def create_webhook(data: dict) -> Webhook:
    """Subscribe a URL; a secret is generated unless one is given."""
    data = dict(data)
    _check_events(data.get("events"))
    data["secret"] = data.get("secret") or "whsec_" + secrets.token_urlsafe(32)
    data.setdefault("events", ["*"])
    return crud.create(Webhook, data)


@command
def update_webhook(webhook_id: int, version: int, data: dict) -> Webhook:
    if "events" in data:
        _check_events(data["events"])
    if data.get("rotate_secret"):
        data["secret"] = "whsec_" + secrets.token_urlsafe(32)
    data.pop("rotate_secret", None)
    return crud.update(Webhook, webhook_id, version, data)


@command
def delete_webhook(webhook_id: int, version: int) -> None:
    hook = crud.get_or_404(Webhook, webhook_id, "Webhook")
    check_version(hook, version)
    db.session.execute(WebhookDelivery.__table__.delete().where(WebhookDelivery.webhook_id == webhook_id))
    db.session.delete(hook)


def list_deliveries(webhook_id: int, status: str | None, page: int, per_page: int) -> dict:
    crud.get_or_404(Webhook, webhook_id, "Webhook")
    stmt = select(WebhookDelivery).where(WebhookDelivery.webhook_id == webhook_id)
    if status:
        stmt = stmt.where(WebhookDelivery.status == status)
    return crud.paginate(stmt.order_by(WebhookDelivery.id.desc()), page, per_page)


@command
def ping(webhook_id: int) -> WebhookDelivery:
    """Queue a ``webhook.ping`` event for one webhook (to test the receiver)."""
    hook = crud.get_or_404(Webhook, webhook_id, "Webhook")
    now, event_id = utcnow(), str(uuid.uuid4())
    actor = current_actor()
    d = WebhookDelivery(webhook_id=hook.id, event_id=event_id, event="webhook.ping", status="pending", attempts=0,
                        next_attempt_at=now, created_at=now, payload={
                            "id": event_id, "event": "webhook.ping", "occurred_at": now.isoformat(),
                            "entity": "webhooks", "entity_id": str(hook.id), "action": "ping", "data": {},
                            "actor": {"user_id": actor.user_id if actor else None,
                                      "username": actor.username if actor else None,
                                      "source": actor.source if actor else "system"},
                            "request_id": current_request_id()})
    db.session.add(d)
    db.session.flush()
    return d


@command
def redeliver(webhook_id: int, delivery_id: int) -> WebhookDelivery:
    """Send a delivery again now (also a failed one); its attempt counter restarts."""
    d = db.session.get(WebhookDelivery, delivery_id)
    if d is None or d.webhook_id != webhook_id:
        raise NotFound(f"Delivery {delivery_id} not found.", errors={"id": delivery_id})
    d.status, d.attempts, d.next_attempt_at, d.locked_until = "pending", 0, utcnow(), None
    db.session.flush()
    return d


# ---------------------------------------------------------------- delivery worker

def _cfg(name: str, default):
    return current_app.config.get(name, default) if has_app_context() else default


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """``sha256=<hex HMAC-SHA256 of "<timestamp>.<body>" keyed with the secret>``."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def backoff_seconds(attempts: int) -> float:
    """Delay before attempt ``attempts + 1``: base · 2^(attempts-1), capped."""
    base = float(_cfg("WEBHOOK_BACKOFF_SECONDS", 30))
    cap = float(_cfg("WEBHOOK_BACKOFF_MAX_SECONDS", 6 * 3600))
    return min(cap, base * (2 ** max(0, attempts - 1)))


def _claim(limit: int) -> list[int]:
    """Lease due deliveries to this worker (several workers never send the same row at once)."""
    now = utcnow()
    lease = now + timedelta(seconds=float(_cfg("WEBHOOK_LEASE_SECONDS", 120)))
    with transaction() as session:
        stmt = (select(WebhookDelivery.id)
                .where(WebhookDelivery.status == "pending", WebhookDelivery.next_attempt_at <= now,
                       (WebhookDelivery.locked_until.is_(None)) | (WebhookDelivery.locked_until < now))
                .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id).limit(limit))
        if db.engine.dialect.name == "postgresql":
            stmt = stmt.with_for_update(skip_locked=True)
        ids = list(session.scalars(stmt))
        if ids:
            session.execute(update(WebhookDelivery).where(WebhookDelivery.id.in_(ids))
                            .values(locked_until=lease))
    return ids


def _send(url: str, secret: str, delivery: dict) -> tuple[int | None, str | None, str | None, int]:
    body = json.dumps(delivery["payload"], ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode()
    ts = str(int(time.time()))
    headers = {
        "Content-Type": "application/json; charset=utf-8", "User-Agent": "JXC-Webhooks/1",
        "X-JXC-Event": delivery["event"], "X-JXC-Event-Id": delivery["event_id"],
        "X-JXC-Delivery": str(delivery["id"]), "X-JXC-Timestamp": ts, "X-JXC-Signature": sign(secret, ts, body)}
    started = time.monotonic()
    status, text, error = None, None, None
    conn = None
    try:
        u = urlsplit(url)
        timeout = float(_cfg("WEBHOOK_TIMEOUT_SECONDS", 10))
        if u.scheme == "https":
            conn = http.client.HTTPSConnection(u.hostname, u.port, timeout=timeout,
                                               context=ssl.create_default_context())
        else:
            conn = http.client.HTTPConnection(u.hostname, u.port, timeout=timeout)
        path = (u.path or "/") + (f"?{u.query}" if u.query else "")
        conn.request("POST", path, body=body, headers=headers)
        resp = conn.getresponse()  # redirects are not followed: a 3xx is a failed delivery
        status, text = resp.status, resp.read(2000).decode("utf-8", "replace")
        if not 200 <= status < 300:
            error = f"HTTP {status}"
    except Exception as exc:  # noqa: BLE001 — network errors of every kind are a failed attempt
        error = f"{type(exc).__name__}: {exc}"[:500]
    finally:
        if conn is not None:
            conn.close()
    return status, text, error, int((time.monotonic() - started) * 1000)


def _deliver_one(delivery_id: int) -> str:
    d = db.session.get(WebhookDelivery, delivery_id)
    hook = db.session.get(Webhook, d.webhook_id) if d else None
    if d is None or hook is None or d.status != "pending":
        return "skipped"
    if not hook.is_active:  # paused: keep the row, look again later
        with transaction():
            d.locked_until, d.next_attempt_at = None, utcnow() + timedelta(seconds=backoff_seconds(1))
        return "skipped"
    url, secret = hook.url, hook.secret
    snapshot = {"id": d.id, "event": d.event, "event_id": d.event_id, "payload": d.payload}
    db.session.commit()  # no transaction stays open while we wait for the network
    status, text, error, ms = _send(url, secret, snapshot)
    ok = status is not None and 200 <= status < 300
    max_attempts = int(_cfg("WEBHOOK_MAX_ATTEMPTS", 8))
    with transaction():
        d = db.session.get(WebhookDelivery, delivery_id)
        now = utcnow()
        d.attempts += 1
        d.last_attempt_at, d.response_status, d.duration_ms, d.locked_until = now, status, ms, None
        d.response_body = text
        if ok:
            d.status, d.delivered_at, d.error = "delivered", now, None
        else:
            d.error = error or f"HTTP {status}"
            if d.attempts >= max_attempts:
                d.status = "failed"
            else:
                d.next_attempt_at = now + timedelta(seconds=backoff_seconds(d.attempts))
    return "delivered" if ok else ("failed" if d.status == "failed" else "retry")


def deliver_due(limit: int = 100) -> dict:
    """Send every due delivery (up to ``limit``); returns counts by outcome."""
    counts = {"delivered": 0, "retry": 0, "failed": 0, "skipped": 0}
    ids = _claim(limit)
    for did in ids:
        counts[_deliver_one(did)] += 1
    return counts
