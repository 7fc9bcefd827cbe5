"""Append-only audit log."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String, event
from sqlalchemy.orm import Mapped, mapped_column

from backend.models.base import Base, utcnow


class AuditLog(Base):
    __tablename__ = "audit_log"
    __audit__ = False

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    username: Mapped[str | None] = mapped_column(String(64))
    entity: Mapped[str] = mapped_column(String(64), index=True)
    entity_id: Mapped[str] = mapped_column(String(64), index=True)
    action: Mapped[str] = mapped_column(String(40))
    changes: Mapped[dict] = mapped_column(JSON, default=dict)
    request_id: Mapped[str | None] = mapped_column(String(64))
    source: Mapped[str | None] = mapped_column(String(20))  # web, api_token, sync, cli


class AppendOnlyViolation(RuntimeError):
    """Raised when code tries to change or delete an append-only row."""


@event.listens_for(AuditLog, "before_update")
@event.listens_for(AuditLog, "before_delete")
def _audit_is_append_only(mapper, connection, target):
    raise AppendOnlyViolation("audit_log rows are append-only")
