"""Purchasing documents: purchase orders (采购订单), goods receipts (入库单 GR-…) and purchase returns (退货 PR-…).

Money columns hold amounts already rounded to cents (ROUND_HALF_UP, see ``backend.domain.money``);
unit prices are tax-exclusive (不含税单价) and keep four places.
"""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from backend.models.base import (
    COST,
    Base,
    Money,
    Qty,
    TimestampMixin,
    VersionedMixin,
    utcnow,
)


class PurchaseOrder(VersionedMixin, TimestampMixin, Base):
    __tablename__ = "purchase_orders"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True, index=True)
    supplier_id: Mapped[int] = mapped_column(ForeignKey("suppliers.id"), index=True)
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouses.id"), index=True)
    status: Mapped[str] = mapped_column(String(20), default="draft", index=True)
    expected_date: Mapped[date | None] = mapped_column(Date)
    notes: Mapped[str | None] = mapped_column(Text)
    # Over-receipt allowance in percent of the ordered quantity; None = app config PURCHASE_RECEIVE_TOLERANCE_PCT.
    receive_tolerance_pct: Mapped[Decimal | None] = mapped_column(Qty())
    subtotal: Mapped[Decimal] = mapped_column(Money(), info=COST, default=Decimal(0))  # net of tax
    tax_total: Mapped[Decimal] = mapped_column(Money(), info=COST, default=Decimal(0))
    total: Mapped[Decimal] = mapped_column(Money(), info=COST, default=Decimal(0))  # gross
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    submitted_at: Mapped[datetime | None]
    approval_level: Mapped[int] = mapped_column(Integer, default=0)  # levels granted in this submission
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    approved_at: Mapped[datetime | None]
    rejected_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    rejected_at: Mapped[datetime | None]
    reject_reason: Mapped[str | None] = mapped_column(Text)
    closed_at: Mapped[datetime | None]
    cancelled_at: Mapped[datetime | None]

    supplier = relationship("Supplier", lazy="joined")
    warehouse = relationship("Warehouse", lazy="joined")
    lines: Mapped[list[PurchaseOrderLine]] = relationship(
        back_populates="order", lazy="selectin", order_by="PurchaseOrderLine.line_no", cascade="all, delete-orphan")


class PurchaseOrderLine(Base):
    __tablename__ = "purchase_order_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("purchase_orders.id", ondelete="CASCADE"), index=True)
    line_no: Mapped[int] = mapped_column(Integer, default=1)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), index=True)
    quantity: Mapped[Decimal] = mapped_column(Qty())
    unit_price: Mapped[Decimal] = mapped_column(Money(), info=COST)  # tax-exclusive
    tax_rate: Mapped[Decimal] = mapped_column(Qty(), default=Decimal(0))  # 0.13 = 13 %
    amount: Mapped[Decimal] = mapped_column(Money(), info=COST, default=Decimal(0))  # qty × price, cents
    tax_amount: Mapped[Decimal] = mapped_column(Money(), info=COST, default=Decimal(0))
    total: Mapped[Decimal] = mapped_column(Money(), info=COST, default=Decimal(0))
    received_qty: Mapped[Decimal] = mapped_column(Qty(), default=Decimal(0))
    returned_qty: Mapped[Decimal] = mapped_column(Qty(), default=Decimal(0))
    notes: Mapped[str | None] = mapped_column(String(500))

    order: Mapped[PurchaseOrder] = relationship(back_populates="lines")
    product = relationship("Product", lazy="joined")


class GoodsReceipt(TimestampMixin, Base):
    """入库单: one delivery received against a purchase order; posted to the ledger when created."""

    __tablename__ = "goods_receipts"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True, index=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("purchase_orders.id"), index=True)
    supplier_id: Mapped[int] = mapped_column(ForeignKey("suppliers.id"), index=True)
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouses.id"), index=True)
    status: Mapped[str] = mapped_column(String(20), default="posted")
    received_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    note: Mapped[str | None] = mapped_column(Text)
    op_id: Mapped[str | None] = mapped_column(String(64), index=True)
    amount: Mapped[Decimal] = mapped_column(Money(), info=COST, default=Decimal(0))  # net
    tax_amount: Mapped[Decimal] = mapped_column(Money(), info=COST, default=Decimal(0))
    total: Mapped[Decimal] = mapped_column(Money(), info=COST, default=Decimal(0))  # gross = payable

    order = relationship("PurchaseOrder", lazy="joined")
    supplier = relationship("Supplier", lazy="joined")
    warehouse = relationship("Warehouse", lazy="joined")
    lines: Mapped[list[GoodsReceiptLine]] = relationship(
        back_populates="receipt", lazy="selectin", order_by="GoodsReceiptLine.id", cascade="all, delete-orphan")


class GoodsReceiptLine(Base):
    __tablename__ = "goods_receipt_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    receipt_id: Mapped[int] = mapped_column(ForeignKey("goods_receipts.id", ondelete="CASCADE"), index=True)
    order_line_id: Mapped[int] = mapped_column(ForeignKey("purchase_order_lines.id"), index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"))
    location_id: Mapped[int | None] = mapped_column(ForeignKey("locations.id"))
    quantity: Mapped[Decimal] = mapped_column(Qty())
    unit_price: Mapped[Decimal] = mapped_column(Money(), info=COST)
    tax_rate: Mapped[Decimal] = mapped_column(Qty())
    amount: Mapped[Decimal] = mapped_column(Money(), info=COST)
    tax_amount: Mapped[Decimal] = mapped_column(Money(), info=COST)
    total: Mapped[Decimal] = mapped_column(Money(), info=COST)
    returned_qty: Mapped[Decimal] = mapped_column(Qty(), default=Decimal(0))

    receipt: Mapped[GoodsReceipt] = relationship(back_populates="lines")
    product = relationship("Product", lazy="joined")


class PurchaseReturn(TimestampMixin, Base):
    """退货: goods sent back to the supplier against received lines; posted when created."""

    __tablename__ = "purchase_returns"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True, index=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("purchase_orders.id"), index=True)
    supplier_id: Mapped[int] = mapped_column(ForeignKey("suppliers.id"), index=True)
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouses.id"), index=True)
    status: Mapped[str] = mapped_column(String(20), default="posted")
    reason: Mapped[str | None] = mapped_column(Text)
    returned_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    returned_at: Mapped[datetime] = mapped_column(default=utcnow)
    op_id: Mapped[str | None] = mapped_column(String(64), index=True)
    amount: Mapped[Decimal] = mapped_column(Money(), info=COST, default=Decimal(0))
    tax_amount: Mapped[Decimal] = mapped_column(Money(), info=COST, default=Decimal(0))
    total: Mapped[Decimal] = mapped_column(Money(), info=COST, default=Decimal(0))  # gross, reduces the payable

    order = relationship("PurchaseOrder", lazy="joined")
    supplier = relationship("Supplier", lazy="joined")
    warehouse = relationship("Warehouse", lazy="joined")
    lines: Mapped[list[PurchaseReturnLine]] = relationship(
        back_populates="purchase_return", lazy="selectin", order_by="PurchaseReturnLine.id",
        cascade="all, delete-orphan")


class PurchaseReturnLine(Base):
    __tablename__ = "purchase_return_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    return_id: Mapped[int] = mapped_column(ForeignKey("purchase_returns.id", ondelete="CASCADE"), index=True)
    receipt_line_id: Mapped[int] = mapped_column(ForeignKey("goods_receipt_lines.id"), index=True)
    order_line_id: Mapped[int] = mapped_column(ForeignKey("purchase_order_lines.id"))
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"))
    quantity: Mapped[Decimal] = mapped_column(Qty())
    unit_price: Mapped[Decimal] = mapped_column(Money(), info=COST)
    tax_rate: Mapped[Decimal] = mapped_column(Qty())
    amount: Mapped[Decimal] = mapped_column(Money(), info=COST)
    tax_amount: Mapped[Decimal] = mapped_column(Money(), info=COST)
    total: Mapped[Decimal] = mapped_column(Money(), info=COST)

    purchase_return: Mapped[PurchaseReturn] = relationship(back_populates="lines")
    product = relationship("Product", lazy="joined")


Index("ix_goods_receipts_supplier_time", GoodsReceipt.supplier_id, GoodsReceipt.received_at)
Index("ix_purchase_returns_supplier_time", PurchaseReturn.supplier_id, PurchaseReturn.returned_at)
