"""The approvals inbox: what the current user may approve, across document types.

Interface for document modules (purchasing registers ``purchase_order``; sales plugs in the same way)::

    from backend.services import inbox

    def _pending_sales_orders(user) -> list[dict]:
        # documents waiting for approval that ``user`` may decide now, typically:
        #   approvals.can_decide(user, "sales_order", doc, doc.total)  (permission, level, not own document)
        return [inbox.item(doc_type="sales_order", doc=so, number=so.number, amount=so.total,
                           partner=so.customer.name, warehouse_id=so.warehouse_id,
                           stock_impact=[inbox.impact(line.product, so.warehouse_id, -line.quantity)
                                         for line in so.lines])]

    inbox.register_source("sales_order", _pending_sales_orders)   # at import time of your service module

``GET /api/v1/approvals/pending`` calls ``pending_for(user)``: every registered source, merged, oldest
submission first. An item is a plain dict (see ``item``); ``stock_impact`` entries show the signed quantity
the document will move and the on-hand now/after in its warehouse. Sources must apply warehouse scope
(``access.visible_warehouses(user)``) themselves. A document service registers its source when it is imported; the
app imports every service through its blueprint (``backend/api/__init__.py``), so all sources are there
before the first request.
"""
from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from backend.services import approvals
from backend.services.ledger import on_hand

Source = Callable[[object], list[dict]]
Detail = Callable[[object, dict], dict]
_sources: dict[str, Source] = {}
_detail: list[Detail] = []


def register_detail(fn: Detail) -> None:
    """``fn(user, item) -> item`` adds the document's detail (lines, margin, history …) to every item."""
    _detail[:] = [fn]


def register_source(doc_type: str, fn: Source) -> None:
    """Register ``fn(user) -> [item, …]`` listing the ``doc_type`` documents ``user`` may decide now."""
    _sources[doc_type] = fn


def sources() -> dict[str, Source]:
    """The registered sources by document type."""
    return dict(_sources)


def impact(product, warehouse_id: int, quantity: Decimal) -> dict:
    """One stock-impact entry: the signed ``quantity`` and on-hand before/after in ``warehouse_id``."""
    now = on_hand(product.id, warehouse_id)
    return {"product_id": product.id, "sku": product.sku, "name": product.name, "warehouse_id": warehouse_id,
            "quantity": Decimal(quantity), "on_hand": now, "on_hand_after": now + Decimal(quantity)}


def item(*, doc_type: str, doc, number: str, amount: Decimal, partner: str | None = None,
         warehouse_id: int | None = None, stock_impact: list[dict] | None = None, url: str | None = None,
         submitted_by_id: int | None = None, submitted_at=None) -> dict:
    """An inbox entry for ``doc`` (needs ``id``, ``version``, ``status``, ``submitted_by_id``, ``submitted_at``
    — or pass them —, ``approval_level``); adds the level and permission needed next."""
    nxt = approvals.next_level(doc_type, Decimal(amount), getattr(doc, "approval_level", 0) or 0)
    return {"doc_type": doc_type, "doc_id": doc.id, "number": number, "version": doc.version,
            "status": doc.status, "amount": Decimal(amount), "partner": partner, "warehouse_id": warehouse_id,
            "submitted_by_id": submitted_by_id or getattr(doc, "submitted_by_id", None),
            "submitted_at": submitted_at or getattr(doc, "submitted_at", None),
            "level": nxt[0] if nxt else None, "permission": nxt[1] if nxt else None,
            "levels_required": len(approvals.required_levels(doc_type, Decimal(amount))),
            "stock_impact": stock_impact or [], "url": url}


def pending_for(user, doc_type: str | None = None) -> list[dict]:
    """Everything ``user`` may approve now (optionally one document type), oldest submission first."""
    out: list[dict] = []
    for dt, fn in sorted(sources().items()):
        if doc_type and dt != doc_type:
            continue
        out.extend(fn(user))
    if _detail:
        out = [_detail[0](user, i) for i in out]
    return sorted(out, key=lambda i: (i["submitted_at"] is None, i["submitted_at"] or 0, i["doc_type"], i["doc_id"]))
