"""Web Push delivery: ``deliver_due`` (CLI ``notifications-deliver``) sends pending ``notifications`` rows to
every device of their user (pywebpush: aes128gcm encryption with the device's keys, VAPID-signed), after the
transaction that wrote them committed — never inside a request. A subscription the push service says is
gone (404/410) is removed; other failures are kept on the row (``failed`` after ``PUSH_MAX_ATTEMPTS``).

The endpoint host is checked like a webhook target (public addresses only; ``WEBHOOK_ALLOWED_HOSTS`` for
exceptions) at subscription and again before each send."""
from __future__ import annotations

import json

from pywebpush import WebPushException, webpush
from sqlalchemy import select, update

from backend.extensions import db
from backend.models.base import utcnow
from backend.models.notifications import Notification, PushSubscription
from backend.services.notifications.keys import vapid
from backend.services.uow import transaction
from backend.services.webhooks.settings import setting
from backend.services.webhooks.targets import TargetRefused, check_target

GONE = (404, 410)


def payload(n: Notification) -> dict:
    """What the service worker receives (``push`` event): shown as a notification; a tap opens ``url``."""
    return {"id": n.id, "kind": n.kind, "title": n.title, "body": n.body, "url": n.url or "/#/", "tag": n.tag}


def _send_one(sub: PushSubscription, data: bytes, key) -> str | None:
    """None when the push service took it; else the error ("gone" for a dead subscription)."""
    try:
        check_target(sub.endpoint)
        webpush({"endpoint": sub.endpoint, "keys": {"p256dh": sub.p256dh, "auth": sub.auth}}, data=data,
                vapid_private_key=key, vapid_claims={"sub": setting("PUSH_VAPID_SUBJECT", "mailto:admin@localhost")},
                ttl=int(setting("PUSH_TTL_SECONDS", 86400)), timeout=float(setting("PUSH_TIMEOUT_SECONDS", 10)))
        return None
    except WebPushException as exc:
        status = getattr(exc.response, "status_code", None)
        return "gone" if status in GONE else f"HTTP {status}: {exc.message}"[:300]
    except TargetRefused as exc:
        return f"refused: {exc}"[:300]
    except Exception as exc:  # noqa: BLE001 — any network error is a failed attempt
        return f"{type(exc).__name__}: {exc}"[:300]


def _claim(nid: int) -> bool:
    with transaction() as session:
        res = session.execute(update(Notification).where(Notification.id == nid, Notification.status == "pending")
                              .values(status="sending").execution_options(synchronize_session=False))
    return res.rowcount == 1


def _deliver(nid: int, key) -> str:
    if not _claim(nid):
        return "skipped"
    n = db.session.get(Notification, nid)
    subs = list(db.session.scalars(select(PushSubscription).where(PushSubscription.user_id == n.user_id)))
    data = json.dumps(payload(n), ensure_ascii=False).encode()
    targets = [(s.id, s.endpoint, s.p256dh, s.auth) for s in subs]
    db.session.commit()  # no transaction open while we wait for the network
    results = {sid: _send_one(PushSubscription(endpoint=e, p256dh=p, auth=a), data, key) for sid, e, p, a in targets}
    ok = [sid for sid, err in results.items() if err is None]
    with transaction() as session:
        n = session.get(Notification, nid)
        n.attempts += 1
        for sid, err in results.items():
            sub = session.get(PushSubscription, sid)
            if sub is None:
                continue
            if err == "gone":
                session.delete(sub)
            elif err is None:
                sub.last_sent_at, sub.failures = utcnow(), 0
            else:
                sub.failures += 1
        errors = sorted({e for e in results.values() if e and e != "gone"})
        if ok or not targets or not errors:
            n.status, n.sent_at, n.error = ("sent" if ok else "skipped"), utcnow(), "; ".join(errors)[:500] or None
        else:
            n.error = "; ".join(errors)[:500]
            n.status = "failed" if n.attempts >= int(setting("PUSH_MAX_ATTEMPTS", 5)) else "pending"
    return n.status


def deliver_due(limit: int = 100) -> dict:
    """Send up to ``limit`` pending notifications; returns counts by outcome."""
    counts = {"sent": 0, "pending": 0, "failed": 0, "skipped": 0}
    ids = list(db.session.scalars(select(Notification.id).where(Notification.status == "pending")
                                  .order_by(Notification.id).limit(limit)))
    db.session.commit()
    if not ids:
        return counts
    key = vapid()
    for nid in ids:
        counts[_deliver(nid, key)] += 1
    return counts
