"""Stocktakes (盘点) that tolerate moving stock: blind counts, variance against the book AT counted_at.

Rules (see docs/inventory.md): counts of a (product, location) add up, or a ``replace`` count supersedes the
earlier ones; the variance is counted − book quantity at the (latest) ``counted_at``; approval posts
adjustment moves of the variance (never an overwrite with the raw count), so receipts and shipments
between the count and the approval are kept. Lines whose stock moved after their first count are flagged;
the manager keeps the counted difference (default) or sends them back to recount. Products in scope with
stock that nobody counted are reported; ``zero_uncounted`` zeroes them explicitly.

The lines (book at counted_at, variance, movement since the count) are computed by
``backend.services.stocktake_lines``.

Stable service API (online API and offline sync ops call the same functions)::

    open_stocktake(data, user, op_id=None) -> Stocktake      # data = {warehouse_id, location_id?, category?, note?}
    record_count(stocktake_id, product_id, location_id, quantity, counted_at, user, mode="add"|"replace",
                 op_id=None) -> StocktakeCount               # a repeated op_id returns the earlier count
    submit_stocktake(stocktake_id, version, user) -> Stocktake
    recount_stocktake(stocktake_id, version, product_ids, user, comment=None) -> Stocktake
    approve_stocktake(stocktake_id, version, user, zero_uncounted=False, comment=None, op_id=None) -> Stocktake
    cancel_stocktake(stocktake_id, version, user) -> Stocktake
    variance_report(stocktake_id, user) -> dict
    get_stocktake(stocktake_id, user) / list_stocktakes(args, user)
"""
from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from flask import current_app, has_app_context
from sqlalchemy import or_, select

from backend.domain import costing
from backend.domain.flows import STOCKTAKE_FLOW
from backend.errors import Conflict, ValidationFailed, check_version
from backend.extensions import db
from backend.models.base import utcnow
from backend.models.catalog import Product
from backend.models.inventory import (
    COUNT_MODES,
    Stocktake,
    StocktakeCount,
    StocktakeLine,
)
from backend.models.ledger import StockLevel
from backend.models.warehouses import Location, Warehouse
from backend.services import approvals, crud, ledger, numbering, quantities, stocktake_lines
from backend.services.access import ensure_warehouse, lock, require, visible_warehouses
from backend.services.audit import audit_action
from backend.services.ledger import MoveSpec
from backend.services.stock import get_active_warehouse, get_product
from backend.services.uow import command

DOC = stocktake_lines.DOC
CLOCK_SKEW = timedelta(minutes=5)
OPEN_STATUSES = STOCKTAKE_FLOW.group("open")


def max_count_skew() -> timedelta:
    """How far before its arrival a count may be dated without being flagged ``clock_suspect``."""
    minutes = current_app.config.get("STOCKTAKE_COUNT_MAX_SKEW_MINUTES", 60) if has_app_context() else 60
    return timedelta(minutes=float(minutes))


def _overlapping(wh_id: int, location_id: int | None, category: str | None) -> Stocktake | None:
    """An open stocktake of the warehouse whose scope shares products with this one: both whole-warehouse or
    the same location (or either one whole-warehouse), and the same category (or either one all)."""
    stmt = select(Stocktake).where(Stocktake.warehouse_id == wh_id, Stocktake.status.in_(OPEN_STATUSES))
    if location_id is not None:
        stmt = stmt.where(or_(Stocktake.location_id.is_(None), Stocktake.location_id == location_id))
    if category is not None:
        stmt = stmt.where(or_(Stocktake.category.is_(None), Stocktake.category == category))
    return db.session.scalars(stmt.order_by(Stocktake.id).limit(1)).first()


def _uid(user):
    return user.id if user is not None else None


@command
def open_stocktake(data: dict, user, op_id: str | None = None) -> Stocktake:
    """Open a stocktake for a warehouse, optionally one location or one category. No freeze needed."""
    require(user, "stocktake.create")
    wh = get_active_warehouse(data["warehouse_id"])
    ensure_warehouse(user, wh.id)
    loc_id = data.get("location_id")
    if loc_id is not None:
        loc = db.session.get(Location, loc_id)
        if loc is None or loc.warehouse_id != wh.id:
            raise ValidationFailed("Not a location of this warehouse.", errors={"location_id": ["Unknown."]})
    # Two open stocktakes over the same products would both post their variance (150 on hand, both count
    # 147: stock ends at 144). The warehouse row lock serialises concurrent opens (SQLite: the write lock).
    lock(Warehouse, wh.id, "Warehouse")
    other = _overlapping(wh.id, loc_id, data.get("category"))
    if other is not None:
        raise Conflict(f"Stocktake {other.number} is still open for the same warehouse and products; approve "
                       "or cancel it first.",
                       zh=f"盘点单 {other.number} 仍在进行中，且与本次盘点的仓库和商品范围重叠；请先审核或取消该盘点单。",
                       code="stocktake_overlap",
                       errors={"stocktake_id": other.id, "number": other.number, "status": other.status,
                               "location_id": other.location_id, "category": other.category})
    st = Stocktake(number=numbering.document_number("ST"), warehouse_id=wh.id, location_id=loc_id,
                   category=data.get("category"), note=data.get("note"), status="counting",
                   opened_by_id=_uid(user), approval_level=0)
    db.session.add(st)
    db.session.flush()
    return st


def get_stocktake(stocktake_id: int, user) -> Stocktake:
    st = crud.get_or_404(Stocktake, stocktake_id, "Stocktake")
    ensure_warehouse(user, st.warehouse_id)
    return st


def _aware(dt: datetime | None) -> datetime:
    if dt is None:
        return utcnow()
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)


@command
def record_count(stocktake_id: int, product_id: int, location_id: int | None, quantity, counted_at, user,
                 mode: str = "add", op_id: str | None = None) -> StocktakeCount:
    """Record what a counter saw and when. Several counters may count at once (no version needed)."""
    require(user, "stocktake.count")
    if op_id:
        done = db.session.scalar(select(StocktakeCount).where(StocktakeCount.op_id == op_id))
        if done is not None:
            return done
    st = lock(Stocktake, stocktake_id, "Stocktake")  # serialises counts of one stocktake (replace is safe)
    location_id, at, product = check_count(st, product_id, location_id, quantity, counted_at, user, mode,
                                           get_product, lambda i: db.session.get(Location, i), utcnow())
    if mode == "replace":
        for c in st.counts:
            if c.active and c.product_id == product.id and c.location_id == location_id:
                c.active = False
    count = StocktakeCount(**count_values(st, product.id, location_id, quantity, mode, at, user, op_id, utcnow()))
    st.counts.append(count)
    db.session.flush()
    return count


def count_values(st: Stocktake, product_id: int, location_id: int | None, quantity, mode: str, at: datetime, user,
                 op_id: str | None, now: datetime) -> dict:
    """The columns of a new count (``record_count`` and its batch planner in backend/sync/ops/stocktakes.py)."""
    return {"stocktake_id": st.id, "product_id": product_id, "location_id": location_id,
            "quantity": Decimal(quantity), "mode": mode, "counted_at": at, "counted_by_id": _uid(user),
            "active": True, "op_id": op_id, "received_at": now, "clock_suspect": now - at > max_count_skew()}


def check_count(st: Stocktake, product_id: int, location_id: int | None, quantity, counted_at, user, mode: str,
                product_getter, location_getter, now: datetime):
    """The rules of a count (shared by ``record_count`` and its batch planner): returns
    (location_id, counted_at clamped to now, product)."""
    ensure_warehouse(user, st.warehouse_id)
    STOCKTAKE_FLOW.next(st.status, "count")
    if mode not in COUNT_MODES:
        raise ValidationFailed("Unknown mode.", errors={"mode": ["One of: add, replace"]})
    qty = Decimal(quantity)
    if qty < 0:
        raise ValidationFailed("A count cannot be negative.", errors={"quantity": [">= 0"]})
    product = product_getter(product_id)
    quantities.ensure(qty, getattr(product, "unit", None))
    if st.category and product.category != st.category:
        raise ValidationFailed("The product is not in this stocktake's category.", code="out_of_scope",
                               errors={"product_id": [f"Category is not {st.category}."]})
    if st.location_id is not None:
        if location_id not in (None, st.location_id):
            raise ValidationFailed("This stocktake covers one location only.", code="out_of_scope",
                                   errors={"location_id": [f"Must be {st.location_id}."]})
        location_id = st.location_id
    elif location_id is not None:
        loc = location_getter(location_id)
        if loc is None or loc.warehouse_id != st.warehouse_id:
            raise ValidationFailed("Not a location of this warehouse.", errors={"location_id": ["Unknown."]})
    at = _aware(counted_at)
    if at > now + CLOCK_SKEW:
        raise ValidationFailed("counted_at is in the future.", errors={"counted_at": ["In the future."]})
    # A count dated before the stocktake opened would be compared with the book of that old time (a phone
    # with a wrong clock posts phantom gains). A few minutes of clock difference are tolerated (clamped).
    opened = _aware(st.created_at)
    if at < opened - CLOCK_SKEW:
        raise ValidationFailed(
            f"counted_at ({at.isoformat()}) is before stocktake {st.number} was opened ({opened.isoformat()}); "
            "check the device's clock and count again.",
            zh=f"盘点时间（{at.isoformat()}）早于盘点单 {st.number} 的开单时间（{opened.isoformat()}）；请检查设备时钟后重新盘点。",
            code="counted_before_open",
            errors={"counted_at": ["Before the stocktake was opened."], "opened_at": opened.isoformat()})
    return location_id, min(max(at, opened), now), product


def _load(stocktake_id: int, version: int, user, action: str) -> Stocktake:
    st = lock(Stocktake, stocktake_id, "Stocktake")
    ensure_warehouse(user, st.warehouse_id)
    check_version(st, version)
    STOCKTAKE_FLOW.next(st.status, action)
    return st


@command
def submit_stocktake(stocktake_id: int, version: int, user) -> Stocktake:
    """Close counting: compute the lines (variance at counted_at) and the uncounted products."""
    require(user, "stocktake.count")
    st = _load(stocktake_id, version, user, "submit")
    if not any(c.active for c in st.counts):
        raise ValidationFailed("Nothing has been counted yet.", code="nothing_counted", errors={"counts": ["Empty."]})
    st.lines.clear()
    db.session.flush()
    for d in stocktake_lines.compute_lines(st):
        st.lines.append(StocktakeLine(stocktake_id=st.id, **d))
    st.status = STOCKTAKE_FLOW.next(st.status, "submit")
    st.submitted_by_id, st.submitted_at = _uid(user), utcnow()
    audit_action(st, "submit")
    db.session.flush()
    return st


@command
def recount_stocktake(stocktake_id: int, version: int, product_ids: list[int], user,
                      comment: str | None = None) -> Stocktake:
    """Send the stocktake back to counting; the counts of ``product_ids`` must be taken again."""
    require(user, "stocktake.approve")
    st = _load(stocktake_id, version, user, "recount")
    wanted = set(product_ids or [])
    for c in st.counts:
        if c.product_id in wanted:
            c.active = False
    st.lines.clear()
    st.status = STOCKTAKE_FLOW.next(st.status, "recount")
    audit_action(st, "recount", product_ids=sorted(wanted), comment=comment)
    db.session.flush()
    return st


@command
def approve_stocktake(stocktake_id: int, version: int, user, zero_uncounted: bool = False,
                      comment: str | None = None, op_id: str | None = None) -> Stocktake:
    """Post the variance of every counted line as a stocktake move (and zero uncounted ones if asked)."""
    require(user, "stocktake.approve")
    st = _load(stocktake_id, version, user, "approve")
    amount = sum((abs(ln.variance_value) for ln in st.lines), Decimal(0))
    _, done = approvals.record(user, DOC, st, amount, "approve", comment)
    audit_action(st, "approve", comment=comment, zero_uncounted=zero_uncounted)
    if not done:
        db.session.flush()
        return st
    for ln in st.lines:
        stocktake_lines.refresh(st, ln)
    specs = []
    for ln in st.lines:
        if ln.counted:
            qty = ln.variance
        elif zero_uncounted:
            # lock the level first so that the on-hand we zero is the one we post against
            if st.location_id is None:
                db.session.execute(select(StockLevel.quantity).where(StockLevel.product_id == ln.product_id,
                                                                     StockLevel.warehouse_id == st.warehouse_id)
                                   .with_for_update())  # columns only: no eager outer join under FOR UPDATE
            qty = -stocktake_lines.book_now(st, ln.product_id)
            ln.variance, ln.variance_value = qty, costing.q4(qty * ln.unit_cost)
        else:
            continue
        ln.posted_qty = qty
        if qty != 0:
            specs.append(MoveSpec(ln.product_id, st.warehouse_id, qty, "stocktake", location_id=st.location_id,
                                  reason="uncounted_zeroed" if not ln.counted else "count",
                                  doc_type=DOC, doc_id=st.id, doc_line_id=ln.id, op_id=op_id))
    moves = ledger.post(specs)
    by_line = {m.doc_line_id: m for m in moves}
    for ln in st.lines:
        if ln.id in by_line:
            ln.move_id = by_line[ln.id].id
    st.status = STOCKTAKE_FLOW.next(st.status, "approve")
    st.zeroed_uncounted = bool(zero_uncounted)
    st.approved_by_id, st.approved_at = _uid(user), utcnow()
    db.session.flush()
    return st


@command
def cancel_stocktake(stocktake_id: int, version: int, user) -> Stocktake:
    require(user, "stocktake.create")
    st = _load(stocktake_id, version, user, "cancel")
    st.status = STOCKTAKE_FLOW.next(st.status, "cancel")
    audit_action(st, "cancel")
    db.session.flush()
    return st


def variance_report(stocktake_id: int, user) -> dict:
    """Lines with book, counted, variance and value; totals; uncounted products (a preview while counting)."""
    require(user, "stocktake.approve")
    st = get_stocktake(stocktake_id, user)
    if st.lines:
        rows = [{c.key: getattr(ln, c.key) for c in StocktakeLine.__table__.columns} for ln in st.lines]
        if st.status == "submitted":  # flags and book are a live view until approval
            for r in rows:
                stocktake_lines.refresh(st, r)
    else:
        rows = stocktake_lines.compute_lines(st)
    for r in rows:
        p = db.session.get(Product, r["product_id"])
        r.update(sku=p.sku, name=p.name, name_en=p.name_en, unit=p.unit)
    counted = [r for r in rows if r["counted"]]
    gain = sum((r["variance_value"] for r in rows if r["variance_value"] > 0), Decimal(0))
    loss = sum((r["variance_value"] for r in rows if r["variance_value"] < 0), Decimal(0))
    return {"stocktake_id": st.id, "number": st.number, "status": st.status, "lines": counted,
            "uncounted": [r for r in rows if not r["counted"]],
            "flagged": sum(1 for r in counted if r["flagged"]),
            "clock_suspect": sum(1 for r in counted if r.get("clock_suspect")),
            "gain_value": gain, "loss_value": loss, "net_value": gain + loss}


def list_stocktakes(args: dict, user) -> dict:
    stmt = select(Stocktake)
    ids = visible_warehouses(user)
    if ids is not None:
        stmt = stmt.where(Stocktake.warehouse_id.in_(ids))
    for f in ("warehouse_id", "status"):
        if args.get(f):
            stmt = stmt.where(getattr(Stocktake, f) == args[f])
    stmt = stmt.order_by(Stocktake.id.desc())
    return crud.paginate(stmt, args.get("page", 1), args.get("per_page", 50))
