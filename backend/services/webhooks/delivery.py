"""The delivery worker: ``deliver_due`` (CLI ``webhooks-deliver``) leases due outbox rows, posts them with an
HMAC-SHA256 signature to the checked address and retries failures with exponential backoff."""
from __future__ import annotations

import hashlib
import hmac
import http.client
import json
import re
import socket
import ssl
import time
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from sqlalchemy import select, update

from backend.extensions import db
from backend.models.base import utcnow
from backend.models.ops import Webhook, WebhookDelivery
from backend.services.notifications import bots
from backend.services.uow import transaction
from backend.services.webhooks.settings import setting
from backend.services.webhooks.targets import TargetRefused, check_target

EXCERPT_CHARS = 200
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")
_TEXTUAL = re.compile(r"^(text/|application/([\w.-]+\+)?(json|xml)\b|application/x-www-form-urlencoded)")


def excerpt(text: str | None) -> str | None:
    """What the delivery log keeps of an answer: printable text, at most ``EXCERPT_CHARS`` characters."""
    if not text:
        return text
    return _CONTROL.sub(" ", text).strip()[:EXCERPT_CHARS]


def _answer_excerpt(resp: http.client.HTTPResponse) -> str | None:
    """A short excerpt of a textual answer; other content (binary, images …) is not kept at all."""
    ctype = (resp.getheader("Content-Type") or "").strip().lower()
    raw = resp.read(EXCERPT_CHARS * 4)
    if ctype and not _TEXTUAL.match(ctype):
        return None
    if not ctype and b"\x00" in raw:
        return None
    return excerpt(raw.decode("utf-8", "replace"))


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """``sha256=<hex HMAC-SHA256 of "<timestamp>.<body>" keyed with the secret>``."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def backoff_seconds(attempts: int) -> float:
    """Delay before attempt ``attempts + 1``: base · 2^(attempts-1), capped."""
    base = float(setting("WEBHOOK_BACKOFF_SECONDS", 30))
    cap = float(setting("WEBHOOK_BACKOFF_MAX_SECONDS", 6 * 3600))
    return min(cap, base * (2 ** max(0, attempts - 1)))


def _claim(limit: int) -> tuple[list[int], datetime]:
    """Lease due deliveries to this worker; returns their ids and the lease (its ``locked_until`` value)."""
    now = utcnow()
    lease = now + timedelta(seconds=float(setting("WEBHOOK_LEASE_SECONDS", 120)))
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
    return ids, lease


def _take(delivery_id: int, lease: datetime) -> bool:
    """Renew this worker's lease on one row just before sending it.

    The batch lease may run out while earlier rows are sent (a slow receiver); another worker may then have
    claimed this row. Its ``locked_until`` is then later than ours (a new lease starts after ours ended), so
    the conditional update finds nothing and this worker leaves the row alone: each send has one owner."""
    timeout = float(setting("WEBHOOK_TIMEOUT_SECONDS", 10)) + float(setting("WEBHOOK_DNS_TIMEOUT_SECONDS", 5))
    renewed = utcnow() + timedelta(seconds=max(float(setting("WEBHOOK_LEASE_SECONDS", 120)), 2 * timeout + 10))
    with transaction() as session:
        res = session.execute(update(WebhookDelivery)
                              .where(WebhookDelivery.id == delivery_id, WebhookDelivery.status == "pending",
                                     WebhookDelivery.locked_until == lease)
                              .values(locked_until=renewed).execution_options(synchronize_session=False))
    return res.rowcount == 1


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
        host, port, address = check_target(url)  # checked again at every send: DNS may have changed
        timeout = float(setting("WEBHOOK_TIMEOUT_SECONDS", 10))
        if u.scheme == "https":  # SNI and certificate check use the host name
            conn = http.client.HTTPSConnection(host, port, timeout=timeout, context=ssl.create_default_context())
        else:
            conn = http.client.HTTPConnection(host, port, timeout=timeout)
        # Connect to the address that was checked (no second lookup, no DNS-rebinding window); the Host
        # header and SNI keep the name.
        conn._create_connection = lambda addr, *a, **kw: socket.create_connection((str(address), addr[1]), *a, **kw)
        path = (u.path or "/") + (f"?{u.query}" if u.query else "")
        conn.request("POST", path, body=body, headers=headers)
        resp = conn.getresponse()  # redirects are not followed: a 3xx is a failed delivery
        status, text = resp.status, _answer_excerpt(resp)
        if not 200 <= status < 300:
            error = f"HTTP {status}"
    except TargetRefused as exc:
        error = f"refused: {exc}"[:500]
    except Exception as exc:  # noqa: BLE001 — network errors of every kind are a failed attempt
        error = f"{type(exc).__name__}: {exc}"[:500]
    finally:
        if conn is not None:
            conn.close()
    return status, text, error, int((time.monotonic() - started) * 1000)


def _deliver_one(delivery_id: int, lease: datetime) -> str:
    d = db.session.get(WebhookDelivery, delivery_id)
    hook = db.session.get(Webhook, d.webhook_id) if d else None
    if d is None or hook is None or d.status != "pending":
        return "skipped"
    if not _take(delivery_id, lease):  # another worker owns it now
        return "skipped"
    d = db.session.get(WebhookDelivery, delivery_id)
    if not hook.is_active:  # paused: keep the row, look again later
        with transaction():
            d.locked_until, d.next_attempt_at = None, utcnow() + timedelta(seconds=backoff_seconds(1))
        return "skipped"
    url, secret, fmt = hook.url, hook.secret, hook.format or "jxc"
    # a group bot (wecom / dingtalk / feishu) gets the event as a markdown message, built now (reads the document)
    body = d.payload if fmt == "jxc" else bots.message(fmt, d.payload)
    snapshot = {"id": d.id, "event": d.event, "event_id": d.event_id, "payload": body}
    db.session.commit()  # no transaction stays open while we wait for the network
    status, text, error, ms = _send(url, secret, snapshot)
    ok = status is not None and 200 <= status < 300
    if ok and fmt != "jxc":  # bots answer 200 with an error code in the body (e.g. a missing keyword)
        error = bots.refusal(text)
        ok = error is None
    max_attempts = int(setting("WEBHOOK_MAX_ATTEMPTS", 8))
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
    ids, lease = _claim(limit)
    for did in ids:
        counts[_deliver_one(did, lease)] += 1
    return counts
