"""Products, read side: the list search, categories, stock per warehouse and barcode resolution.

Writes (create, update, barcodes) are in ``services.catalog``; the views in ``api/products.py`` call these.
"""
from __future__ import annotations

from sqlalchemy import distinct, func, or_, select

from backend.domain.gs1 import MAX_GS1_LEN, looks_like_gs1, parse_gs1
from backend.errors import NotFound, ValidationFailed
from backend.extensions import db
from backend.models.catalog import Barcode, Product
from backend.services import catalog
from backend.services.access import visible_warehouses
from backend.services.crud import get_or_404
from backend.services.ledger import on_hand_by_warehouse


def filter_products(stmt, args: dict):
    """The product list's filters: ``category``; ``q`` matches sku, name, English name or model (substring,
    any case) and any barcode by prefix."""
    if args.get("category"):
        stmt = stmt.where(Product.category == args["category"])
    if args.get("q"):
        like = f"%{args['q'].strip().lower()}%"
        sub = select(Barcode.product_id).where(Barcode.code.like(f"{args['q'].strip()}%"))
        stmt = stmt.where(or_(Product.id.in_(sub), Product.id.in_(
            select(Product.id).where(func.lower(Product.name).like(like) | func.lower(Product.sku).like(like)
                                     | func.lower(func.coalesce(Product.name_en, "")).like(like)
                                     | func.lower(func.coalesce(Product.model, "")).like(like)))))
    return stmt


def categories() -> list[str]:
    """Distinct product categories, sorted."""
    return list(db.session.scalars(select(distinct(Product.category)).where(Product.category.is_not(None))
                                   .order_by(Product.category)))


def stock_by_warehouse(product_id: int, user) -> list[dict]:
    """On-hand, average cost and value of a product in each warehouse the user may see."""
    return on_hand_by_warehouse(product_id, visible_warehouses(user))


def barcodes_of(product_id: int) -> list[Barcode]:
    return get_or_404(Product, product_id, "Product").barcodes


def resolve_barcode(code: str) -> dict:
    """A scanned code → its product and pack quantity, and ``gs1`` (the parsed fields when the code is a GS1
    element string: GTIN, lot, expiry, serial, quantity, net weight …, else None).

    404 ``unknown_barcode`` when no product has it; 422 ``invalid_gs1`` for a string marked as GS1
    (brackets, symbology identifier, GS separator) that does not parse (a damaged check digit, a date that
    cannot be) — nothing is guessed from it; 422 ``code_too_long`` above ``MAX_GS1_LEN`` characters."""
    if len(code) > MAX_GS1_LEN:
        raise ValidationFailed(f"A barcode has at most {MAX_GS1_LEN} characters.",
                               zh=f"条码最多 {MAX_GS1_LEN} 个字符。", code="code_too_long",
                               errors={"code": [f"At most {MAX_GS1_LEN} characters."]})
    gs1 = parse_gs1(code)
    bc = catalog.find_barcode(code)
    if bc is None and gs1 is None and looks_like_gs1(code):
        raise ValidationFailed("Not a valid GS1 element string (check digit, date or structure).",
                               zh="不是有效的 GS1 元素串（校验位、日期或结构有误）。", code="invalid_gs1",
                               errors={"code": code[:128]})
    if bc is None:
        raise NotFound(f"No product has barcode {code}.", zh=f"没有商品使用条码 {code}。", code="unknown_barcode",
                       errors={"code": code, "gs1": gs1})
    return {"code": bc.code, "quantity": bc.quantity, "symbology": bc.symbology, "product": bc.product,
            "gs1": gs1}
