"""Inbox sources of the stock documents: adjustments waiting for approval (over the threshold), submitted
stocktakes, and transfers with unresolved discrepancies (purchase and sales orders register in their own
services). Imported by ``backend/api/approvals.py`` so the sources are there before the first request.
"""
from __future__ import annotations

from decimal import Decimal

from sqlalchemy import or_, select

from backend.domain.money import ZERO
from backend.extensions import db
from backend.models.inventory import Adjustment, Stocktake, Transfer
from backend.services import approvals, inbox, inbox_details
from backend.services.access import visible_warehouses


def _scoped(stmt, *cols, user):
    ids = visible_warehouses(user)
    if ids is None:
        return stmt
    return stmt.where(or_(*(c.in_(ids) for c in cols)))


def _adjustments(user) -> list[dict]:
    if not user.can("stock.adjust.approve"):
        return []
    stmt = _scoped(select(Adjustment).where(Adjustment.status == "pending_approval"), Adjustment.warehouse_id,
                   user=user)
    out = []
    for adj in db.session.scalars(stmt.order_by(Adjustment.id)):
        if not approvals.can_decide(user, "adjustment", adj, adj.total_value):
            continue
        out.append(inbox.item(doc_type="adjustment", doc=adj, number=adj.number, amount=adj.total_value,
                              warehouse_id=adj.warehouse_id, submitted_at=adj.created_at,
                              url=f"/api/v1/adjustments/{adj.id}",
                              stock_impact=[inbox.impact(db.session.get(inbox_details.Product, ln.product_id),
                                                         adj.warehouse_id, ln.quantity) for ln in adj.lines]))
    return out


def stocktake_amount(st: Stocktake) -> Decimal:
    """The approval amount of a stocktake: the absolute value of its variances (as approve_stocktake)."""
    return sum((abs(ln.variance_value) for ln in st.lines), ZERO)


def _stocktakes(user) -> list[dict]:
    if not user.can("stocktake.approve"):
        return []
    stmt = _scoped(select(Stocktake).where(Stocktake.status == "submitted"), Stocktake.warehouse_id, user=user)
    out = []
    for st in db.session.scalars(stmt.order_by(Stocktake.id)):
        amount = stocktake_amount(st)
        if not approvals.can_decide(user, "stocktake", st, amount):
            continue
        out.append(inbox.item(doc_type="stocktake", doc=st, number=st.number, amount=amount,
                              warehouse_id=st.warehouse_id, url=f"/api/v1/stocktakes/{st.id}",
                              stock_impact=[inbox.impact(ln.product, st.warehouse_id, ln.variance)
                                            for ln in st.lines if ln.counted and ln.variance != 0]
                              [:inbox_details.MAX_LINES]))
    return out


def _transfers(user) -> list[dict]:
    if not user.can("transfer.resolve"):
        return []
    stmt = _scoped(select(Transfer).where(Transfer.status == "discrepancy"), Transfer.from_warehouse_id,
                   Transfer.to_warehouse_id, user=user)
    out = []
    for t in db.session.scalars(stmt.order_by(Transfer.id)).unique():
        open_ = [d for d in t.discrepancies if d.resolution is None]
        if not open_:
            continue
        first = min(open_, key=lambda d: d.created_at)
        out.append(inbox.item(doc_type="transfer", doc=t, number=t.number,
                              amount=sum((d.value for d in open_), ZERO), warehouse_id=t.to_warehouse_id,
                              submitted_by_id=first.reported_by_id, submitted_at=first.created_at,
                              url=f"/api/v1/transfers/{t.id}"))
    return out


inbox.register_source("adjustment", _adjustments)
inbox.register_source("stocktake", _stocktakes)
inbox.register_source("transfer", _transfers)
inbox.register_detail(inbox_details.detail)
