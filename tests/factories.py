"""Shared test builders and checks: one copy, imported by every test folder (``from tests.factories import …``).

Fixtures that build rows through the services (``make_product``, ``make_warehouse``, ``login`` …) stay in
tests/conftest.py; these are the plain functions the tests call with what those fixtures return.
"""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from backend.context import Actor, acting_as
from backend.extensions import db
from backend.models.ledger import StockLevel
from backend.services import ledger
from backend.services.stock import verify_ledger

TEST_ACTOR = Actor(None, "test", "cli")


def D(x) -> Decimal:
    """Decimal from an int, str or float as written (``D(0.1) == Decimal("0.1")``)."""
    return Decimal(str(x))


def ok(r, status: int = 200):
    """Assert an HTTP status (showing the body when it differs) and return the JSON body (None if none)."""
    assert r.status_code == status, (r.status_code, r.get_json(silent=True))
    return r.get_json(silent=True)


def stock_in(product, warehouse, qty, cost="10", *, kind: str = "receipt", location_id: int | None = None,
             created_at: datetime | None = None) -> None:
    """Stock posted straight through the ledger (no document): ``qty`` units at unit cost ``cost``."""
    with acting_as(TEST_ACTOR):
        ledger.post([ledger.MoveSpec(product.id, warehouse.id, D(qty), kind, unit_cost=D(cost),
                                     location_id=location_id, created_at=created_at)])


def on_hand(product, warehouse) -> Decimal:
    """Quantity on hand, read in a fresh transaction (sees what the requests committed)."""
    db.session.commit()
    return ledger.on_hand(product.id, warehouse.id)


def level(product, warehouse):
    """The StockLevel row (quantity, avg_cost, value), read in a fresh transaction."""
    db.session.commit()
    return ledger.level(product.id, warehouse.id)


def assert_ledger_ok() -> None:
    """The ledger verifies (levels = sum of moves, values consistent) and no level is negative."""
    db.session.commit()
    assert verify_ledger() == []
    assert all(lv.quantity >= 0 for lv in db.session.query(StockLevel))


def submit_and_approve(login, path: str, doc: dict, submitter, manager) -> dict:
    """Submit the draft ``doc`` (``/api/v1/<path>/<id>``, e.g. ``purchase-orders``) as ``submitter`` and
    approve it as ``manager``; when a second level is needed, an admin grants it. Returns the order JSON."""
    url = f"/api/v1/{path}/{doc['id']}"
    doc = ok(submitter.post(f"{url}/submit", json={"version": doc["version"]}))
    doc = ok(manager.post(f"{url}/approve", json={"version": doc["version"]}))
    if doc["status"] != "approved":  # two levels: an admin grants the second
        doc = ok(login("admin").post(f"{url}/approve", json={"version": doc["version"]}))
    return doc
