"""Webhooks: subscriptions, events derived from the audit trail (outbox), and the delivery worker.

Events are not coded per document: every audit record becomes ``<entity>.<past tense of action>``
(``products``/``create`` → ``product.created``, ``purchase_orders``/``approve`` →
``purchase_order.approved``), and every stock move becomes ``stock.moved``. A session listener writes one
``webhook_deliveries`` row per (event, subscribed webhook) in the same transaction as the change, so an
event exists exactly when its change was committed. ``deliver_due`` (CLI ``webhooks-deliver``) posts the
rows with an HMAC-SHA256 signature and retries failures with exponential backoff.

Targets must be public addresses (no SSRF into the shop's network or a cloud metadata service): the host is
resolved and every address checked at registration and again at each send, and the connection goes to the
address that was checked. ``WEBHOOK_ALLOWED_HOSTS`` lists the on-premises exceptions.
"""
from __future__ import annotations

import fnmatch
import hashlib
import hmac
import http.client
import ipaddress
import json
import logging
import re
import secrets
import socket
import ssl
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from datetime import datetime, timedelta
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


# ---------------------------------------------------------------- target addresses (SSRF)

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_KIND_ZH = {"loopback": "回环地址", "private": "内网地址", "link-local": "链路本地地址", "multicast": "组播地址",
            "reserved": "保留地址", "unspecified": "未指定地址"}
# An allow-listed host name may resolve to these; the others (metadata services live on link-local) need a CIDR.
_NAME_MAY_BE = {"loopback", "private"}
_dns_pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="webhook-dns")


class TargetRefused(Exception):
    """The URL's host is not a public address (``kind``) or cannot be resolved (``kind`` None)."""

    def __init__(self, host: str, address: str | None = None, kind: str | None = None):
        self.host, self.address, self.kind = host, address, kind
        super().__init__(f"{host} resolves to {address} ({kind}), not a public address; allow on-premises "
                         f"receivers with WEBHOOK_ALLOWED_HOSTS" if kind else f"{host} does not resolve")


def _embedded_v4(ip: IPAddress) -> list[ipaddress.IPv4Address]:
    """IPv4 addresses an IPv6 address carries (mapped, 6to4, Teredo client, NAT64)."""
    if ip.version != 6:
        return []
    found = [ip.ipv4_mapped, ip.sixtofour, ip.teredo[1] if ip.teredo else None]
    if ip in _NAT64:
        found.append(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
    return [a for a in found if a is not None]


def address_kind(ip: IPAddress) -> str | None:
    """Why ``ip`` may not receive webhooks (``loopback``, ``private`` …), None for a public address."""
    for a in (*_embedded_v4(ip), ip):
        if a.is_unspecified:
            return "unspecified"
        if a.is_loopback:
            return "loopback"
        if a.is_link_local:
            return "link-local"
        if a.is_multicast:
            return "multicast"
        if a.is_reserved:
            return "reserved"
        if a.is_private or not a.is_global:  # RFC 1918, ULA, shared 100.64/10, documentation ranges …
            return "private"
    return None


def _allow_list() -> tuple[list, list[str]]:
    """``WEBHOOK_ALLOWED_HOSTS``: comma-separated CIDRs/addresses and host names (``*.corp.lan`` patterns)."""
    raw = _cfg("WEBHOOK_ALLOWED_HOSTS", "") or ""
    nets, names = [], []
    for entry in (raw.split(",") if isinstance(raw, str) else raw):
        entry = str(entry).strip().lower().rstrip(".")
        if not entry:
            continue
        try:
            nets.append(ipaddress.ip_network(entry, strict=False))
        except ValueError:
            names.append(entry)
    return nets, names


def _resolve(host: str, port: int) -> list[IPAddress]:
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    timeout = float(_cfg("WEBHOOK_DNS_TIMEOUT_SECONDS", 5))
    try:  # getaddrinfo has no timeout of its own
        infos = _dns_pool.submit(socket.getaddrinfo, host, port, 0, socket.SOCK_STREAM).result(timeout)
    except (OSError, UnicodeError, FutureTimeout) as exc:
        raise TargetRefused(host) from exc
    out: list[IPAddress] = []
    for *_, sockaddr in infos:
        ip = ipaddress.ip_address(str(sockaddr[0]).split("%")[0])
        if ip not in out:
            out.append(ip)
    if not out:
        raise TargetRefused(host)
    return out


def check_target(url: str) -> tuple[str, int, IPAddress]:
    """Resolve the URL's host and check every address; returns (host, port, address to connect to).

    Raises ``TargetRefused`` unless all addresses are public or allow-listed: a CIDR admits any address in it,
    a host name admits its own private and loopback addresses (not link-local, multicast …)."""
    u = urlsplit(url)
    host = (u.hostname or "").rstrip(".")
    port = u.port or (443 if u.scheme == "https" else 80)
    nets, names = _allow_list()
    name_allowed = any(fnmatch.fnmatchcase(host, n) for n in names)
    addresses = _resolve(host, port)
    for ip in addresses:
        kind = address_kind(ip)
        if kind is None or any(a in net for a in (ip, *_embedded_v4(ip)) for net in nets if a.version == net.version):
            continue
        if name_allowed and kind in _NAME_MAY_BE:
            continue
        raise TargetRefused(host, str(ip), kind)
    return host, port, addresses[0]


def _check_url(url: str) -> None:
    """Registration: a refused target is a 422 (zh + en) naming the host, address and kind."""
    try:
        check_target(url)
    except ValueError:  # urlsplit: a port beyond 65535
        raise ValidationFailed("The webhook URL has an invalid port.", zh="Webhook 地址的端口无效。",
                               code="webhook_target_refused", errors={"url": ["Port out of range 1–65535."]}) from None
    except TargetRefused as exc:
        if exc.kind is None:
            raise ValidationFailed(f"The webhook URL's host name does not resolve: {exc.host}.",
                                   zh=f"Webhook 地址的主机名无法解析：{exc.host}。", code="webhook_target_refused",
                                   errors={"url": [str(exc)]}) from None
        raise ValidationFailed(
            f"The webhook URL must point to a public address: {exc.host} resolves to {exc.address} ({exc.kind}). "
            "Allow on-premises receivers with WEBHOOK_ALLOWED_HOSTS.",
            zh=f"Webhook 地址必须指向公网地址：{exc.host} 解析为 {exc.address}（{_KIND_ZH[exc.kind]}）。"
               "内网接收方请加入 WEBHOOK_ALLOWED_HOSTS。",
            code="webhook_target_refused", errors={"url": [str(exc)]}) from None


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


# ---------------------------------------------------------------- subscriptions

def _check_events(events: list[str] | None) -> None:
    bad = [e for e in events or () if not EVENT_PATTERN.match(e)]
    if bad:
        raise ValidationFailed("Unknown event pattern.", errors={"events": [f"Not an event name or pattern: {b}"
                                                                            for b in bad]})


def list_webhooks(page: int, per_page: int) -> dict:
    return crud.paginate(select(Webhook).order_by(Webhook.id), page, per_page)


def create_webhook(data: dict) -> Webhook:
    """Subscribe a URL (a public address, or allow-listed); a secret is generated unless one is given."""
    _check_events(data.get("events"))
    _check_url(data["url"])  # DNS before the transaction: no write lock is held while resolving
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
        _check_url(data["url"])
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


def _claim(limit: int) -> tuple[list[int], datetime]:
    """Lease due deliveries to this worker; returns their ids and the lease (its ``locked_until`` value)."""
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
    return ids, lease


def _take(delivery_id: int, lease: datetime) -> bool:
    """Renew this worker's lease on one row just before sending it.

    The batch lease may run out while earlier rows are sent (a slow receiver); another worker may then have
    claimed this row. Its ``locked_until`` is then later than ours (a new lease starts after ours ended), so
    the conditional update finds nothing and this worker leaves the row alone: each send has one owner."""
    timeout = float(_cfg("WEBHOOK_TIMEOUT_SECONDS", 10)) + float(_cfg("WEBHOOK_DNS_TIMEOUT_SECONDS", 5))
    renewed = utcnow() + timedelta(seconds=max(float(_cfg("WEBHOOK_LEASE_SECONDS", 120)), 2 * timeout + 10))
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
        timeout = float(_cfg("WEBHOOK_TIMEOUT_SECONDS", 10))
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
    ids, lease = _claim(limit)
    for did in ids:
        counts[_deliver_one(did, lease)] += 1
    return counts
