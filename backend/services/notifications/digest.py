"""The daily low-stock digest: one notification per user who sees stock (``stock.view``), has a device
subscribed and did not switch ``low_stock`` off — what is at or below its reorder point in their
warehouses. Run once a day: ``flask --app backend notifications-low-stock`` (cron / systemd timer, see
docs/operations.md); the ``notifications-deliver`` worker sends it."""
from __future__ import annotations

from sqlalchemy import select

from backend.extensions import db
from backend.models.notifications import Notification, PushSubscription
from backend.models.users import User
from backend.services import alerts
from backend.services.notifications.prefs import wants
from backend.services.notifications.texts import text
from backend.services.uow import command

SHOWN = 8  # products named in the body; the rest is "+ n more" (the list opens on tap)


@command
def low_stock_digest() -> int:
    """Queue today's digest; returns how many notifications were written."""
    ids = set(db.session.scalars(select(PushSubscription.user_id).distinct()))
    n = 0
    for user in db.session.scalars(select(User).where(User.id.in_(ids), User.is_active.is_(True))):
        if not user.can("stock.view") or not wants(user.id, "low_stock"):
            continue
        items = alerts.low_stock({"per_page": 500, "page": 1}, user)["items"]
        if not items:
            continue
        lines = [f"{it['sku']} {it['name']} @{it['warehouse_code']}: {it['quantity']:f} ≤ {it['reorder_point']:f}"
                 for it in items[:SHOWN]]
        if len(items) > SHOWN:
            lines.append(f"+{len(items) - SHOWN}")
        title, body = text("low_stock", user.locale, n=len(items), lines="\n".join(lines))
        db.session.add(Notification(user_id=user.id, kind="low_stock", title=title, body=body, url="/#/lowstock",
                                    tag="low_stock"))
        n += 1
    db.session.flush()
    return n
