"""Declarative base, column types (exact Decimal, UTC datetimes) and shared mixins."""
from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation

from sqlalchemy import DateTime, Integer, MetaData, Numeric, TypeDecorator
from sqlalchemy.orm import DeclarativeBase, Mapped, declared_attr, mapped_column

# the NUMERIC(18,4) limits are a domain rule; re-exported here for the column types and older importers
from backend.domain.numeric import (  # noqa: F401
    MONEY_SCALE,
    NUMERIC_MAX,
    NUMERIC_PRECISION,
    NUMERIC_SCALE,
    QTY_SCALE,
)
from backend.errors import OutOfRange

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}



# Column info of a cost (purchase price, average/unit cost, value, supplier amounts): shown only with the
# cost.view permission (backend/auth/visibility.py).
COST = {"cost": True}


def utcnow() -> datetime:
    """Timezone-aware current UTC time."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """Stores UTC; always returns aware UTC datetimes (SQLite has no time zones)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Qty(TypeDecorator):
    """Quantity: NUMERIC(18,4), always a quantized Decimal in Python.

    A value the column cannot hold (a computed total such as quantity × price) is refused with 422
    ``out_of_range`` before it reaches the database, the same on SQLite (which would store it) and
    PostgreSQL (which would fail with "numeric field overflow")."""

    impl = Numeric(NUMERIC_PRECISION, NUMERIC_SCALE)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        try:
            value = Decimal(value).quantize(QTY_SCALE)
        except InvalidOperation:  # more digits than the context holds: far beyond the column
            value = None
        if value is None or not value.is_finite() or abs(value) > NUMERIC_MAX:
            raise OutOfRange()
        return value

    def process_result_value(self, value, dialect):
        return None if value is None else Decimal(value).quantize(QTY_SCALE)


class Money(Qty):
    """Money/unit cost: NUMERIC(18,4) (unit costs need more than cents); round totals explicitly."""

    cache_ok = True


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {datetime: UTCDateTime(), Decimal: Qty()}


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow, nullable=False)


class VersionedMixin:
    """Optimistic locking: every UPDATE checks and bumps ``version`` (SQLAlchemy version_id_col)."""

    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)

    @declared_attr.directive
    def __mapper_args__(cls):
        return {"version_id_col": cls.__table__.c.version}
