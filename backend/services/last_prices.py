"""The last price a partner got for a product: the default price of a new order line (扫码开单).

Taken from the partner's most recent order that was submitted or later (drafts, rejected and cancelled
orders never set a price), within the user's warehouses.
"""
from __future__ import annotations

from sqlalchemy import select

from backend.domain.flows import PO_FLOW, SO_FLOW
from backend.extensions import db
from backend.models.purchasing import PurchaseOrder, PurchaseOrderLine
from backend.models.sales import SalesOrder, SalesOrderLine
from backend.services.access import require, scoped


def last_prices(kind: str, partner_id: int, product_ids: list[int], user) -> list[dict]:
    """``kind`` "purchase" (supplier) or "sales" (customer): one row per product that has a price.
    Purchase prices are costs: they need ``cost.view``."""
    if kind == "purchase":
        require(user, "cost.view")
        order, line, partner, flow = PurchaseOrder, PurchaseOrderLine, PurchaseOrder.supplier_id, PO_FLOW
    else:
        order, line, partner, flow = SalesOrder, SalesOrderLine, SalesOrder.customer_id, SO_FLOW
    stmt = (select(line.product_id, line.unit_price, line.tax_rate, order.id, order.number, order.created_at)
            .join(order, order.id == line.order_id)
            .where(partner == partner_id, line.product_id.in_(product_ids), order.status.in_(flow.group("priced")))
            .order_by(order.id.desc(), line.id.desc()))
    stmt = scoped(stmt, order.warehouse_id, user)
    out: dict[int, dict] = {}
    for pid, price, tax, oid, number, at in db.session.execute(stmt):
        if pid not in out:
            out[pid] = {"product_id": pid, "unit_price": price, "tax_rate": tax, "order_id": oid, "number": number,
                        "date": at}
    return [out[p] for p in product_ids if p in out]
