"""Bad input is a 4xx JSON error and changes nothing."""
import pytest

from backend.services import ledger
from tests.factories import ok

PO = "/api/v1/purchase-orders"


@pytest.mark.parametrize("patch, status", [
    ({"lines": [{"product_id": 1, "quantity": "-1"}]}, 422),
    ({"lines": [{"product_id": 1, "quantity": "0"}]}, 422),
    ({"lines": [{"product_id": 1, "quantity": "abc"}]}, 422),
    ({"lines": [{"product_id": 1, "quantity": "1", "unit_price": "-5"}]}, 422),
    ({"lines": [{"product_id": 1, "quantity": "1", "tax_rate": "1.5"}]}, 422),
    ({"lines": [{"product_id": 1, "quantity": "NaN"}]}, 422),
    ({"lines": [{"product_id": 99999, "quantity": "1"}]}, 422),
    ({"lines": [{"quantity": "1"}]}, 422),
    ({"supplier_id": 99999}, 422),
    ({"warehouse_id": 99999}, 422),
    ({"expected_date": "tomorrow"}, 422),
    ({"receive_tolerance_pct": "101"}, 422),
    ({"notes": "x" * 2001}, 422),
    ({"version": None}, 422),
    ({"version": "one"}, 422),
])
def test_bad_edits_are_refused_and_the_order_is_unchanged(patch, status, login, make_po):
    buyer = login("purchaser")
    po = make_po(buyer)
    r = buyer.patch(f"{PO}/{po['id']}", json={"version": po["version"], **patch})
    assert r.status_code == status
    body = r.get_json()
    assert set(body) >= {"code", "status", "message", "errors"}
    after = ok(buyer.get(f"{PO}/{po['id']}"))
    assert after == po


def test_malformed_json_and_missing_fields(login, make_po, world):
    buyer = login("purchaser")
    r = buyer.post(PO, data="{not json", headers={"Content-Type": "application/json"})
    assert r.status_code == 400 and r.get_json()["code"] in ("malformed_json", "bad_request")
    r = buyer.post(PO, json={"warehouse_id": world.warehouse.id})
    assert r.status_code == 422 and "supplier_id" in r.get_json()["errors"]["json"]
    assert ok(buyer.get(PO))["total"] == 0
    assert buyer.get(f"{PO}/999").status_code == 404
    assert buyer.post(f"{PO}/999/submit", json={"version": 1}).status_code == 404


def test_submitting_an_empty_order_is_refused(login, world):
    buyer = login("purchaser")
    po = ok(buyer.post(PO, json={"supplier_id": world.supplier.id, "warehouse_id": world.warehouse.id}), 201)
    r = buyer.post(f"{PO}/{po['id']}/submit", json={"version": po["version"]})
    assert r.status_code == 422 and ok(buyer.get(f"{PO}/{po['id']}"))["status"] == "draft"


@pytest.mark.parametrize("lines", [
    [],
    [{"line_id": 99999, "quantity": "1"}],
    [{"line_id": "LINE", "quantity": "1"}],
    [{"quantity": "1"}],
    "lines",
])
def test_bad_receipts_are_refused_and_nothing_is_posted(lines, approved_po, login, world):
    po, _, _ = approved_po()
    store = login("warehouse")
    r = store.post(f"{PO}/{po['id']}/receive", json={"version": po["version"], "lines": lines})
    assert r.status_code == 422, r.get_json()
    assert ledger.on_hand(world.products[0].id, world.warehouse.id) == 0
    assert ok(store.get(f"{PO}/{po['id']}"))["version"] == po["version"]


def test_receipt_with_a_location_of_another_warehouse_is_refused(approved_po, login, make_warehouse, admin):
    po, _, _ = approved_po()
    other = make_warehouse()
    loc = ok(admin.post(f"/api/v1/warehouses/{other.id}/locations", json={"code": "A-01"}), 201)
    r = login("warehouse").post(f"{PO}/{po['id']}/receive", json={"version": po["version"], "lines": [
        {"line_id": po["lines"][0]["id"], "quantity": "1", "location_id": loc["id"]}]})
    assert r.status_code == 422


def test_returning_a_line_of_another_order_is_refused(approved_po, login, world):
    a, buyer, _ = approved_po()
    b, _, _ = approved_po()
    store = login("warehouse")
    gr = ok(store.post(f"{PO}/{b['id']}/receive", json={"version": b["version"], "lines": [
        {"line_id": b["lines"][0]["id"], "quantity": "2"}]}), 201)
    ok(store.post(f"{PO}/{a['id']}/receive", json={"version": a["version"], "lines": [
        {"line_id": a["lines"][0]["id"], "quantity": "2"}]}), 201)
    a = ok(buyer.get(f"{PO}/{a['id']}"))
    r = buyer.post(f"{PO}/{a['id']}/returns", json={"version": a["version"], "lines": [
        {"receipt_line_id": gr["lines"][0]["id"], "quantity": "1"}]})
    assert r.status_code == 422
    assert ledger.on_hand(world.products[0].id, world.warehouse.id) == 4
