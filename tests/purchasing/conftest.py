"""Purchasing fixtures: a supplier/warehouse/products world and helpers that drive orders through the API."""
from __future__ import annotations

import pytest

from tests.factories import ok, submit_and_approve


class World:
    def __init__(self, supplier, warehouse, products):
        self.supplier, self.warehouse, self.products = supplier, warehouse, products


@pytest.fixture
def world(make_supplier, make_warehouse, make_product):
    return World(make_supplier(name="上海五金有限公司"), make_warehouse(name="主仓库"),
                 [make_product(name="十字螺丝刀", purchase_price="12.50"), make_product(name="活动扳手"),
                  make_product(name="卷尺 5m")])


@pytest.fixture
def make_po(world):
    """make_po(api, [(product_index, qty, price, rate), …], **header) → created draft order JSON."""

    def _make(api, lines=((0, "10", "12.50", "0.13"),), **kw):
        body = {"supplier_id": world.supplier.id, "warehouse_id": world.warehouse.id,
                "lines": [{"product_id": world.products[i].id, "quantity": q, "unit_price": p, "tax_rate": t}
                          for i, q, p, t in lines], **kw}
        return ok(api.post("/api/v1/purchase-orders", json=body), 201)

    return _make


@pytest.fixture
def approved_po(login, make_po):
    """approved_po(lines) → (order JSON, purchaser, manager): submitted by a purchaser, approved by a manager."""

    def _make(lines=((0, "10", "12.50", "0.13"),), **kw):
        buyer, boss = login("purchaser"), login("manager")
        po = submit_and_approve(login, "purchase-orders", make_po(buyer, lines, **kw), buyer, boss)
        return po, buyer, boss

    return _make
