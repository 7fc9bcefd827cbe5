from decimal import Decimal

import pytest

from backend.extensions import db
from backend.models.inventory import Adjustment
from backend.models.ledger import StockMove
from tests.factories import assert_ledger_ok, on_hand, stock_in


def test_small_outgoing_adjustment_posts_at_once_with_reason_and_note(login, make_product, make_warehouse):
    p, w = make_product(), make_warehouse()
    stock_in(p, w, 10, cost="4")
    api = login("warehouse")
    r = api.post("/api/v1/adjustments", json={"warehouse_id": w.id, "reason": "damage", "note": "dropped",
                                              "lines": [{"product_id": p.id, "quantity": "-3"}]})
    assert r.status_code == 201, r.get_json()
    body = r.get_json()
    assert body["status"] == "posted" and body["number"].startswith("ADJ-")
    assert "value" not in body["lines"][0]  # the warehouse role sees no costs
    assert login("manager").get(f"/api/v1/adjustments/{body['id']}").get_json()["lines"][0]["value"] == "-12.0000"
    assert on_hand(p, w) == Decimal(7)
    move = db.session.get(StockMove, body["lines"][0]["move_id"])
    assert (move.kind, move.reason, move.doc_type, move.doc_id) == ("adjustment", "damage", "adjustment", body["id"])
    assert_ledger_ok()


def test_found_stock_comes_in_at_the_given_cost_and_opening_balance_uses_opening_kind(admin, make_product,
                                                                                        make_warehouse):
    p, w = make_product(), make_warehouse()
    r = admin.post("/api/v1/adjustments", json={"warehouse_id": w.id, "reason": "opening_balance",
                                                "lines": [{"product_id": p.id, "quantity": 5, "unit_cost": "2"}]})
    assert r.status_code == 201, r.get_json()
    assert db.session.get(StockMove, r.get_json()["lines"][0]["move_id"]).kind == "opening"
    r = admin.post("/api/v1/adjustments", json={"warehouse_id": w.id, "reason": "found",
                                                "lines": [{"product_id": p.id, "quantity": 5, "unit_cost": "4"}]})
    assert r.status_code == 201
    lvl = admin.get(f"/api/v1/stock?product_id={p.id}").get_json()["items"][0]
    assert (lvl["quantity"], lvl["avg_cost"], lvl["value"]) == ("10.0000", "3.0000", "30.0000")


@pytest.mark.parametrize("reason,qty", [("damage", "2"), ("found", "-2"), ("loss", "0"), ("sample", "1")])
def test_quantity_sign_must_match_the_reason(admin, make_product, make_warehouse, reason, qty):
    p, w = make_product(), make_warehouse()
    stock_in(p, w, 10)
    r = admin.post("/api/v1/adjustments", json={"warehouse_id": w.id, "reason": reason,
                                                "lines": [{"product_id": p.id, "quantity": qty}]})
    assert r.status_code == 422 and r.get_json()["code"] == "validation_error"
    assert db.session.query(Adjustment).count() == 0


@pytest.mark.parametrize("payload", [
    {}, {"warehouse_id": 1, "reason": "stolen", "lines": [{"product_id": 1, "quantity": -1}]},
    {"warehouse_id": 1, "reason": "loss", "lines": []},
    {"warehouse_id": "x", "reason": "loss", "lines": [{"product_id": 1, "quantity": -1}]},
    {"warehouse_id": 1, "reason": "loss", "lines": [{"product_id": 1, "quantity": "abc"}]},
])
def test_bad_adjustment_input_is_422_json(admin, payload):
    r = admin.post("/api/v1/adjustments", json=payload)
    assert r.status_code == 422
    assert set(r.get_json()) >= {"code", "status", "message", "errors"}


def test_unknown_product_or_warehouse_is_404(admin, make_product, make_warehouse):
    p, w = make_product(), make_warehouse()
    r = admin.post("/api/v1/adjustments", json={"warehouse_id": 999, "reason": "found",
                                                "lines": [{"product_id": p.id, "quantity": 1}]})
    assert r.status_code == 404
    r = admin.post("/api/v1/adjustments", json={"warehouse_id": w.id, "reason": "found",
                                                "lines": [{"product_id": 999, "quantity": 1}]})
    assert r.status_code == 404


def test_taking_out_more_than_on_hand_is_409_insufficient_stock_and_nothing_changes(admin, make_product,
                                                                                    make_warehouse):
    p, q, w = make_product(), make_product(), make_warehouse()
    stock_in(p, w, 5)
    stock_in(q, w, 1)
    r = admin.post("/api/v1/adjustments", json={"warehouse_id": w.id, "reason": "loss", "lines": [
        {"product_id": p.id, "quantity": -5}, {"product_id": q.id, "quantity": -2}]})
    assert r.status_code == 409 and r.get_json()["code"] == "insufficient_stock"
    assert on_hand(p, w) == 5 and on_hand(q, w) == 1
    assert db.session.query(Adjustment).count() == 0


def test_large_adjustment_waits_for_approval_by_someone_else(app, login, make_product, make_warehouse):
    p, w = make_product(purchase_price="100"), make_warehouse()
    stock_in(p, w, 100, cost="100")
    clerk, manager = login("warehouse"), login("manager")
    r = clerk.post("/api/v1/adjustments", json={"warehouse_id": w.id, "reason": "loss",
                                                "lines": [{"product_id": p.id, "quantity": -60}]})
    adj = r.get_json()
    assert r.status_code == 201 and adj["status"] == "pending_approval" and "total_value" not in adj
    assert manager.get(f"/api/v1/adjustments/{adj['id']}").get_json()["total_value"] == "6000.0000"
    assert on_hand(p, w) == 100
    # the clerk cannot approve (no permission): 403 and nothing changes
    r = clerk.post(f"/api/v1/adjustments/{adj['id']}/approve", json={"version": adj["version"]})
    assert r.status_code == 403
    # stale version → 409
    r = manager.post(f"/api/v1/adjustments/{adj['id']}/approve", json={"version": adj["version"] + 5})
    assert r.status_code == 409 and r.get_json()["code"] == "stale_version"
    r = manager.post(f"/api/v1/adjustments/{adj['id']}/approve", json={"version": adj["version"], "comment": "ok"})
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["status"] == "posted"
    assert on_hand(p, w) == 40
    # approving again is an illegal transition
    r = manager.post(f"/api/v1/adjustments/{adj['id']}/approve", json={"version": r.get_json()["version"]})
    assert r.status_code == 409 and r.get_json()["code"] == "invalid_transition"
    assert_ledger_ok()


def test_nobody_approves_their_own_adjustment_and_threshold_is_configurable(app, login, make_product,
                                                                            make_warehouse):
    p, w = make_product(), make_warehouse()
    stock_in(p, w, 10, cost="10")
    manager = login("manager")
    old = app.config["ADJUSTMENT_APPROVAL_THRESHOLD"]
    app.config["ADJUSTMENT_APPROVAL_THRESHOLD"] = Decimal(5)
    try:
        adj = manager.post("/api/v1/adjustments", json={"warehouse_id": w.id, "reason": "sample",
                                                        "lines": [{"product_id": p.id, "quantity": -1}]}).get_json()
    finally:
        app.config["ADJUSTMENT_APPROVAL_THRESHOLD"] = old
    assert adj["status"] == "pending_approval"
    r = manager.post(f"/api/v1/adjustments/{adj['id']}/approve", json={"version": adj["version"]})
    assert r.status_code == 403 and r.get_json()["code"] == "self_approval"
    other = login("manager")
    r = other.post(f"/api/v1/adjustments/{adj['id']}/reject", json={"version": adj["version"], "comment": "no"})
    assert r.status_code == 200 and r.get_json()["status"] == "rejected"
    assert on_hand(p, w) == 10


@pytest.mark.parametrize("role", ["sales", "purchaser", "finance"])
def test_roles_without_stock_adjust_get_403_and_nothing_changes(login, make_product, make_warehouse, role):
    p, w = make_product(), make_warehouse()
    stock_in(p, w, 10)
    r = login(role).post("/api/v1/adjustments", json={"warehouse_id": w.id, "reason": "loss",
                                                      "lines": [{"product_id": p.id, "quantity": -1}]})
    assert r.status_code == 403
    assert on_hand(p, w) == 10 and db.session.query(Adjustment).count() == 0


def test_warehouse_bound_users_adjust_and_see_only_their_warehouses(login, make_product, make_warehouse):
    p, mine, other = make_product(), make_warehouse(), make_warehouse()
    stock_in(p, mine, 5)
    stock_in(p, other, 5)
    api = login("warehouse", warehouses=[mine])
    r = api.post("/api/v1/adjustments", json={"warehouse_id": other.id, "reason": "loss",
                                              "lines": [{"product_id": p.id, "quantity": -1}]})
    assert r.status_code == 403 and r.get_json()["code"] == "warehouse_forbidden"
    assert on_hand(p, other) == 5
    assert api.post("/api/v1/adjustments", json={"warehouse_id": mine.id, "reason": "loss",
                                                 "lines": [{"product_id": p.id, "quantity": -1}]}).status_code == 201
    rows = api.get("/api/v1/stock").get_json()["items"]
    assert {r["warehouse_id"] for r in rows} == {mine.id}
    assert {m["warehouse_id"] for m in api.get("/api/v1/stock/moves").get_json()["items"]} == {mine.id}
    assert api.get("/api/v1/adjustments").get_json()["total"] == 1


def test_adjustment_writes_are_audited(admin, make_product, make_warehouse):
    from backend.models.audit import AuditLog

    p, w = make_product(), make_warehouse()
    r = admin.post("/api/v1/adjustments", json={"warehouse_id": w.id, "reason": "found",
                                                "lines": [{"product_id": p.id, "quantity": 2}]})
    assert r.status_code == 201
    rows = db.session.query(AuditLog).filter(AuditLog.entity_id == str(r.get_json()["id"])).all()
    assert "post" in {a.action for a in rows if "adjustment" in a.entity.lower()}


def test_stock_moves_are_immutable_through_the_ledger_guard(make_product, make_warehouse):
    from backend.models.ledger import ImmutableMove

    p, w = make_product(), make_warehouse()
    stock_in(p, w, 1)
    m = db.session.query(StockMove).first()
    m.note = "tampered"
    with pytest.raises(ImmutableMove):
        db.session.flush()
    db.session.rollback()
