"""Small helpers for inventory tests."""
from __future__ import annotations

from decimal import Decimal

from backend.context import Actor, acting_as
from backend.extensions import db
from backend.models.ledger import StockLevel
from backend.services import ledger
from backend.services.ledger import MoveSpec
from backend.services.stock import verify_ledger


def stock_in(product, warehouse, qty, cost="10", location_id=None):
    with acting_as(Actor(None, "test", "cli")):
        ledger.post([MoveSpec(product.id, warehouse.id, Decimal(str(qty)), "receipt", unit_cost=Decimal(cost),
                              location_id=location_id)])


def on_hand(product, warehouse) -> Decimal:
    db.session.commit()
    return ledger.on_hand(product.id, warehouse.id)


def assert_ledger_ok():
    db.session.commit()
    assert verify_ledger() == []
    assert all(lv.quantity >= 0 for lv in db.session.query(StockLevel))
