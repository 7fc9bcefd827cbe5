"""The lines of a stocktake: per product the summed counts, the book quantity AT the (latest)
``counted_at``, the variance and its value, and the movement since the first count (flagged lines), plus
the products in scope with stock that nobody counted. Read-only; ``backend.services.stocktakes`` writes
them (submit), refreshes them (approve) and reports them (variance report)."""
from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import func, or_, select

from backend.domain import costing
from backend.extensions import db
from backend.models.base import utcnow
from backend.models.catalog import Product
from backend.models.inventory import Stocktake
from backend.models.ledger import StockLevel, StockMove
from backend.services import ledger
from backend.services.stock import Q

DOC = "stocktake"


def book_at(st: Stocktake, product_id: int, at: datetime) -> Decimal:
    if st.location_id is None:
        return ledger.quantity_at(product_id, st.warehouse_id, at)
    total = db.session.scalar(select(func.coalesce(func.sum(StockMove.quantity), 0)).where(
        StockMove.product_id == product_id, StockMove.warehouse_id == st.warehouse_id,
        StockMove.location_id == st.location_id, StockMove.created_at <= at))
    return Decimal(total).quantize(Q)


def book_now(st: Stocktake, product_id: int) -> Decimal:
    if st.location_id is None:
        return ledger.on_hand(product_id, st.warehouse_id)
    return book_at(st, product_id, utcnow() + timedelta(days=3650))


def moved_since(st: Stocktake, product_id: int, since: datetime) -> tuple[int, Decimal]:
    """Moves of the product in the warehouse after ``since`` that this stocktake did not post."""
    stmt = select(func.count(), func.coalesce(func.sum(StockMove.quantity), 0)).where(
        StockMove.product_id == product_id, StockMove.warehouse_id == st.warehouse_id,
        StockMove.created_at > since,
        # NULL-safe "not posted by this stocktake" (NOT (NULL AND …) would drop moves without a document)
        or_(StockMove.doc_type.is_(None), StockMove.doc_type != DOC, StockMove.doc_id != st.id))
    if st.location_id is not None:
        stmt = stmt.where(StockMove.location_id == st.location_id)
    n, q = db.session.execute(stmt).one()
    return int(n), Decimal(q).quantize(Q)


def unit_cost(st: Stocktake, product: Product) -> Decimal:
    lvl = ledger.level(product.id, st.warehouse_id)
    return lvl.avg_cost if lvl is not None and lvl.quantity > 0 else product.purchase_price


def scope_products_with_stock(st: Stocktake) -> list[int]:
    if st.location_id is None:
        stmt = (select(StockLevel.product_id).join(Product, Product.id == StockLevel.product_id)
                .where(StockLevel.warehouse_id == st.warehouse_id, StockLevel.quantity != 0))
    else:
        stmt = (select(StockMove.product_id).join(Product, Product.id == StockMove.product_id)
                .where(StockMove.warehouse_id == st.warehouse_id, StockMove.location_id == st.location_id)
                .group_by(StockMove.product_id).having(func.sum(StockMove.quantity) != 0))
    if st.category:
        stmt = stmt.where(Product.category == st.category)
    return list(db.session.scalars(stmt))


def compute_lines(st: Stocktake) -> list[dict]:
    """Per product: summed active counts, book at the latest counted_at, variance, value, movement flags."""
    per: dict[int, dict] = {}
    for c in st.counts:
        if not c.active:
            continue
        d = per.setdefault(c.product_id, {"qty": Decimal(0), "first": c.counted_at, "last": c.counted_at,
                                          "suspect": False})
        d["qty"] += c.quantity
        d["suspect"] = d["suspect"] or bool(c.clock_suspect)
        d["first"], d["last"] = min(d["first"], c.counted_at), max(d["last"], c.counted_at)
    out = []
    for pid, d in sorted(per.items()):
        product = db.session.get(Product, pid)
        book = book_at(st, pid, d["last"])
        n_moves, moved = moved_since(st, pid, d["first"])
        cost = unit_cost(st, product)
        variance = d["qty"] - book
        out.append({"product_id": pid, "counted": True, "counted_qty": d["qty"], "first_counted_at": d["first"],
                    "counted_at": d["last"], "book_qty": book, "variance": variance, "unit_cost": cost,
                    "variance_value": costing.q4(variance * cost), "moved_after_count": moved,
                    "flagged": n_moves > 0, "clock_suspect": d["suspect"]})
    for pid in scope_products_with_stock(st):
        if pid in per:
            continue
        product = db.session.get(Product, pid)
        out.append({"product_id": pid, "counted": False, "counted_qty": None, "first_counted_at": None,
                    "counted_at": None, "book_qty": book_now(st, pid), "variance": Decimal(0),
                    "unit_cost": unit_cost(st, product), "variance_value": Decimal(0),
                    "moved_after_count": Decimal(0), "flagged": False, "clock_suspect": False})
    return out


def refresh(st: Stocktake, ln: Any) -> None:
    """Re-read book at counted_at (a move back-dated by sync counts too) and the movement since the count.

    ``ln`` is a StocktakeLine or a dict copy of one (for the read-only report).
    """
    get = (lambda k: ln[k]) if isinstance(ln, dict) else (lambda k: getattr(ln, k))
    put = ln.__setitem__ if isinstance(ln, dict) else (lambda k, v: setattr(ln, k, v))
    if not get("counted") or get("first_counted_at") is None:
        return
    book = book_at(st, get("product_id"), get("counted_at"))
    variance = get("counted_qty") - book
    n, moved = moved_since(st, get("product_id"), get("first_counted_at"))
    put("book_qty", book)
    put("variance", variance)
    put("variance_value", costing.q4(variance * get("unit_cost")))
    put("moved_after_count", moved)
    put("flagged", n > 0)
