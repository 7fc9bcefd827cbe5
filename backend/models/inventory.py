"""Inventory documents: adjustments, two-step transfers (with discrepancies), stocktakes, reorder points.

Every document only *causes* stock moves through ``ledger.post``; the ledger (``StockMove``) is the truth.
Status codes are lower-case strings; transition tables live in ``backend.domain.flows``.
"""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import Boolean, ForeignKey, Index, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from backend.models.base import COST, Base, Money, Qty, TimestampMixin, VersionedMixin

ADJUSTMENT_REASONS = ("damage", "loss", "found", "sample", "opening_balance", "other")
TRANSFER_RESOLUTIONS = ("write_off", "return_to_source", "accept")
DISCREPANCY_KINDS = ("short", "damaged")
COUNT_MODES = ("add", "replace")


class Adjustment(VersionedMixin, TimestampMixin, Base):
    """其他入库/出库: a signed stock correction with a reason; large ones wait for approval."""

    __tablename__ = "adjustments"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True, index=True)
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouses.id"), index=True)
    reason: Mapped[str] = mapped_column(String(20))
    note: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), index=True, default="draft")
    total_value: Mapped[Decimal] = mapped_column(Money(), info=COST, default=Decimal(0))  # absolute value at creation
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    approval_level: Mapped[int] = mapped_column(default=0)
    posted_at: Mapped[datetime | None]
    op_id: Mapped[str | None] = mapped_column(String(64), index=True)
    lines: Mapped[list[AdjustmentLine]] = relationship(
        back_populates="adjustment", lazy="selectin", order_by="AdjustmentLine.id", cascade="all, delete-orphan")


class AdjustmentLine(Base):
    __tablename__ = "adjustment_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    adjustment_id: Mapped[int] = mapped_column(ForeignKey("adjustments.id", ondelete="CASCADE"), index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), index=True)
    location_id: Mapped[int | None] = mapped_column(ForeignKey("locations.id"))
    quantity: Mapped[Decimal] = mapped_column(Qty())  # signed: + in, − out
    unit_cost: Mapped[Decimal | None] = mapped_column(Money(), info=COST)  # incoming only; None = current average
    value: Mapped[Decimal | None] = mapped_column(Money(), info=COST)  # signed value of the posted move
    move_id: Mapped[int | None] = mapped_column(ForeignKey("stock_moves.id"))
    adjustment: Mapped[Adjustment] = relationship(back_populates="lines")


class Transfer(VersionedMixin, TimestampMixin, Base):
    """Two-step transfer: ship (out of the source into transit) → receive (into the destination)."""

    __tablename__ = "transfers"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True, index=True)
    from_warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouses.id"), index=True)
    to_warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouses.id"), index=True)
    status: Mapped[str] = mapped_column(String(20), index=True, default="draft")
    note: Mapped[str | None] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    shipped_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    shipped_at: Mapped[datetime | None]
    completed_at: Mapped[datetime | None]
    lines: Mapped[list[TransferLine]] = relationship(
        back_populates="transfer", lazy="selectin", order_by="TransferLine.id", cascade="all, delete-orphan")
    discrepancies: Mapped[list[TransferDiscrepancy]] = relationship(
        back_populates="transfer", lazy="selectin", order_by="TransferDiscrepancy.id", cascade="all, delete-orphan")


class TransferLine(Base):
    __tablename__ = "transfer_lines"
    __table_args__ = (UniqueConstraint("transfer_id", "product_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    transfer_id: Mapped[int] = mapped_column(ForeignKey("transfers.id", ondelete="CASCADE"), index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), index=True)
    quantity: Mapped[Decimal] = mapped_column(Qty())  # planned
    shipped_qty: Mapped[Decimal] = mapped_column(Qty(), default=Decimal(0))
    received_qty: Mapped[Decimal] = mapped_column(Qty(), default=Decimal(0))
    reported_qty: Mapped[Decimal] = mapped_column(Qty(), default=Decimal(0))  # short/damaged reported
    resolved_qty: Mapped[Decimal] = mapped_column(Qty(), default=Decimal(0))  # of reported, resolved
    unit_cost: Mapped[Decimal | None] = mapped_column(Money(), info=COST)  # average cost at shipment
    transfer: Mapped[Transfer] = relationship(back_populates="lines")
    product = relationship("Product", lazy="joined")

    @property
    def in_transit(self) -> Decimal:
        """Shipped and neither received nor resolved (unresolved discrepancies stay in transit)."""
        return (self.shipped_qty or 0) - (self.received_qty or 0) - (self.resolved_qty or 0)

    @property
    def open_qty(self) -> Decimal:
        """Shipped and not yet accounted for by a receipt or a reported discrepancy."""
        return (self.shipped_qty or 0) - (self.received_qty or 0) - (self.reported_qty or 0)


class TransferDiscrepancy(VersionedMixin, TimestampMixin, Base):
    """Shortage or damage found on receipt; a manager resolves it (write off, back to source, accept)."""

    __tablename__ = "transfer_discrepancies"

    id: Mapped[int] = mapped_column(primary_key=True)
    transfer_id: Mapped[int] = mapped_column(ForeignKey("transfers.id", ondelete="CASCADE"), index=True)
    line_id: Mapped[int] = mapped_column(ForeignKey("transfer_lines.id", ondelete="CASCADE"))
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"))
    kind: Mapped[str] = mapped_column(String(20))  # short | damaged
    quantity: Mapped[Decimal] = mapped_column(Qty())
    value: Mapped[Decimal] = mapped_column(Money(), info=COST, default=Decimal(0))  # at the shipment cost
    note: Mapped[str | None] = mapped_column(String(500))
    reported_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    resolution: Mapped[str | None] = mapped_column(String(20))
    resolution_note: Mapped[str | None] = mapped_column(String(500))
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    resolved_at: Mapped[datetime | None]
    transfer: Mapped[Transfer] = relationship(back_populates="discrepancies")


class Stocktake(VersionedMixin, TimestampMixin, Base):
    """盘点 of a warehouse (optionally one location or one category); stock may keep moving meanwhile."""

    __tablename__ = "stocktakes"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True, index=True)
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouses.id"), index=True)
    location_id: Mapped[int | None] = mapped_column(ForeignKey("locations.id"))
    category: Mapped[str | None] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(20), index=True, default="counting")
    note: Mapped[str | None] = mapped_column(Text)
    opened_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    submitted_at: Mapped[datetime | None]
    approval_level: Mapped[int] = mapped_column(default=0)
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    approved_at: Mapped[datetime | None]
    zeroed_uncounted: Mapped[bool] = mapped_column(Boolean, default=False)
    counts: Mapped[list[StocktakeCount]] = relationship(
        back_populates="stocktake", lazy="selectin", order_by="StocktakeCount.id", cascade="all, delete-orphan")
    lines: Mapped[list[StocktakeLine]] = relationship(
        back_populates="stocktake", lazy="selectin", order_by="StocktakeLine.id", cascade="all, delete-orphan")


class StocktakeCount(Base):
    """One count by one counter. ``add`` counts of a (product, location) add up; ``replace`` supersedes."""

    __tablename__ = "stocktake_counts"

    id: Mapped[int] = mapped_column(primary_key=True)
    stocktake_id: Mapped[int] = mapped_column(ForeignKey("stocktakes.id", ondelete="CASCADE"), index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), index=True)
    location_id: Mapped[int | None] = mapped_column(ForeignKey("locations.id"))
    quantity: Mapped[Decimal] = mapped_column(Qty())
    mode: Mapped[str] = mapped_column(String(10), default="add")
    counted_at: Mapped[datetime]
    counted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)  # False once replaced or sent to recount
    op_id: Mapped[str | None] = mapped_column(String(64), index=True)
    received_at: Mapped[datetime | None]  # when the server got it (a sync push's time); NULL before 0002
    # counted_at lies more than STOCKTAKE_COUNT_MAX_SKEW_MINUTES before received_at (a phone's wrong clock,
    # or a count kept offline for long): shown to the manager, not refused
    clock_suspect: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    stocktake: Mapped[Stocktake] = relationship(back_populates="counts")


class StocktakeLine(Base):
    """Per product: counted vs book quantity at ``counted_at``; computed on submit, posted on approval."""

    __tablename__ = "stocktake_lines"
    __table_args__ = (UniqueConstraint("stocktake_id", "product_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    stocktake_id: Mapped[int] = mapped_column(ForeignKey("stocktakes.id", ondelete="CASCADE"), index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"))
    counted: Mapped[bool] = mapped_column(Boolean, default=True)  # False: uncounted product in scope
    counted_qty: Mapped[Decimal | None] = mapped_column(Qty())
    first_counted_at: Mapped[datetime | None]
    counted_at: Mapped[datetime | None]  # latest count of the product
    book_qty: Mapped[Decimal] = mapped_column(Qty(), default=Decimal(0))  # at counted_at (now if uncounted)
    variance: Mapped[Decimal] = mapped_column(Qty(), default=Decimal(0))
    unit_cost: Mapped[Decimal] = mapped_column(Money(), info=COST, default=Decimal(0))
    variance_value: Mapped[Decimal] = mapped_column(Money(), info=COST, default=Decimal(0))
    moved_after_count: Mapped[Decimal] = mapped_column(Qty(), default=Decimal(0))  # net moves since count
    flagged: Mapped[bool] = mapped_column(Boolean, default=False)
    clock_suspect: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())  # a count's time
    posted_qty: Mapped[Decimal | None] = mapped_column(Qty())
    move_id: Mapped[int | None] = mapped_column(ForeignKey("stock_moves.id"))
    stocktake: Mapped[Stocktake] = relationship(back_populates="lines")
    product = relationship("Product", lazy="joined")


class ReorderPoint(VersionedMixin, TimestampMixin, Base):
    """Per-warehouse reorder point; overrides the product's own reorder point in that warehouse."""

    __tablename__ = "reorder_points"
    __table_args__ = (UniqueConstraint("product_id", "warehouse_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"), index=True)
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouses.id", ondelete="CASCADE"), index=True)
    reorder_point: Mapped[Decimal] = mapped_column(Qty(), default=Decimal(0))
    reorder_qty: Mapped[Decimal] = mapped_column(Qty(), default=Decimal(0))


Index("ix_stocktake_counts_product", StocktakeCount.stocktake_id, StocktakeCount.product_id)
