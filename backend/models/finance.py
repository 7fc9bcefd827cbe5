"""Finance: payments made/received, their allocations to documents, and expenses.

Receivables and payables are not stored: they are the documents themselves (invoices, credit notes,
purchase receipts, purchase returns) minus what has been allocated to them (see services/finance.py).
"""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    LargeBinary,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from backend.models.base import Base, Money, TimestampMixin, VersionedMixin, utcnow

PAYMENT_DIRECTIONS = ("in", "out")  # in: money received; out: money paid
PARTNER_TYPES = ("customer", "supplier")
PAYMENT_METHODS = ("cash", "bank", "wechat", "alipay", "card", "other")
# Allocation sources (what pays) and targets (what is paid)
ALLOCATION_SOURCES = ("payment", "credit_note", "purchase_return")
ALLOCATION_TARGETS = ("invoice", "credit_note", "receipt", "purchase_return")


class Payment(VersionedMixin, TimestampMixin, Base):
    """Money received from a customer / paid to a supplier (or a refund the other way)."""

    __tablename__ = "payments"
    __table_args__ = (CheckConstraint("amount > 0", name="amount_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True, index=True)
    direction: Mapped[str] = mapped_column(String(3))
    partner_type: Mapped[str] = mapped_column(String(10))
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"), index=True)
    supplier_id: Mapped[int | None] = mapped_column(ForeignKey("suppliers.id"), index=True)
    amount: Mapped[Decimal] = mapped_column(Money())
    method: Mapped[str] = mapped_column(String(20), default="bank")
    reference: Mapped[str | None] = mapped_column(String(100))
    paid_on: Mapped[date] = mapped_column(Date)
    notes: Mapped[str | None] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    allocations: Mapped[list[Allocation]] = relationship(
        primaryjoin="and_(Allocation.source_type == 'payment', foreign(Allocation.source_id) == Payment.id)",
        lazy="selectin", order_by="Allocation.id", viewonly=True)

    @property
    def partner_id(self) -> int | None:
        return self.customer_id if self.partner_type == "customer" else self.supplier_id

    @property
    def allocated(self) -> Decimal:
        return sum((a.amount for a in self.allocations), Decimal(0))

    @property
    def unallocated(self) -> Decimal:
        return self.amount - self.allocated


class Allocation(Base):
    """``amount`` of a source (payment, credit note, purchase return) applied to a target document."""

    __tablename__ = "allocations"
    __table_args__ = (CheckConstraint("amount > 0", name="amount_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    source_type: Mapped[str] = mapped_column(String(20))
    source_id: Mapped[int]
    target_type: Mapped[str] = mapped_column(String(20))
    target_id: Mapped[int]
    amount: Mapped[Decimal] = mapped_column(Money())
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


Index("ix_allocations_source", Allocation.source_type, Allocation.source_id)
Index("ix_allocations_target", Allocation.target_type, Allocation.target_id)


class Expense(VersionedMixin, TimestampMixin, Base):
    """An operating expense (费用): rent, freight, utilities …; attachment optional."""

    __tablename__ = "expenses"
    __table_args__ = (CheckConstraint("amount > 0", name="amount_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True, index=True)
    category: Mapped[str] = mapped_column(String(50), index=True)
    amount: Mapped[Decimal] = mapped_column(Money())
    expense_date: Mapped[date] = mapped_column(Date, index=True)
    description: Mapped[str | None] = mapped_column(Text)
    payee: Mapped[str | None] = mapped_column(String(200))
    method: Mapped[str] = mapped_column(String(20), default="bank")
    supplier_id: Mapped[int | None] = mapped_column(ForeignKey("suppliers.id"))
    warehouse_id: Mapped[int | None] = mapped_column(ForeignKey("warehouses.id"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    attachment_name: Mapped[str | None] = mapped_column(String(200))
    attachment_type: Mapped[str | None] = mapped_column(String(100))
    attachment_size: Mapped[int | None]
    # over EXPENSE_APPROVAL_THRESHOLD an expense waits for approval (backend/services/expense_approvals.py)
    status: Mapped[str] = mapped_column(String(20), default="approved", server_default="approved", index=True)
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    submitted_at: Mapped[datetime | None]
    approval_level: Mapped[int] = mapped_column(default=0, server_default="0")


class ExpenseAttachment(Base):
    """The attachment's bytes (kept in the database so app servers stay stateless)."""

    __tablename__ = "expense_attachments"
    __audit_exclude__ = frozenset({"data"})

    expense_id: Mapped[int] = mapped_column(ForeignKey("expenses.id", ondelete="CASCADE"), primary_key=True)
    data: Mapped[bytes] = mapped_column(LargeBinary)
