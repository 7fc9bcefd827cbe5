"""Role × action table for purchasing, and warehouse scope."""
import pytest

from tests.factories import ok

PO = "/api/v1/purchase-orders"
ROLES = ("admin", "manager", "purchaser", "warehouse", "sales", "finance")
ALLOWED = {
    "view": {"admin", "manager", "purchaser", "warehouse", "finance"},
    "create": {"admin", "manager", "purchaser"},
    "edit_price": {"admin", "manager", "purchaser"},
    "approve": {"admin", "manager"},
    "receive": {"admin", "manager", "warehouse"},
    "return": {"admin", "manager", "purchaser", "warehouse"},
}


@pytest.mark.parametrize("action", sorted(ALLOWED))
@pytest.mark.parametrize("role", ROLES)
def test_role_action_table(role, action, login, make_po, approved_po, world):
    api = login(role)
    if action == "view":
        po = make_po(login("purchaser"))
        r = api.get(f"{PO}/{po['id']}")
    elif action == "create":
        r = api.post(PO, json={"supplier_id": world.supplier.id, "warehouse_id": world.warehouse.id,
                               "lines": [{"product_id": world.products[0].id, "quantity": "1"}]})
    elif action == "edit_price":
        po = make_po(login("purchaser"))
        r = api.patch(f"{PO}/{po['id']}", json={"version": po["version"], "lines": [
            {"product_id": world.products[0].id, "quantity": "10", "unit_price": "1.00"}]})
    elif action == "approve":
        buyer = login("purchaser")
        po = make_po(buyer)
        po = ok(buyer.post(f"{PO}/{po['id']}/submit", json={"version": po["version"]}))
        r = api.post(f"{PO}/{po['id']}/approve", json={"version": po["version"]})
    elif action == "receive":
        po, _, _ = approved_po()
        r = api.post(f"{PO}/{po['id']}/receive", json={"version": po["version"], "lines": [
            {"line_id": po["lines"][0]["id"], "quantity": "1"}]})
    else:
        po, _, _ = approved_po()
        gr = ok(login("warehouse").post(f"{PO}/{po['id']}/receive", json={"version": po["version"], "lines": [
            {"line_id": po["lines"][0]["id"], "quantity": "2"}]}), 201)
        r = api.post(f"{PO}/{po['id']}/returns", json={"version": gr["order"]["version"], "lines": [
            {"receipt_line_id": gr["lines"][0]["id"], "quantity": "1"}]})
    if role in ALLOWED[action]:
        assert r.status_code in (200, 201), r.get_json()
    else:
        assert r.status_code == 403 and r.get_json()["code"] == "forbidden", r.get_json()


def test_a_sales_user_sees_no_purchase_documents(login):
    seller = login("sales")
    for url in (PO, "/api/v1/purchase-receipts", "/api/v1/purchase-returns"):
        assert seller.get(url).status_code == 403


def test_warehouse_bound_users_only_work_on_their_warehouses(login, approved_po, make_warehouse):
    po, _, _ = approved_po()
    other = login("warehouse", warehouses=[make_warehouse()])
    r = other.post(f"{PO}/{po['id']}/receive", json={"version": po["version"], "lines": [
        {"line_id": po["lines"][0]["id"], "quantity": "1"}]})
    assert r.status_code == 403 and r.get_json()["code"] == "warehouse_forbidden"
    assert other.get(f"{PO}/{po['id']}").status_code == 403
    assert other.get(f"{PO}/{po['id']}/pdf").status_code == 403
    assert ok(other.get(PO))["total"] == 0


def test_a_bound_purchaser_cannot_order_into_another_warehouse(login, make_warehouse, world):
    buyer = login("purchaser", warehouses=[make_warehouse()])
    r = buyer.post(PO, json={"supplier_id": world.supplier.id, "warehouse_id": world.warehouse.id, "lines": []})
    assert r.status_code == 403 and r.get_json()["code"] == "warehouse_forbidden"
