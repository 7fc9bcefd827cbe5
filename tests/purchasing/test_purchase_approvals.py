"""Approval thresholds, the self-approval rule and the approvals inbox."""
from decimal import Decimal

from backend.context import Actor, acting_as
from backend.models.approvals import ApprovalPolicy
from backend.services import crud
from tests.factories import ok

PO = "/api/v1/purchase-orders"
PENDING = "/api/v1/approvals/pending"


def _submitted(api, make_po, lines):
    po = make_po(api, lines)
    return ok(api.post(f"{PO}/{po['id']}/submit", json={"version": po["version"]}))


def test_below_50000_one_approval_is_enough(login, make_po):
    buyer, boss = login("purchaser"), login("manager")
    po = _submitted(buyer, make_po, [(0, "1", "49999.99", "0")])
    assert po["levels_required"] == 1
    po = ok(boss.post(f"{PO}/{po['id']}/approve", json={"version": po["version"]}))
    assert po["status"] == "approved" and po["approval_level"] == 1


def test_from_50000_a_second_approver_with_approve_high_is_needed(login, make_po):
    buyer, boss, other = login("purchaser"), login("manager"), login("admin")
    po = _submitted(buyer, make_po, [(0, "1", "50000", "0")])
    assert po["total"] == "50000.00" and po["levels_required"] == 2
    po = ok(boss.post(f"{PO}/{po['id']}/approve", json={"version": po["version"], "comment": "一审"}))
    assert po["status"] == "submitted" and po["approval_level"] == 1
    # the same person cannot grant the second level too
    r = boss.post(f"{PO}/{po['id']}/approve", json={"version": po["version"]})
    assert r.status_code == 403 and r.get_json()["code"] == "same_approver"
    assert ok(boss.get(PENDING))["total"] == 0
    (item,) = ok(other.get(PENDING))["items"]
    assert item["level"] == 2 and item["permission"] == "purchase.approve.high"
    po = ok(other.post(f"{PO}/{po['id']}/approve", json={"version": po["version"], "comment": "二审"}))
    assert po["status"] == "approved" and po["approved_by_id"] == other.user["id"]
    assert [(a["level"], a["user_id"], a["comment"]) for a in po["approvals"]] == [
        (1, boss.user["id"], "一审"), (2, other.user["id"], "二审")]
    assert all(a["at"] for a in po["approvals"])


def test_thresholds_compare_the_gross_total_including_tax(login, make_po):
    buyer = login("purchaser")
    po = _submitted(buyer, make_po, [(0, "1", "44247.79", "0.13")])  # 44247.79 + 5752.21 = 50000.00
    assert po["total"] == "50000.00" and po["levels_required"] == 2


def test_the_second_level_needs_its_permission(login, make_po):
    """With a policy demanding user.admin for level 2 (the issue's 'second approval by admin'), a manager is refused."""
    with acting_as(Actor(None, "test", "cli")):
        crud.create(ApprovalPolicy, {"doc_type": "purchase_order", "level": 1, "min_amount": Decimal(0),
                                     "permission": "purchase.approve"})
        crud.create(ApprovalPolicy, {"doc_type": "purchase_order", "level": 2, "min_amount": Decimal(50000),
                                     "permission": "user.admin"})
    buyer, m1, m2, admin = login("purchaser"), login("manager"), login("manager"), login("admin")
    po = _submitted(buyer, make_po, [(0, "2", "30000", "0")])
    po = ok(m1.post(f"{PO}/{po['id']}/approve", json={"version": po["version"]}))
    r = m2.post(f"{PO}/{po['id']}/approve", json={"version": po["version"]})
    assert r.status_code == 403 and r.get_json()["errors"] == {"permission": "user.admin", "level": 2}
    assert ok(m2.get(PENDING))["total"] == 0
    assert ok(admin.post(f"{PO}/{po['id']}/approve", json={"version": po["version"]}))["status"] == "approved"


def test_nobody_approves_an_order_they_submitted(login, make_po):
    boss, other = login("manager"), login("manager")
    po = _submitted(boss, make_po, [(0, "1", "10", "0")])
    r = boss.post(f"{PO}/{po['id']}/approve", json={"version": po["version"]})
    assert r.status_code == 403 and r.get_json()["code"] == "self_approval"
    r = boss.post(f"{PO}/{po['id']}/reject", json={"version": po["version"], "reason": "自己驳回"})
    assert r.status_code == 403 and r.get_json()["code"] == "self_approval"
    assert ok(boss.get(f"{PO}/{po['id']}"))["status"] == "submitted"
    assert ok(boss.get(PENDING))["total"] == 0
    assert ok(other.post(f"{PO}/{po['id']}/approve", json={"version": po["version"]}))["status"] == "approved"


def test_reject_needs_a_reason(login, make_po):
    buyer, boss = login("purchaser"), login("manager")
    po = _submitted(buyer, make_po, [(0, "1", "10", "0")])
    for body in ({"version": po["version"]}, {"version": po["version"], "reason": ""},
                 {"version": po["version"], "reason": "   "}):
        r = boss.post(f"{PO}/{po['id']}/reject", json=body)
        assert r.status_code == 422 and r.get_json()["code"] == "validation_error"
    assert ok(boss.get(f"{PO}/{po['id']}"))["status"] == "submitted"


def test_inbox_lists_what_the_user_may_approve_with_amount_and_stock_impact(login, make_po, world):
    buyer, boss, seller = login("purchaser"), login("manager"), login("sales")
    draft = make_po(buyer)
    po = _submitted(buyer, make_po, [(0, "10", "12.50", "0.13"), (1, "3", "100", "0")])
    items = ok(boss.get(PENDING))["items"]
    assert [i["doc_id"] for i in items] == [po["id"]] and draft["id"] not in [i["doc_id"] for i in items]
    (item,) = items
    assert item["doc_type"] == "purchase_order" and item["number"] == po["number"]
    assert item["amount"] == "441.25" and item["version"] == po["version"] and item["partner"] == world.supplier.name
    assert [(s["product_id"], s["quantity"], s["on_hand"], s["on_hand_after"]) for s in item["stock_impact"]] == [
        (world.products[0].id, "10.0000", "0.0000", "10.0000"), (world.products[1].id, "3.0000", "0.0000", "3.0000")]
    assert ok(buyer.get(PENDING))["total"] == 0  # no permission, and it's theirs anyway
    assert ok(seller.get(PENDING))["total"] == 0  # a sales user never sees purchases
    assert ok(boss.get(f"{PENDING}?doc_type=sales_order"))["total"] == 0
    ok(boss.post(f"{PO}/{po['id']}/approve", json={"version": item["version"]}))
    assert ok(boss.get(PENDING))["total"] == 0


def test_inbox_respects_the_approvers_warehouses(login, make_po, make_warehouse, world):
    buyer = login("purchaser")
    elsewhere = login("manager", warehouses=[make_warehouse()])
    here = login("manager", warehouses=[world.warehouse])
    _submitted(buyer, make_po, [(0, "1", "10", "0")])
    assert ok(elsewhere.get(PENDING))["total"] == 0
    assert ok(here.get(PENDING))["total"] == 1


def test_inbox_needs_login(client):
    r = client.get(PENDING)
    assert r.status_code == 401 and r.get_json()["code"] == "unauthenticated"
