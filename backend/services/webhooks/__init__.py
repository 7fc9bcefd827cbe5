"""Webhooks: subscriptions, events derived from the audit trail (outbox), and the delivery worker.

Events are not coded per document: every audit record becomes ``<entity>.<past tense of action>``
(``products``/``create`` → ``product.created``, ``purchase_orders``/``approve`` →
``purchase_order.approved``), and every stock move becomes ``stock.moved`` (``events``). A session listener
writes one ``webhook_deliveries`` row per (event, subscribed webhook) in the same transaction as the change,
so an event exists exactly when its change was committed (``outbox``; importing this package installs it).
``deliver_due`` (CLI ``webhooks-deliver``) posts the rows with an HMAC-SHA256 signature and retries failures
with exponential backoff (``delivery``).

Targets must be public addresses (no SSRF into the shop's network or a cloud metadata service): the host is
resolved and every address checked at registration and again at each send, and the connection goes to the
address that was checked (``targets``). ``WEBHOOK_ALLOWED_HOSTS`` lists the on-premises exceptions.
"""
from __future__ import annotations

from backend.services import crud
from backend.services.webhooks.delivery import EXCERPT_CHARS, backoff_seconds, deliver_due, excerpt, sign
from backend.services.webhooks.events import (
    EVENT_PATTERN,
    INSERT_EVENTS,
    SILENT_ENTITIES,
    event_catalogue,
    event_name,
    matches,
    past_tense,
    singular,
)
from backend.services.webhooks.outbox import active_hooks, event_from_audit, event_from_insert, outbox_rows
from backend.services.webhooks.subscriptions import (
    create_webhook,
    delete_webhook,
    get_webhook,
    list_deliveries,
    list_webhooks,
    ping,
    redeliver,
    update_webhook,
)
from backend.services.webhooks.targets import TargetRefused, address_kind, check_target

__all__ = ["EVENT_PATTERN", "EXCERPT_CHARS", "INSERT_EVENTS", "SILENT_ENTITIES", "TargetRefused", "active_hooks",
           "address_kind", "backoff_seconds", "check_target", "create_webhook", "crud", "delete_webhook",
           "deliver_due", "event_catalogue", "event_from_audit", "event_from_insert", "event_name", "excerpt",
           "get_webhook", "list_deliveries", "list_webhooks", "matches", "outbox_rows", "past_tense", "ping",
           "redeliver", "sign", "singular", "update_webhook"]
