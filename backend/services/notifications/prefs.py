"""Push subscriptions per user and device, and what each user wants to be told."""
from __future__ import annotations

from sqlalchemy import select

from backend.errors import ValidationFailed
from backend.extensions import db
from backend.models.notifications import NOTIFICATION_KINDS, NotificationPreference, PushSubscription
from backend.services.uow import command
from backend.services.webhooks.targets import TargetRefused, check_target

MAX_PER_USER = 20  # devices per user; the oldest goes when a 21st subscribes


def subscribe(user, data: dict) -> PushSubscription:
    """Register (or move to ``user``) the browser's push subscription ``{endpoint, keys: {p256dh, auth}}``.
    The endpoint must be a public address (like a webhook target; DNS before the transaction)."""
    try:
        check_target(data["endpoint"])
    except (TargetRefused, ValueError) as exc:
        raise ValidationFailed("The push endpoint must be a public address.", zh="推送地址必须是公网地址。",
                               code="push_endpoint_refused", errors={"endpoint": [str(exc)]}) from None
    return _subscribe(user, data)


@command
def _subscribe(user, data: dict) -> PushSubscription:
    endpoint, user_id = data["endpoint"], user.id
    values = {"user_id": user_id, "p256dh": data["keys"]["p256dh"], "auth": data["keys"]["auth"],
              "device_label": data.get("device_label"), "failures": 0}
    sub = db.session.scalar(select(PushSubscription).where(PushSubscription.endpoint == endpoint))
    if sub is None:
        sub = PushSubscription(endpoint=endpoint, **values)
        db.session.add(sub)
    else:  # the same browser signed in as another user: the device is theirs now
        for k, v in values.items():
            setattr(sub, k, v)
    db.session.flush()
    subs = db.session.scalars(select(PushSubscription).where(PushSubscription.user_id == user_id)
                              .order_by(PushSubscription.id.desc())).all()
    for old in subs[MAX_PER_USER:]:
        db.session.delete(old)
    db.session.flush()
    return sub


@command
def unsubscribe(user, endpoint: str) -> None:
    sub = db.session.scalar(select(PushSubscription).where(PushSubscription.endpoint == endpoint,
                                                           PushSubscription.user_id == user.id))
    if sub is not None:
        db.session.delete(sub)
        db.session.flush()


def subscriptions(user_id: int) -> list[PushSubscription]:
    return list(db.session.scalars(select(PushSubscription).where(PushSubscription.user_id == user_id)
                                   .order_by(PushSubscription.id)))


def preferences(user) -> dict:
    """``{kinds: {kind: bool}, devices: n}`` (every kind listed; on unless switched off)."""
    row = db.session.get(NotificationPreference, user.id)
    chosen = (row.kinds if row else None) or {}
    return {"kinds": {k: bool(chosen.get(k, True)) for k in NOTIFICATION_KINDS},
            "devices": len(subscriptions(user.id))}


@command
def set_preferences(user, kinds: dict) -> dict:
    unknown = sorted(set(kinds) - set(NOTIFICATION_KINDS))
    if unknown:
        raise ValidationFailed("Unknown notification kind.", zh="未知的通知类型。",
                               errors={"kinds": {k: ["Unknown."] for k in unknown}})
    row = db.session.get(NotificationPreference, user.id)
    if row is None:
        row = NotificationPreference(user_id=user.id, kinds={})
        db.session.add(row)
    row.kinds = {**(row.kinds or {}), **{k: bool(v) for k, v in kinds.items()}}
    db.session.flush()
    return preferences(user)


def wants(user_id: int, kind: str) -> bool:
    row = db.session.get(NotificationPreference, user_id)
    return bool(((row.kinds if row else None) or {}).get(kind, True))
