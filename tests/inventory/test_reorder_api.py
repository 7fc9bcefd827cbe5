"""Low stock → draft purchase orders, one per supplier (POST /alerts/low-stock/purchase-orders)."""
from __future__ import annotations

from decimal import Decimal

import pytest

from tests.factories import stock_in

URL = "/api/v1/alerts/low-stock/purchase-orders"


@pytest.fixture
def world(login, make_product, make_warehouse, make_supplier):
    """p1, p2 last bought from A (p1 at 7.5); p3 has a supplier barcode of B; p4 has no supplier; p5 is not low."""
    wh, a, b = make_warehouse(), make_supplier(name="Alpha"), make_supplier(name="Beta")
    p1 = make_product(reorder_point=Decimal(10), reorder_qty=Decimal(20))
    p2 = make_product(reorder_point=Decimal(5), reorder_qty=Decimal(1))
    p3 = make_product(reorder_point=Decimal(4), reorder_qty=Decimal(6),
                      barcodes=[{"code": "SUP-B-0003", "kind": "supplier", "supplier_id": b.id}])
    p4 = make_product(reorder_point=Decimal(3), reorder_qty=Decimal(2))
    p5 = make_product(reorder_point=Decimal(1), reorder_qty=Decimal(1))
    for p, q in ((p1, 4), (p2, 1), (p3, 4), (p4, 1), (p5, 9)):
        stock_in(p, wh, q, cost="5")
    buyer = login("purchaser")
    r = buyer.post("/api/v1/purchase-orders", json={"supplier_id": a.id, "warehouse_id": wh.id, "lines": [
        {"product_id": p1.id, "quantity": "1", "unit_price": "7.5", "tax_rate": "0.09"},
        {"product_id": p2.id, "quantity": "1"}]})
    po = r.get_json()
    assert buyer.post(f"/api/v1/purchase-orders/{po['id']}/submit", json={"version": po["version"]}).status_code == 200
    return {"wh": wh, "a": a, "b": b, "p": [p1, p2, p3, p4, p5], "buyer": buyer}


def test_low_stock_becomes_one_draft_per_supplier_and_products_without_supplier_are_reported(world, login):
    p1, p2, p3, p4, p5 = world["p"]
    before = world["buyer"].get("/api/v1/purchase-orders").get_json()["total"]
    r = world["buyer"].post(URL, json={"warehouse_id": world["wh"].id})
    assert r.status_code == 201, r.get_json()
    out = r.get_json()
    assert sorted(o["supplier_name"] for o in out["orders"]) == ["Alpha", "Beta"]
    assert all(o["status"] == "draft" for o in out["orders"])
    assert [x["sku"] for x in out["without_supplier"]] == [p4.sku]
    assert out["without_supplier"][0]["suggested_qty"] == "2.0000"  # max(2, 3 − 1)
    assert p5.id not in [x["product_id"] for x in out["skipped"] + out["without_supplier"]]  # not low: not asked
    assert world["buyer"].get("/api/v1/purchase-orders").get_json()["total"] == before + 2
    by_name = {o["supplier_name"]: o for o in out["orders"]}
    alpha = world["buyer"].get(f"/api/v1/purchase-orders/{by_name['Alpha']['id']}").get_json()
    lines = {ln["product_id"]: ln for ln in alpha["lines"]}
    # suggested: p1 max(20, 10 − 4) = 20 at the last price 7.5 / 9 %; p2 max(1, 5 − 1) = 4
    assert (lines[p1.id]["quantity"], lines[p1.id]["unit_price"], lines[p1.id]["tax_rate"]) == ("20.0000", "7.5000", "0.0900")
    assert lines[p2.id]["quantity"] == "4.0000"
    beta = world["buyer"].get(f"/api/v1/purchase-orders/{by_name['Beta']['id']}").get_json()
    assert [(ln["product_id"], ln["quantity"]) for ln in beta["lines"]] == [(p3.id, "6.0000")]
    assert alpha["warehouse_id"] == beta["warehouse_id"] == world["wh"].id


def test_chosen_lines_and_quantities_are_ordered_and_the_rest_is_skipped(world):
    p1, p2, p3, p4, p5 = world["p"]
    r = world["buyer"].post(URL, json={"warehouse_id": world["wh"].id, "lines": [
        {"product_id": p1.id, "quantity": "12"}, {"product_id": p5.id}]})
    assert r.status_code == 201, r.get_json()
    out = r.get_json()
    assert [o["supplier_name"] for o in out["orders"]] == ["Alpha"] and out["orders"][0]["line_count"] == 1
    assert out["skipped"] == [{"product_id": p5.id, "reason": "not_low"}]
    po = world["buyer"].get(f"/api/v1/purchase-orders/{out['orders'][0]['id']}").get_json()
    assert [ln["quantity"] for ln in po["lines"]] == ["12.0000"]


def test_nothing_orderable_is_a_422_and_creates_nothing(world):
    p4 = world["p"][3]
    before = world["buyer"].get("/api/v1/purchase-orders").get_json()["total"]
    r = world["buyer"].post(URL, json={"warehouse_id": world["wh"].id, "lines": [{"product_id": p4.id}]})
    assert r.status_code == 422 and r.get_json()["code"] == "nothing_to_order", r.get_json()
    assert r.get_json()["errors"]["without_supplier"] == [p4.sku]
    r = world["buyer"].post(URL, json={"warehouse_id": world["wh"].id, "lines": [{"product_id": world["p"][0].id,
                                                                                  "quantity": "-1"}]})
    assert r.status_code == 422
    assert world["buyer"].get("/api/v1/purchase-orders").get_json()["total"] == before


def test_only_purchase_side_roles_in_their_warehouses_make_orders(world, login, make_warehouse):
    body = {"warehouse_id": world["wh"].id}
    for role in ("warehouse", "sales", "finance"):
        api = login(role)
        assert api.post(URL, json=body).status_code == 403, role
    # the warehouse staff still see the low-stock list
    assert login("warehouse").get(f"/api/v1/alerts/low-stock?warehouse_id={world['wh'].id}").get_json()["total"] == 4
    elsewhere = login("purchaser", warehouses=[make_warehouse()])
    assert elsewhere.post(URL, json=body).status_code == 403
    assert login("purchaser").post(URL, json={"warehouse_id": 999999}).status_code == 404
    assert login("manager").post(URL, json=body).status_code == 201
