"""Offline sync: devices, the record of every pushed operation, the pull change log, idempotency keys.

* ``SyncDevice`` — a phone registered to one user; ``last_seq`` is the highest op ``seq`` processed,
  updated in the same transaction as the op (and its outcome record).
* ``SyncOp`` — one row per processed op: payload, payload hash, outcome (applied / rejected / resolved /
  dismissed), result or error. ``dedupe_key`` is unique: normally the op_id; a second op with a reused
  op_id but a different payload is kept under ``<op_id>:<hash>`` so that it too is visible and replayable.
* ``SyncPhoto`` — the photo of a photo op that was rejected (kept for a person to resolve).
* ``SyncChange`` — one row per (entity, id) holding the global change sequence of its last change. The
  sequence is taken from a locked counter at commit time, so commit order equals sequence order and a
  pull cursor never misses a row committed late (see backend/sync/changes.py).
* ``IdempotencyKey`` — ``Idempotency-Key`` header of ordinary POST requests (per user).
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, deferred, mapped_column, relationship

from backend.models.base import Base, utcnow

OP_STATUSES = ("applied", "rejected", "resolved", "dismissed")


class SyncDevice(Base):
    __tablename__ = "sync_devices"
    __audit_exclude__ = {"last_seq", "last_seen_at", "last_push_at"}

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # client-generated (UUID)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str | None] = mapped_column(String(120))
    platform: Mapped[str | None] = mapped_column(String(120))
    last_seq: Mapped[int] = mapped_column(BigInteger, default=0, nullable=False)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True, nullable=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_push_at: Mapped[datetime | None]
    user = relationship("User", lazy="select")


class SyncOp(Base):
    __tablename__ = "sync_ops"
    __audit__ = False  # the op records are their own trail; dismiss/resolve write explicit audit rows

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    dedupe_key: Mapped[str] = mapped_column(String(120), unique=True)
    op_id: Mapped[str] = mapped_column(String(64), index=True)
    device_id: Mapped[str | None] = mapped_column(ForeignKey("sync_devices.id", ondelete="SET NULL"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    seq: Mapped[int | None] = mapped_column(BigInteger)
    type: Mapped[str] = mapped_column(String(40))
    type_version: Mapped[int] = mapped_column(Integer, default=1)
    payload: Mapped[dict] = mapped_column(JSON)
    payload_hash: Mapped[str] = mapped_column(String(64))
    base_version: Mapped[int | None]
    client_time: Mapped[datetime | None]
    synced_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    status: Mapped[str] = mapped_column(String(20), index=True)
    result: Mapped[dict | None] = mapped_column(JSON)
    error_code: Mapped[str | None] = mapped_column(String(60))
    error_message: Mapped[str | None] = mapped_column(Text)
    error_details: Mapped[dict | list | None] = mapped_column(JSON)
    has_photo: Mapped[bool] = mapped_column(Boolean, default=False)
    # resolution of a rejected op: a corrected op (linked both ways) or a dismissal with a reason
    resolves_id: Mapped[int | None] = mapped_column(ForeignKey("sync_ops.id", ondelete="SET NULL"))
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("sync_ops.id", ondelete="SET NULL"))
    closed_at: Mapped[datetime | None]
    closed_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    dismiss_reason: Mapped[str | None] = mapped_column(String(500))

    device = relationship("SyncDevice", lazy="select")
    user = relationship("User", foreign_keys=[user_id], lazy="select")


Index("ix_sync_ops_status_synced", SyncOp.status, SyncOp.synced_at)
Index("ix_sync_ops_device_seq", SyncOp.device_id, SyncOp.seq)


class SyncPhoto(Base):
    __tablename__ = "sync_photos"
    __audit__ = False

    id: Mapped[int] = mapped_column(primary_key=True)
    op_record_id: Mapped[int] = mapped_column(ForeignKey("sync_ops.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))  # the multipart part name the op referred to
    content_type: Mapped[str] = mapped_column(String(80))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    decoded: Mapped[str | None] = mapped_column(String(200))
    data: Mapped[bytes] = deferred(mapped_column(LargeBinary))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class SyncChange(Base):
    """Last change of an entity the phones pull, with its global, commit-ordered sequence number."""

    __tablename__ = "sync_changes"
    __audit__ = False
    __table_args__ = (UniqueConstraint("entity", "entity_id"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    entity: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[int] = mapped_column(BigInteger)
    seq: Mapped[int] = mapped_column(BigInteger, index=True)
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)


class IdempotencyKey(Base):
    __tablename__ = "idempotency_keys"
    __audit__ = False
    __table_args__ = (UniqueConstraint("user_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(255))
    method: Mapped[str] = mapped_column(String(10))
    path: Mapped[str] = mapped_column(String(500))
    request_hash: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(12), default="running")  # running, committed, done
    locked_at: Mapped[datetime] = mapped_column(default=utcnow)
    response_status: Mapped[int | None]
    response_body: Mapped[bytes | None] = deferred(mapped_column(LargeBinary))
    response_content_type: Mapped[str | None] = mapped_column(String(120))
    response_headers: Mapped[dict | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    completed_at: Mapped[datetime | None]
