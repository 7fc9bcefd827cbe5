
import pytest

from backend.extensions import db
from backend.models.inventory import Transfer
from tests.factories import assert_ledger_ok, on_hand, stock_in


def _draft(api, src, dst, *lines):
    r = api.post("/api/v1/transfers", json={"from_warehouse_id": src.id, "to_warehouse_id": dst.id,
                                            "lines": [{"product_id": p.id, "quantity": q} for p, q in lines]})
    assert r.status_code == 201, r.get_json()
    return r.get_json()


def test_transfer_ships_into_transit_and_partial_receipts_finish_it(login, make_product, make_warehouse):
    p, a, b = make_product(), make_warehouse(), make_warehouse()
    stock_in(p, a, 10, cost="3")
    api = login("manager")
    t = _draft(api, a, b, (p, 6))
    assert t["status"] == "draft" and t["number"].startswith("TR-")
    assert on_hand(p, a) == 10  # a draft moves nothing
    t = api.post(f"/api/v1/transfers/{t['id']}/ship", json={"version": t["version"]}).get_json()
    assert t["status"] == "in_transit" and t["in_transit"] == "6.0000"
    assert on_hand(p, a) == 4 and on_hand(p, b) == 0
    row = api.get(f"/api/v1/stock?product_id={p.id}&warehouse_id={b.id}").get_json()["items"][0]
    assert row["in_transit"] == "6.0000" and row["quantity"] == "0.0000"
    line = t["lines"][0]
    t = api.post(f"/api/v1/transfers/{t['id']}/receive",
                 json={"version": t["version"], "lines": [{"line_id": line["id"], "quantity": 2}]}).get_json()
    assert t["status"] == "partially_received" and t["lines"][0]["in_transit"] == "4.0000"
    t = api.post(f"/api/v1/transfers/{t['id']}/receive",
                 json={"version": t["version"], "lines": [{"product_id": p.id, "quantity": 4}]}).get_json()
    assert t["status"] == "done"
    assert on_hand(p, b) == 6
    b_row = api.get(f"/api/v1/stock?product_id={p.id}&warehouse_id={b.id}").get_json()["items"][0]
    assert (b_row["avg_cost"], b_row["in_transit"]) == ("3.0000", "0.0000")
    assert_ledger_ok()


def test_shortage_and_damage_become_discrepancies_a_manager_resolves(login, make_product, make_warehouse):
    p, a, b = make_product(), make_warehouse(), make_warehouse()
    stock_in(p, a, 10, cost="2")
    clerk, manager = login("warehouse"), login("manager")
    t = _draft(clerk, a, b, (p, 10))
    t = clerk.post(f"/api/v1/transfers/{t['id']}/ship", json={"version": t["version"]}).get_json()
    t = clerk.post(f"/api/v1/transfers/{t['id']}/receive", json={
        "version": t["version"], "complete": True,
        "lines": [{"product_id": p.id, "quantity": 6, "damaged_qty": 2}]}).get_json()
    assert t["status"] == "discrepancy"
    kinds = {d["kind"]: d for d in t["discrepancies"]}
    assert kinds["damaged"]["quantity"] == "2.0000" and kinds["short"]["quantity"] == "2.0000"
    assert "value" not in kinds["short"]  # the warehouse role sees no costs; a manager does
    short = {d["kind"]: d for d in manager.get(f"/api/v1/transfers/{t['id']}").get_json()["discrepancies"]}["short"]
    assert short["value"] == "4.0000"
    assert t["in_transit"] == "4.0000"  # unresolved discrepancies stay in transit
    # the clerk may not resolve
    r = clerk.post(f"/api/v1/transfers/{t['id']}/resolve", json={"version": t["version"], "resolutions": [
        {"discrepancy_id": kinds["short"]["id"], "resolution": "write_off"}]})
    assert r.status_code == 403
    r = manager.post(f"/api/v1/transfers/{t['id']}/resolve", json={"version": t["version"], "resolutions": [
        {"discrepancy_id": kinds["short"]["id"], "resolution": "write_off", "note": "lost by carrier"},
        {"discrepancy_id": kinds["damaged"]["id"], "resolution": "return_to_source"}]})
    assert r.status_code == 200, r.get_json()
    t = r.get_json()
    assert t["status"] == "done" and t["in_transit"] == "0.0000"
    assert on_hand(p, a) == 2 and on_hand(p, b) == 6
    assert_ledger_ok()


def test_cannot_ship_more_than_on_hand(admin, make_product, make_warehouse):
    p, a, b = make_product(), make_warehouse(), make_warehouse()
    stock_in(p, a, 1)
    t = _draft(admin, a, b, (p, 2))
    r = admin.post(f"/api/v1/transfers/{t['id']}/ship", json={"version": t["version"]})
    assert r.status_code == 409 and r.get_json()["code"] == "insufficient_stock"
    assert admin.get(f"/api/v1/transfers/{t['id']}").get_json()["status"] == "draft"
    assert on_hand(p, a) == 1


def test_cancel_only_before_shipping(admin, make_product, make_warehouse):
    p, a, b = make_product(), make_warehouse(), make_warehouse()
    stock_in(p, a, 5)
    t1 = _draft(admin, a, b, (p, 1))
    r = admin.post(f"/api/v1/transfers/{t1['id']}/cancel", json={"version": t1["version"]})
    assert r.status_code == 200 and r.get_json()["status"] == "cancelled"
    t2 = _draft(admin, a, b, (p, 1))
    t2 = admin.post(f"/api/v1/transfers/{t2['id']}/ship", json={"version": t2["version"]}).get_json()
    r = admin.post(f"/api/v1/transfers/{t2['id']}/cancel", json={"version": t2["version"]})
    assert r.status_code == 409 and r.get_json()["code"] == "invalid_transition"
    assert "receive" in r.get_json()["errors"]["allowed"]


def test_receiving_more_than_in_transit_is_refused(admin, make_product, make_warehouse):
    p, a, b = make_product(), make_warehouse(), make_warehouse()
    stock_in(p, a, 5)
    t = _draft(admin, a, b, (p, 3))
    t = admin.post(f"/api/v1/transfers/{t['id']}/ship", json={"version": t["version"]}).get_json()
    r = admin.post(f"/api/v1/transfers/{t['id']}/receive", json={"version": t["version"],
                                                                  "lines": [{"product_id": p.id, "quantity": 4}]})
    assert r.status_code == 422 and r.get_json()["code"] == "over_receipt"
    r = admin.post(f"/api/v1/transfers/{t['id']}/receive", json={"version": t["version"], "lines": []})
    assert r.status_code == 422
    assert on_hand(p, b) == 0


def test_stale_version_is_409_and_draft_can_be_edited(admin, make_product, make_warehouse):
    p, q, a, b = make_product(), make_product(), make_warehouse(), make_warehouse()
    t = _draft(admin, a, b, (p, 3))
    r = admin.patch(f"/api/v1/transfers/{t['id']}", json={"version": t["version"],
                                                          "lines": [{"product_id": q.id, "quantity": 2}]})
    assert r.status_code == 200, r.get_json()
    assert [ln["product_id"] for ln in r.get_json()["lines"]] == [q.id]
    r = admin.post(f"/api/v1/transfers/{t['id']}/ship", json={"version": t["version"]})
    assert r.status_code == 409 and r.get_json()["code"] == "stale_version"


@pytest.mark.parametrize("payload", [
    {"from_warehouse_id": 1, "to_warehouse_id": 1, "lines": [{"product_id": 1, "quantity": 1}]},
    {"from_warehouse_id": 1, "to_warehouse_id": 2, "lines": [{"product_id": 1, "quantity": 0}]},
    {"from_warehouse_id": 1, "to_warehouse_id": 2, "lines": []},
    {"from_warehouse_id": 1},
])
def test_bad_transfer_input_is_422(admin, make_product, make_warehouse, payload):
    make_product(), make_warehouse(), make_warehouse()
    r = admin.post("/api/v1/transfers", json=payload)
    assert r.status_code == 422, r.get_json()
    assert db.session.query(Transfer).count() == 0


@pytest.mark.parametrize("role,action", [("sales", "create"), ("purchaser", "create"), ("sales", "ship"),
                                         ("finance", "ship"), ("purchaser", "receive")])
def test_roles_without_transfer_permissions_get_403(login, admin, make_product, make_warehouse, role, action):
    p, a, b = make_product(), make_warehouse(), make_warehouse()
    stock_in(p, a, 5)
    api = login(role)
    if action == "create":
        r = api.post("/api/v1/transfers", json={"from_warehouse_id": a.id, "to_warehouse_id": b.id,
                                                "lines": [{"product_id": p.id, "quantity": 1}]})
        assert r.status_code == 403 and db.session.query(Transfer).count() == 0
        return
    t = _draft(admin, a, b, (p, 1))
    if action == "receive":
        t = admin.post(f"/api/v1/transfers/{t['id']}/ship", json={"version": t["version"]}).get_json()
        r = api.post(f"/api/v1/transfers/{t['id']}/receive", json={"version": t["version"],
                                                                    "lines": [{"product_id": p.id, "quantity": 1}]})
    else:
        r = api.post(f"/api/v1/transfers/{t['id']}/ship", json={"version": t["version"]})
    assert r.status_code == 403
    assert admin.get(f"/api/v1/transfers/{t['id']}").get_json()["version"] == t["version"]


def test_warehouse_bound_user_ships_from_and_receives_into_their_own_warehouses_only(login, admin, make_product,
                                                                                     make_warehouse):
    p, a, b = make_product(), make_warehouse(), make_warehouse()
    stock_in(p, a, 5)
    at_a, at_b = login("warehouse", warehouses=[a]), login("warehouse", warehouses=[b])
    r = at_b.post("/api/v1/transfers", json={"from_warehouse_id": a.id, "to_warehouse_id": b.id,
                                             "lines": [{"product_id": p.id, "quantity": 1}]})
    assert r.status_code == 403
    t = _draft(at_a, a, b, (p, 2))
    assert at_b.post(f"/api/v1/transfers/{t['id']}/ship", json={"version": t["version"]}).status_code == 403
    t = at_a.post(f"/api/v1/transfers/{t['id']}/ship", json={"version": t["version"]}).get_json()
    body = {"version": t["version"], "lines": [{"product_id": p.id, "quantity": 2}]}
    assert at_a.post(f"/api/v1/transfers/{t['id']}/receive", json=body).status_code == 403
    assert at_b.post(f"/api/v1/transfers/{t['id']}/receive", json=body).status_code == 200
    other = login("warehouse", warehouses=[make_warehouse()])
    assert other.get(f"/api/v1/transfers/{t['id']}").status_code == 403
    assert other.get("/api/v1/transfers").get_json()["total"] == 0
