"""Fixtures shared by tests/sales and tests/finance (imported by both conftest files)."""
from __future__ import annotations

import pytest

from tests.factories import D, ok, submit_and_approve
from tests.factories import stock_in as post_stock


class World:
    def __init__(self, customer, warehouse, products):
        self.customer, self.warehouse, self.products = customer, warehouse, products


@pytest.fixture
def stock_in():
    """stock_in(product, warehouse, qty, unit_cost): opening stock posted through the ledger."""

    def _in(product, warehouse, qty, unit_cost="10", kind="opening"):
        post_stock(product, warehouse, qty, unit_cost, kind=kind)

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
        so = submit_and_approve(login, "sales-orders", make_so(seller, lines, **kw), seller, boss)
        return so, seller, boss

    return _make

