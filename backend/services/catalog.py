"""Products and barcodes."""
from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from backend.domain.barcodes import equivalent_codes, internal_ean13, validate_code
from backend.domain.gs1 import gs1_gtin
from backend.errors import Conflict, NotFound, ValidationFailed
from backend.extensions import db
from backend.models.catalog import Barcode, Product
from backend.services import crud, quantities
from backend.services.numbering import next_value
from backend.services.uow import command

PRODUCT_UNIQUE = ("sku",)


def _new_internal_code() -> str:
    while True:
        code = internal_ean13(next_value("internal_ean13"))
        if db.session.scalar(select(Barcode.id).where(Barcode.code == code)) is None:
            return code


def barcode_values(spec: dict) -> dict:
    """The columns of a new barcode from a spec, validated (``add_barcode`` and its batch planner in
    backend/sync/ops/catalog.py)."""
    code = (spec.get("code") or "").strip()
    symbology = spec.get("symbology") or ("ean13" if code.isdigit() and len(code) == 13 else "code128")
    err = validate_code(code, symbology)
    if err:
        raise ValidationFailed(err, errors={"code": [err]})
    qty = Decimal(spec.get("quantity") or 1)
    if qty <= 0:
        raise ValidationFailed("Pack quantity must be positive.", errors={"quantity": ["Must be > 0."]})
    quantities.ensure(qty)
    kind = spec.get("kind") or ("pack" if qty != 1 else "manufacturer")
    return {"code": code, "symbology": symbology, "quantity": qty, "kind": kind, "supplier_id": spec.get("supplier_id")}


def duplicate_code(code: str, owner_id: int) -> Conflict:
    return Conflict(f"Barcode {code} already belongs to product {owner_id}.", zh=f"条码 {code} 已属于商品 {owner_id}。", code="duplicate",
                    errors={"code": ["Already assigned."], "product_id": owner_id})


def _add_barcode(product: Product, spec: dict) -> Barcode:
    values = barcode_values(spec)
    other = db.session.scalar(select(Barcode).where(Barcode.code == values["code"]))
    if other is not None:
        raise duplicate_code(values["code"], other.product_id)
    bc = Barcode(**values)
    product.barcodes.append(bc)
    return bc


def _generated(spec: dict) -> dict:
    """``generate: true`` → a new internal EAN-13 (on create as on add)."""
    if not spec.get("generate"):
        return spec
    return {**spec, "code": _new_internal_code(), "symbology": "ean13", "kind": spec.get("kind") or "internal"}


@command
def create_product(data: dict) -> Product:
    """Create a product; without a barcode it gets an internal EAN-13 (prefix 20)."""
    data = dict(data)
    barcodes = data.pop("barcodes", None) or []
    _check_reorder(data, data.get("unit"))
    crud._check_unique(Product, None, data, PRODUCT_UNIQUE)
    product = Product(**data)
    db.session.add(product)
    for spec in barcodes:
        _add_barcode(product, _generated(spec))
    if not barcodes:
        product.barcodes.append(Barcode(code=_new_internal_code(), symbology="ean13", quantity=Decimal(1),
                                        kind="internal"))
    crud._flush()
    return product


@command
def add_barcode(product_id: int, spec: dict) -> Barcode:
    """Assign another barcode (supplier code, pack code …) to a product."""
    product = crud.get_or_404(Product, product_id, "Product")
    bc = _add_barcode(product, _generated(spec))
    crud._flush()
    return bc


@command
def remove_barcode(product_id: int, barcode_id: int) -> None:
    bc = db.session.get(Barcode, barcode_id)
    if bc is None or bc.product_id != product_id:
        raise NotFound("Barcode not found.")
    db.session.delete(bc)


def _check_reorder(data: dict, unit: str | None) -> None:
    """Reorder point and quantity are line quantities too (they become purchase-order lines)."""
    for f in ("reorder_point", "reorder_qty"):
        if data.get(f) is not None:
            quantities.ensure(data[f], unit, f)


@command
def update_product(product_id: int, version: int, data: dict) -> Product:
    if data.get("reorder_point") is not None or data.get("reorder_qty") is not None:
        _check_reorder(data, data.get("unit") or crud.get_or_404(Product, product_id, "Product").unit)
    return crud.update(Product, product_id, version, data, PRODUCT_UNIQUE)


def resolve_barcode(code: str) -> tuple[Product, Decimal] | None:
    """A scanned code → (product, units per scan), or None.

    A UPC-A scanned as EAN-13 with a leading 0 (and the reverse) resolves to the same product.
    """
    bc = find_barcode(code)
    return None if bc is None else (bc.product, bc.quantity)


def find_barcode(code: str) -> Barcode | None:
    """The barcode row a scanned code resolves to (trimmed; UPC-A/EAN-13/GTIN-14 leading-zero forms), or
    None. A code stored as typed wins; else a GS1 element string (``(01)…(10)…``, raw, Digital Link)
    resolves by its GTIN (AI 01). One statement brings the product and its barcodes too (a scan answer
    shows them)."""
    bc = _barcode_with_product(equivalent_codes(code))
    if bc is None and (gtin := gs1_gtin(code)) is not None:
        bc = _barcode_with_product(equivalent_codes(gtin))
    return bc


def _barcode_with_product(codes) -> Barcode | None:
    found = db.session.scalars(select(Barcode).where(Barcode.code.in_(codes))
                               .options(joinedload(Barcode.product).joinedload(Product.barcodes))
                               .order_by(Barcode.id)).unique().all()
    return found[0] if found else None


