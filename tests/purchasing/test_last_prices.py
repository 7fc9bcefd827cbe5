"""The last price a supplier got for a product (the default price of a new line when ordering by scanning)."""
from tests.factories import ok

URL = "/api/v1/purchase-orders/last-prices"


def test_the_latest_submitted_order_sets_the_price_drafts_do_not(login, world, make_po, approved_po):
    p0, p1, p2 = (p.id for p in world.products)
    approved_po([(0, "10", "12.50", "0.13")])
    po, buyer, _ = approved_po([(0, "5", "11.80", "0.13"), (1, "2", "3", "0")])
    make_po(buyer, [(0, "1", "99", "0.13")])  # a draft: not a price anyone got
    rows = ok(buyer.get(URL, query_string={"supplier_id": world.supplier.id, "product_ids": f"{p0},{p1},{p2}"}))
    assert [(r["product_id"], r["unit_price"], r["number"]) for r in rows] == [
        (p0, "11.8000", po["number"]), (p1, "3.0000", po["number"])]


def test_last_prices_are_costs_and_need_valid_ids(login, world):
    r = login("warehouse").get(URL, query_string={"supplier_id": world.supplier.id, "product_ids": "1"})
    assert r.status_code == 403  # purchase.view but no cost.view
    r = login("purchaser").get(URL, query_string={"supplier_id": world.supplier.id, "product_ids": "1,x"})
    assert r.status_code == 422 and "product_ids" in r.get_json()["errors"]


def test_sales_last_prices_per_customer(login, make_customer, make_warehouse, make_product):
    c, w, p = make_customer(), make_warehouse(), make_product(sale_price="9.90")
    seller = login("sales")
    so = ok(seller.post("/api/v1/sales-orders", json={"customer_id": c.id, "warehouse_id": w.id, "lines": [
        {"product_id": p.id, "quantity": "2", "unit_price": "8.50"}]}), 201)
    url = "/api/v1/sales-orders/last-prices"
    assert ok(seller.get(url, query_string={"customer_id": c.id, "product_ids": str(p.id)})) == []  # still a draft
    ok(seller.post(f"/api/v1/sales-orders/{so['id']}/submit", json={"version": so["version"]}))
    [row] = ok(seller.get(url, query_string={"customer_id": c.id, "product_ids": str(p.id)}))
    assert row["unit_price"] == "8.5000" and row["number"] == so["number"]
