"""Notifications: Web Push subscriptions per user and device, each user's choices, the outbox of messages
(written in the transaction of the change, sent after commit) and the server's kept keys (VAPID)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from backend.models.base import Base, utcnow

# What a user can be told (settings): see backend/services/notifications/events.py
NOTIFICATION_KINDS = ("approval_pending", "decided", "ready", "sync_rejected", "low_stock")
NOTIFICATION_STATUSES = ("pending", "sent", "failed", "skipped")


class PushSubscription(Base):
    """One browser's push endpoint (a device of a user): the PushSubscription JSON of the Push API."""

    __tablename__ = "push_subscriptions"
    __audit__ = False  # device keys; not business data

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    endpoint: Mapped[str] = mapped_column(String(1000), unique=True)
    p256dh: Mapped[str] = mapped_column(String(200))
    auth: Mapped[str] = mapped_column(String(100))
    device_label: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_sent_at: Mapped[datetime | None]
    failures: Mapped[int] = mapped_column(Integer, default=0)


class NotificationPreference(Base):
    """A user's choices: ``{kind: bool}`` (a kind not listed is on)."""

    __tablename__ = "notification_preferences"
    __audit__ = False

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    kinds: Mapped[dict] = mapped_column(JSON, default=dict)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Notification(Base):
    """Outbox row: one message for one user, written with the change that caused it; sent after commit."""

    __tablename__ = "notifications"
    __audit__ = False

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(30))
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, default="")
    url: Mapped[str | None] = mapped_column(String(300))  # the PWA route the tap opens
    tag: Mapped[str | None] = mapped_column(String(100))  # one notification per document on the phone
    status: Mapped[str] = mapped_column(String(20), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]


Index("ix_notifications_status", Notification.status, Notification.id)


class ServerKey(Base):
    """Keys the server makes once and keeps (the VAPID key pair of Web Push)."""

    __tablename__ = "server_keys"
    __audit__ = False

    name: Mapped[str] = mapped_column(String(50), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
