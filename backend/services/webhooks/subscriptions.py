"""Subscriptions: create, change and delete webhooks; their delivery log, ping and redelivery."""
from __future__ import annotations

import secrets
import uuid

from sqlalchemy import select

from backend.context import current_actor, current_request_id
from backend.errors import NotFound, ValidationFailed, check_version
from backend.extensions import db
from backend.models.base import utcnow
from backend.models.ops import Webhook, WebhookDelivery
from backend.services import crud
from backend.services.uow import command
from backend.services.webhooks.events import EVENT_PATTERN
from backend.services.webhooks.targets import check_url


def _check_events(events: list[str] | None) -> None:
    bad = [e for e in events or () if not EVENT_PATTERN.match(e)]
    if bad:
        raise ValidationFailed("Unknown event pattern.", errors={"events": [f"Not an event name or pattern: {b}"
                                                                            for b in bad]})


def list_webhooks(page: int, per_page: int) -> dict:
    return crud.paginate(select(Webhook).order_by(Webhook.id), page, per_page)


def get_webhook(webhook_id: int) -> Webhook:
    return crud.get_or_404(Webhook, webhook_id, "Webhook")


def create_webhook(data: dict) -> Webhook:
    """Subscribe a URL (a public address, or allow-listed); a secret is generated unless one is given."""
    _check_events(data.get("events"))
    check_url(data["url"])  # DNS before the transaction: no write lock is held while resolving
    return _create_webhook(data)


@command
def _create_webhook(data: dict) -> Webhook:
    data = dict(data)
    data["secret"] = data.get("secret") or "whsec_" + secrets.token_urlsafe(32)
    data.setdefault("events", ["*"])
    return crud.create(Webhook, data)


def update_webhook(webhook_id: int, version: int, data: dict) -> Webhook:
    if "events" in data:
        _check_events(data["events"])
    if "url" in data:
        check_url(data["url"])
    return _update_webhook(webhook_id, version, data)


@command
def _update_webhook(webhook_id: int, version: int, data: dict) -> Webhook:
    data = dict(data)
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
        raise NotFound(f"Delivery {delivery_id} not found.", zh=f"投递记录 {delivery_id} 不存在。", errors={"id": delivery_id})
    d.status, d.attempts, d.next_attempt_at, d.locked_until = "pending", 0, utcnow(), None
    db.session.flush()
    return d
