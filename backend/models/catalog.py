"""Products and their barcodes."""
from __future__ import annotations

from decimal import Decimal

from sqlalchemy import Boolean, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from backend.models.base import COST, Base, Money, Qty, TimestampMixin, VersionedMixin

SYMBOLOGIES = ("ean13", "ean8", "upca", "upce", "code128", "code39", "code93", "itf", "codabar", "qr",
               "datamatrix", "other")
BARCODE_KINDS = ("internal", "manufacturer", "supplier", "pack")


class Product(VersionedMixin, TimestampMixin, Base):
    __tablename__ = "products"

    id: Mapped[int] = mapped_column(primary_key=True)
    sku: Mapped[str] = mapped_column(String(64), unique=True, index=True)
    name: Mapped[str] = mapped_column(String(200), index=True)
    name_en: Mapped[str | None] = mapped_column(String(200))
    model: Mapped[str | None] = mapped_column(String(100))  # 型号
    spec: Mapped[str | None] = mapped_column(String(200))  # 规格
    unit: Mapped[str] = mapped_column(String(20), default="pcs")
    category: Mapped[str | None] = mapped_column(String(100), index=True)
    purchase_price: Mapped[Decimal] = mapped_column(Money(), info=COST, default=Decimal(0))
    sale_price: Mapped[Decimal] = mapped_column(Money(), default=Decimal(0))
    tax_rate: Mapped[Decimal] = mapped_column(Qty(), default=Decimal("0.13"))
    reorder_point: Mapped[Decimal] = mapped_column(Qty(), default=Decimal(0))
    reorder_qty: Mapped[Decimal] = mapped_column(Qty(), default=Decimal(0))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True, index=True)
    notes: Mapped[str | None] = mapped_column(Text)

    barcodes: Mapped[list[Barcode]] = relationship(
        back_populates="product", lazy="selectin", order_by="Barcode.id", cascade="all, delete-orphan")


class Barcode(Base):
    """A code that identifies a product; a pack barcode counts as ``quantity`` units."""

    __tablename__ = "barcodes"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(128), unique=True, index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"), index=True)
    symbology: Mapped[str] = mapped_column(String(20), default="ean13")
    quantity: Mapped[Decimal] = mapped_column(Qty(), default=Decimal(1))
    kind: Mapped[str] = mapped_column(String(20), default="internal")
    supplier_id: Mapped[int | None] = mapped_column(ForeignKey("suppliers.id", ondelete="SET NULL"))
    product: Mapped[Product] = relationship(back_populates="barcodes")


class Counter(Base):
    """Named counters for generated numbers (internal EAN-13, document numbers)."""

    __tablename__ = "counters"
    __audit__ = False

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[int] = mapped_column(default=0)


Index("ix_products_active_category", Product.is_active, Product.category)
