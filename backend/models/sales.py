"""Sales: orders, shipments (出库单/发货单 DN), invoices (开票 INV), returns (SR) and credit notes (CN).

Money rules: ``backend.domain.money`` (unit prices tax-exclusive; gross, discount, net, tax, total per
line, each rounded to cents half up; document totals are sums of the rounded line figures; tax lines by
rate). The mixins below store those figures on the rows.
"""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from backend.domain.money import ZERO, line_amounts, money_sum, tax_lines
from backend.models.base import (
    COST,
    Base,
    Money,
    Qty,
    TimestampMixin,
    VersionedMixin,
    utcnow,
)


class MoneyLineMixin:
    """Quantity × price with discount and tax, rounded to cents (stored for reporting)."""

    quantity: Mapped[Decimal] = mapped_column(Qty())
    unit_price: Mapped[Decimal] = mapped_column(Money())
    discount_rate: Mapped[Decimal] = mapped_column(Qty(), default=ZERO)
    tax_rate: Mapped[Decimal] = mapped_column(Qty(), default=ZERO)
    gross_amount: Mapped[Decimal] = mapped_column(Money(), default=ZERO)
    discount_amount: Mapped[Decimal] = mapped_column(Money(), default=ZERO)
    net_amount: Mapped[Decimal] = mapped_column(Money(), default=ZERO)
    tax_amount: Mapped[Decimal] = mapped_column(Money(), default=ZERO)
    total_amount: Mapped[Decimal] = mapped_column(Money(), default=ZERO)

    def compute(self) -> None:
        a = line_amounts(self.quantity, self.unit_price, self.discount_rate, self.tax_rate)
        self.gross_amount, self.discount_amount = a["gross"], a["discount"]
        self.net_amount, self.tax_amount, self.total_amount = a["net"], a["tax"], a["total"]


class MoneyDocMixin:
    subtotal: Mapped[Decimal] = mapped_column(Money(), default=ZERO)  # Σ gross
    discount_total: Mapped[Decimal] = mapped_column(Money(), default=ZERO)
    net_total: Mapped[Decimal] = mapped_column(Money(), default=ZERO)
    tax_total: Mapped[Decimal] = mapped_column(Money(), default=ZERO)
    total: Mapped[Decimal] = mapped_column(Money(), default=ZERO)

    def compute_totals(self) -> None:
        for ln in self.lines:
            ln.compute()
        self.subtotal = money_sum((ln.gross_amount for ln in self.lines), ZERO)
        self.discount_total = money_sum((ln.discount_amount for ln in self.lines), ZERO)
        self.net_total = money_sum((ln.net_amount for ln in self.lines), ZERO)
        self.tax_total = money_sum((ln.tax_amount for ln in self.lines), ZERO)
        self.total = self.net_total + self.tax_total

    @property
    def tax_lines(self) -> list[dict]:
        return tax_lines(self.lines)


class SalesOrder(MoneyDocMixin, VersionedMixin, TimestampMixin, Base):
    __tablename__ = "sales_orders"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True, index=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouses.id"), index=True)
    status: Mapped[str] = mapped_column(String(20), default="draft", index=True)
    order_date: Mapped[date | None] = mapped_column(Date)
    expected_date: Mapped[date | None] = mapped_column(Date)
    notes: Mapped[str | None] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    submitted_at: Mapped[datetime | None]
    approval_level: Mapped[int] = mapped_column(Integer, default=0)
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    approved_at: Mapped[datetime | None]
    rejected_reason: Mapped[str | None] = mapped_column(Text)
    closed_at: Mapped[datetime | None]

    customer = relationship("Customer", lazy="joined")
    warehouse = relationship("Warehouse", lazy="joined")
    lines: Mapped[list[SalesOrderLine]] = relationship(
        back_populates="order", lazy="selectin", order_by="SalesOrderLine.line_no", cascade="all, delete-orphan")


class SalesOrderLine(MoneyLineMixin, Base):
    __tablename__ = "sales_order_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("sales_orders.id", ondelete="CASCADE"), index=True)
    line_no: Mapped[int] = mapped_column(Integer, default=1)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), index=True)
    notes: Mapped[str | None] = mapped_column(String(500))
    shipped_qty: Mapped[Decimal] = mapped_column(Qty(), default=ZERO)
    invoiced_qty: Mapped[Decimal] = mapped_column(Qty(), default=ZERO)
    returned_qty: Mapped[Decimal] = mapped_column(Qty(), default=ZERO)

    order: Mapped[SalesOrder] = relationship(back_populates="lines")
    product = relationship("Product", lazy="joined")

    @property
    def remaining_qty(self) -> Decimal:
        return self.quantity - self.shipped_qty


class Shipment(TimestampMixin, Base):
    """A posted shipment (出库单/发货单): its lines are outgoing ledger moves; never edited."""

    __tablename__ = "shipments"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True, index=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("sales_orders.id"), index=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouses.id"), index=True)
    shipped_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    shipped_at: Mapped[datetime] = mapped_column(default=utcnow)
    op_id: Mapped[str | None] = mapped_column(String(64), index=True)
    notes: Mapped[str | None] = mapped_column(Text)
    cost_total: Mapped[Decimal] = mapped_column(Money(), info=COST, default=ZERO)  # cost of goods shipped

    order = relationship("SalesOrder", lazy="joined")
    lines: Mapped[list[ShipmentLine]] = relationship(
        back_populates="shipment", lazy="selectin", order_by="ShipmentLine.id", cascade="all, delete-orphan")


class ShipmentLine(Base):
    __tablename__ = "shipment_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    shipment_id: Mapped[int] = mapped_column(ForeignKey("shipments.id", ondelete="CASCADE"), index=True)
    order_line_id: Mapped[int] = mapped_column(ForeignKey("sales_order_lines.id"), index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"))
    location_id: Mapped[int | None] = mapped_column(ForeignKey("locations.id"))
    quantity: Mapped[Decimal] = mapped_column(Qty())
    unit_cost: Mapped[Decimal] = mapped_column(Money(), info=COST, default=ZERO)  # average cost at shipping time
    cost: Mapped[Decimal] = mapped_column(Money(), info=COST, default=ZERO)  # = −(move value)
    returned_qty: Mapped[Decimal] = mapped_column(Qty(), default=ZERO)
    move_id: Mapped[int | None] = mapped_column(ForeignKey("stock_moves.id"))

    shipment: Mapped[Shipment] = relationship(back_populates="lines")
    order_line = relationship("SalesOrderLine", lazy="joined")
    product = relationship("Product", lazy="joined")


class Invoice(MoneyDocMixin, TimestampMixin, Base):
    """A sales invoice (开票) for shipped quantities; its total is a receivable."""

    __tablename__ = "invoices"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True, index=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("sales_orders.id"), index=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    status: Mapped[str] = mapped_column(String(20), default="issued")
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    issued_at: Mapped[datetime] = mapped_column(default=utcnow)
    invoice_date: Mapped[date] = mapped_column(Date)
    due_date: Mapped[date | None] = mapped_column(Date)
    notes: Mapped[str | None] = mapped_column(Text)

    order = relationship("SalesOrder", lazy="joined")
    customer = relationship("Customer", lazy="joined")
    lines: Mapped[list[InvoiceLine]] = relationship(
        back_populates="invoice", lazy="selectin", order_by="InvoiceLine.id", cascade="all, delete-orphan")


class InvoiceLine(MoneyLineMixin, Base):
    __tablename__ = "invoice_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoices.id", ondelete="CASCADE"), index=True)
    order_line_id: Mapped[int] = mapped_column(ForeignKey("sales_order_lines.id"), index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"))

    invoice: Mapped[Invoice] = relationship(back_populates="lines")
    product = relationship("Product", lazy="joined")


class SalesReturn(TimestampMixin, Base):
    """Goods taken back (销售退货): incoming moves at the shipment's original cost, plus a credit note."""

    __tablename__ = "sales_returns"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True, index=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("sales_orders.id"), index=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouses.id"), index=True)
    reason: Mapped[str | None] = mapped_column(Text)
    returned_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    returned_at: Mapped[datetime] = mapped_column(default=utcnow)
    op_id: Mapped[str | None] = mapped_column(String(64), index=True)
    cost_total: Mapped[Decimal] = mapped_column(Money(), info=COST, default=ZERO)

    lines: Mapped[list[SalesReturnLine]] = relationship(
        back_populates="sales_return", lazy="selectin", order_by="SalesReturnLine.id", cascade="all, delete-orphan")
    credit_note = relationship("CreditNote", back_populates="sales_return", uselist=False, lazy="selectin")


class SalesReturnLine(Base):
    __tablename__ = "sales_return_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    return_id: Mapped[int] = mapped_column(ForeignKey("sales_returns.id", ondelete="CASCADE"), index=True)
    shipment_line_id: Mapped[int] = mapped_column(ForeignKey("shipment_lines.id"), index=True)
    order_line_id: Mapped[int] = mapped_column(ForeignKey("sales_order_lines.id"))
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"))
    quantity: Mapped[Decimal] = mapped_column(Qty())
    unit_cost: Mapped[Decimal] = mapped_column(Money(), info=COST)  # the shipment line's original cost
    cost: Mapped[Decimal] = mapped_column(Money(), info=COST, default=ZERO)
    move_id: Mapped[int | None] = mapped_column(ForeignKey("stock_moves.id"))

    sales_return: Mapped[SalesReturn] = relationship(back_populates="lines")
    product = relationship("Product", lazy="joined")


class CreditNote(MoneyDocMixin, TimestampMixin, Base):
    """Credit note (红字发票/贷项通知单) for returned goods: reduces what the customer owes."""

    __tablename__ = "credit_notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True, index=True)
    return_id: Mapped[int | None] = mapped_column(ForeignKey("sales_returns.id"), unique=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("sales_orders.id"), index=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    issued_at: Mapped[datetime] = mapped_column(default=utcnow)
    credit_date: Mapped[date] = mapped_column(Date)

    sales_return = relationship("SalesReturn", back_populates="credit_note")
    customer = relationship("Customer", lazy="joined")
    lines: Mapped[list[CreditNoteLine]] = relationship(
        back_populates="credit_note", lazy="selectin", order_by="CreditNoteLine.id", cascade="all, delete-orphan")


class CreditNoteLine(MoneyLineMixin, Base):
    __tablename__ = "credit_note_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    credit_note_id: Mapped[int] = mapped_column(ForeignKey("credit_notes.id", ondelete="CASCADE"), index=True)
    order_line_id: Mapped[int] = mapped_column(ForeignKey("sales_order_lines.id"))
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"))

    credit_note: Mapped[CreditNote] = relationship(back_populates="lines")
    product = relationship("Product", lazy="joined")


Index("ix_sales_orders_status_wh", SalesOrder.status, SalesOrder.warehouse_id)
