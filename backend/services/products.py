"""Products, read side: the list search, categories, stock per warehouse and barcode resolution.

Writes (create, update, barcodes) are in ``services.catalog``; the views in ``api/products.py`` call these.
"""
from __future__ import annotations

from sqlalchemy import distinct, func, or_, select

from backend.errors import NotFound
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
    """A scanned code → its product and pack quantity; 404 ``unknown_barcode`` when no product has it."""
    bc = catalog.find_barcode(code)
    if bc is None:
        raise NotFound(f"No product has barcode {code}.", zh=f"没有商品使用条码 {code}。", code="unknown_barcode",
                       errors={"code": code})
    return {"code": bc.code, "quantity": bc.quantity, "symbology": bc.symbology, "product": bc.product}
