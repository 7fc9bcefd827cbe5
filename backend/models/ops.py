"""Operations: webhook subscriptions and their delivery outbox."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from backend.models.base import Base, TimestampMixin, VersionedMixin, utcnow

DELIVERY_STATUSES = ("pending", "delivered", "failed")
# What a webhook's body looks like: the signed JSON event (``jxc``) or a group-bot markdown message.
WEBHOOK_FORMATS = ("jxc", "wecom", "dingtalk", "feishu")


class Webhook(VersionedMixin, TimestampMixin, Base):
    """An external URL that receives signed JSON events (``events``: names or patterns like ``product.*``)."""

    __tablename__ = "webhooks"
    __audit_exclude__ = ("secret",)

    id: Mapped[int] = mapped_column(primary_key=True)
    url: Mapped[str] = mapped_column(String(500))
    description: Mapped[str | None] = mapped_column(String(200))
    events: Mapped[list] = mapped_column(JSON, default=list)
    secret: Mapped[str] = mapped_column(String(128))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    format: Mapped[str] = mapped_column(String(20), default="jxc", server_default="jxc")


class WebhookDelivery(Base):
    """Outbox row: one event for one webhook, written in the transaction that caused the event."""

    __tablename__ = "webhook_deliveries"
    __audit__ = False  # the delivery log is its own record

    id: Mapped[int] = mapped_column(primary_key=True)
    webhook_id: Mapped[int] = mapped_column(ForeignKey("webhooks.id", ondelete="CASCADE"), index=True)
    event_id: Mapped[str] = mapped_column(String(36), index=True)
    event: Mapped[str] = mapped_column(String(80))
    payload: Mapped[dict] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(20), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    locked_until: Mapped[datetime | None]
    last_attempt_at: Mapped[datetime | None]
    delivered_at: Mapped[datetime | None]
    response_status: Mapped[int | None]
    response_body: Mapped[str | None] = mapped_column(Text)
    error: Mapped[str | None] = mapped_column(String(500))
    duration_ms: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)

    webhook = relationship("Webhook")


Index("ix_webhook_deliveries_due", WebhookDelivery.status, WebhookDelivery.next_attempt_at)
