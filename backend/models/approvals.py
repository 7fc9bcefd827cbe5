"""Approval records and policies (per document type, amount thresholds → permission)."""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from backend.models.base import Base, Money, TimestampMixin, VersionedMixin, utcnow


class ApprovalPolicy(VersionedMixin, TimestampMixin, Base):
    """Documents of ``doc_type`` with amount ≥ ``min_amount`` need ``permission`` at approval ``level``."""

    __tablename__ = "approval_policies"

    id: Mapped[int] = mapped_column(primary_key=True)
    doc_type: Mapped[str] = mapped_column(String(30), index=True)
    level: Mapped[int] = mapped_column(default=1)  # 1 or 2
    min_amount: Mapped[Decimal] = mapped_column(Money(), default=Decimal(0))
    permission: Mapped[str] = mapped_column(String(60))


class Approval(Base):
    """One approve/reject decision on a document (kept forever; the audit log has it too)."""

    __tablename__ = "approvals"

    id: Mapped[int] = mapped_column(primary_key=True)
    doc_type: Mapped[str] = mapped_column(String(30))
    doc_id: Mapped[int]
    doc_version: Mapped[int]
    level: Mapped[int] = mapped_column(default=1)
    decision: Mapped[str] = mapped_column(String(10))  # approve | reject
    comment: Mapped[str | None] = mapped_column(Text)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(default=utcnow)


Index("ix_approvals_doc", Approval.doc_type, Approval.doc_id)
