"""Suppliers and customers."""
from __future__ import annotations

from decimal import Decimal

from sqlalchemy import Boolean, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from backend.models.base import Base, Money, TimestampMixin, VersionedMixin


class PartnerMixin(VersionedMixin, TimestampMixin):
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True, index=True)
    name: Mapped[str] = mapped_column(String(200), index=True)
    contact: Mapped[str | None] = mapped_column(String(100))
    phone: Mapped[str | None] = mapped_column(String(50))
    email: Mapped[str | None] = mapped_column(String(200))
    address: Mapped[str | None] = mapped_column(String(300))
    tax_id: Mapped[str | None] = mapped_column(String(50))
    payment_terms_days: Mapped[int] = mapped_column(Integer, default=30)
    notes: Mapped[str | None] = mapped_column(Text)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)


class Supplier(PartnerMixin, Base):
    __tablename__ = "suppliers"


class Customer(PartnerMixin, Base):
    __tablename__ = "customers"

    credit_limit: Mapped[Decimal] = mapped_column(Money(), default=Decimal(0))
