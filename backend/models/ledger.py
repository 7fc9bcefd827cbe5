"""The stock ledger: immutable moves and the per-(product, warehouse) level they add up to."""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import ForeignKey, Index, String, event
from sqlalchemy.orm import Mapped, mapped_column, relationship

from backend.models.base import COST, Base, Money, Qty, utcnow

MOVE_KINDS = ("receipt", "shipment", "transfer_out", "transfer_in", "adjustment", "stocktake", "return_in",
              "return_out", "opening")


class StockMove(Base):
    """One signed change of stock. Never updated or deleted: a correction is a reversing move."""

    __tablename__ = "stock_moves"
    __audit__ = False  # the ledger is its own audit trail; the documents that cause moves are audited

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), index=True)
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouses.id"), index=True)
    location_id: Mapped[int | None] = mapped_column(ForeignKey("locations.id"))
    quantity: Mapped[Decimal] = mapped_column(Qty())
    unit_cost: Mapped[Decimal] = mapped_column(Money(), info=COST)
    value: Mapped[Decimal] = mapped_column(Money(), info=COST)  # signed; sum(value) = level value
    balance_after: Mapped[Decimal] = mapped_column(Qty())
    kind: Mapped[str] = mapped_column(String(20), index=True)
    reason: Mapped[str | None] = mapped_column(String(40))
    doc_type: Mapped[str | None] = mapped_column(String(30))
    doc_id: Mapped[int | None]
    doc_line_id: Mapped[int | None]
    note: Mapped[str | None] = mapped_column(String(500))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    op_id: Mapped[str | None] = mapped_column(String(64), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)

    product = relationship("Product", lazy="joined")
    warehouse = relationship("Warehouse", lazy="joined")


Index("ix_stock_moves_pw_time", StockMove.product_id, StockMove.warehouse_id, StockMove.created_at)
Index("ix_stock_moves_doc", StockMove.doc_type, StockMove.doc_id)


class StockLevel(Base):
    """On-hand quantity and value per product and warehouse; written only by ``ledger.post``."""

    __tablename__ = "stock_levels"
    __audit__ = False

    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), primary_key=True)
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouses.id"), primary_key=True, index=True)
    quantity: Mapped[Decimal] = mapped_column(Qty(), default=Decimal(0))
    value: Mapped[Decimal] = mapped_column(Money(), info=COST, default=Decimal(0))
    avg_cost: Mapped[Decimal] = mapped_column(Money(), info=COST, default=Decimal(0))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    product = relationship("Product", lazy="joined")
    warehouse = relationship("Warehouse", lazy="joined")


class ImmutableMove(RuntimeError):
    """Raised when code tries to change or delete a stock move."""


@event.listens_for(StockMove, "before_update")
@event.listens_for(StockMove, "before_delete")
def _moves_are_immutable(mapper, connection, target):
    raise ImmutableMove("stock moves are immutable; post a reversing move instead")
