"""Fixtures shared by tests/sales and tests/finance (imported by both conftest files)."""
from __future__ import annotations

from decimal import Decimal

import pytest

from backend.context import Actor, acting_as


def D(x) -> Decimal:
    return Decimal(str(x))


def ok(r, status=200):
    assert r.status_code == status, (r.status_code, r.get_json(silent=True))
    return r.get_json()


class World:
    def __init__(self, customer, warehouse, products):
        self.customer, self.warehouse, self.products = customer, warehouse, products


@pytest.fixture
def stock_in():
    """stock_in(product, warehouse, qty, unit_cost): opening stock posted through the ledger."""
    from backend.services import ledger

    def _in(product, warehouse, qty, unit_cost="10", kind="opening"):
        with acting_as(Actor(None, "test", "cli")):
            ledger.post([ledger.MoveSpec(product.id, warehouse.id, D(qty), kind, unit_cost=D(unit_cost))])

    return _in


@pytest.fixture
def world(make_customer, make_warehouse, make_product, stock_in):
    """A customer, a warehouse and three products with 100 units each at cost 10.0000."""
    w = World(make_customer(name="北京华联商贸"), make_warehouse(name="主仓库"),
              [make_product(name="十字螺丝刀", sale_price="25", tax_rate=D("0.13")),
               make_product(name="活动扳手", sale_price="40", tax_rate=D("0.13")),
               make_product(name="卷尺 5m", sale_price="12", tax_rate=D("0.06"))])
    for p in w.products:
        stock_in(p, w.warehouse, "100", "10")
    return w


@pytest.fixture
def make_so(world):
    """make_so(api, [(product_index, qty, price, discount, tax)], **header) → created draft order JSON."""

    def _make(api, lines=((0, "10", "25", "0", "0.13"),), **kw):
        body = {"customer_id": world.customer.id, "warehouse_id": world.warehouse.id,
                "lines": [{"product_id": world.products[i].id, "quantity": q, "unit_price": p,
                           "discount_rate": d, "tax_rate": t} for i, q, p, d, t in lines], **kw}
        return ok(api.post("/api/v1/sales-orders", json=body), 201)

    return _make


@pytest.fixture
def approved_so(login, make_so):
    """approved_so(lines) → (order JSON, seller, manager): submitted by a sales user, approved by a manager."""

    def _make(lines=((0, "10", "25", "0", "0.13"),), **kw):
        seller, boss = login("sales"), login("manager")
        so = make_so(seller, lines, **kw)
        so = ok(seller.post(f"/api/v1/sales-orders/{so['id']}/submit", json={"version": so["version"]}))
        so = ok(boss.post(f"/api/v1/sales-orders/{so['id']}/approve", json={"version": so["version"]}))
        if so["status"] != "approved":  # two levels: an admin grants the second
            so = ok(login("admin").post(f"/api/v1/sales-orders/{so['id']}/approve", json={"version": so["version"]}))
        return so, seller, boss

    return _make


def on_hand(product, warehouse) -> Decimal:
    from backend.services import ledger

    return ledger.on_hand(product.id, warehouse.id)


def level(product, warehouse):
    from backend.services import ledger

    return ledger.level(product.id, warehouse.id)
