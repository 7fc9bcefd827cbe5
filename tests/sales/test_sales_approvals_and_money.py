"""Approvals (levels, self-approval, concurrency, inbox) and money arithmetic against hand-computed figures."""
from __future__ import annotations

import threading

from tests.factories import ok


def test_totals_discount_tax_and_half_up_rounding_match_hand_computed_figures(world, login, make_so):
    # line 1: 3 × 33.335 = 100.005 → 100.01; 5 % off = 5.0005 → 5.00; net 95.01; 13 % = 12.3513 → 12.35
    # line 2: 1 × 0.125 = 0.125 → 0.13; no discount; 6 % = 0.0078 → 0.01
    # line 3: 2 × 10.005 = 20.01; 13 % = 2.6013 → 2.60
    so = make_so(login("sales"), [(0, "3", "33.335", "0.05", "0.13"), (2, "1", "0.125", "0", "0.06"),
                                  (1, "2", "10.005", "0", "0.13")])
    l1, l2, l3 = so["lines"]
    assert (l1["gross_amount"], l1["discount_amount"], l1["net_amount"], l1["tax_amount"], l1["total_amount"]) == (
        "100.01", "5.00", "95.01", "12.35", "107.36")
    assert (l2["net_amount"], l2["tax_amount"], l2["total_amount"]) == ("0.13", "0.01", "0.14")
    assert (l3["net_amount"], l3["tax_amount"], l3["total_amount"]) == ("20.01", "2.60", "22.61")
    assert (so["subtotal"], so["discount_total"], so["net_total"], so["tax_total"], so["total"]) == (
        "120.15", "5.00", "115.15", "14.96", "130.11")
    assert so["tax_lines"] == [{"tax_rate": "0.0600", "base": "0.13", "tax": "0.01"},
                               {"tax_rate": "0.1300", "base": "115.02", "tax": "14.95"}]


def test_invoice_carries_number_tax_lines_and_totals_of_what_was_shipped(world, login, approved_so):
    so, _, _ = approved_so([(0, "7", "19.99", "0.15", "0.13"), (2, "4", "3.33", "0", "0.06")])
    keeper, clerk = login("warehouse"), login("finance")
    ok(keeper.post(f"/api/v1/sales-orders/{so['id']}/ship", json={
        "version": so["version"], "lines": [{"line_id": so["lines"][0]["id"], "quantity": "5"},
                                            {"line_id": so["lines"][1]["id"], "quantity": "4"}]}), 201)
    so = ok(clerk.get(f"/api/v1/sales-orders/{so['id']}"))
    inv = ok(clerk.post(f"/api/v1/sales-orders/{so['id']}/invoice",
                        json={"version": so["version"], "due_date": "2099-01-31"}), 201)
    # 5 × 19.99 = 99.95; 15 % = 14.9925 → 14.99; net 84.96; 13 % = 11.0448 → 11.04; total 96.00
    # 4 × 3.33 = 13.32; 6 % = 0.7992 → 0.80; total 14.12
    assert [(ln["quantity"], ln["net_amount"], ln["tax_amount"], ln["total_amount"]) for ln in inv["lines"]] == [
        ("5.0000", "84.96", "11.04", "96.00"), ("4.0000", "13.32", "0.80", "14.12")]
    assert (inv["net_total"], inv["tax_total"], inv["total"], inv["open_amount"]) == ("98.28", "11.84", "110.12",
                                                                                     "110.12")
    assert inv["tax_lines"] == [{"tax_rate": "0.0600", "base": "13.32", "tax": "0.80"},
                                {"tax_rate": "0.1300", "base": "84.96", "tax": "11.04"}]
    assert inv["due_date"] == "2099-01-31" and inv["order_number"] == so["number"]
    # nothing more to invoice until more is shipped
    so = ok(clerk.get(f"/api/v1/sales-orders/{so['id']}"))
    r = clerk.post(f"/api/v1/sales-orders/{so['id']}/invoice", json={"version": so["version"]})
    assert r.status_code == 409 and r.get_json()["code"] == "nothing_to_invoice"
    r = clerk.post(f"/api/v1/sales-orders/{so['id']}/invoice", json={
        "version": so["version"], "lines": [{"line_id": so["lines"][0]["id"], "quantity": "1"}]})
    assert r.status_code == 409 and r.get_json()["code"] == "over_invoice"
    assert ok(clerk.get("/api/v1/invoices"))["total"] == 1


def test_nobody_approves_an_order_they_submitted(world, login, make_so):
    boss = login("manager")
    so = make_so(boss)
    so = ok(boss.post(f"/api/v1/sales-orders/{so['id']}/submit", json={"version": so["version"]}))
    r = boss.post(f"/api/v1/sales-orders/{so['id']}/approve", json={"version": so["version"]})
    assert r.status_code == 403 and r.get_json()["code"] == "self_approval"
    r = boss.post(f"/api/v1/sales-orders/{so['id']}/reject", json={"version": so["version"], "reason": "x"})
    assert r.status_code == 403 and r.get_json()["code"] == "self_approval"
    assert ok(boss.get(f"/api/v1/sales-orders/{so['id']}"))["status"] == "submitted"


def test_large_orders_need_a_second_approval_by_another_person(world, login, make_so, stock_in):
    stock_in(world.products[1], world.warehouse, "2000", "30")
    seller, boss1, boss2 = login("sales"), login("manager"), login("manager")
    so = make_so(seller, [(1, "2000", "50", "0", "0.13")])  # 113,000.00 ≥ 100,000
    assert so["total"] == "113000.00" and so["levels_required"] == 2
    so = ok(seller.post(f"/api/v1/sales-orders/{so['id']}/submit", json={"version": so["version"]}))
    so = ok(boss1.post(f"/api/v1/sales-orders/{so['id']}/approve", json={"version": so["version"]}))
    assert (so["status"], so["approval_level"]) == ("submitted", 1)
    r = boss1.post(f"/api/v1/sales-orders/{so['id']}/approve", json={"version": so["version"]})
    assert r.status_code == 403 and r.get_json()["code"] == "same_approver"
    pending = ok(boss1.get("/api/v1/approvals/pending?doc_type=sales_order"))["items"]
    assert pending == []
    pending = ok(boss2.get("/api/v1/approvals/pending?doc_type=sales_order"))["items"]
    assert [(i["number"], i["level"], i["permission"]) for i in pending] == [
        (so["number"], 2, "sales.approve.high")]
    assert pending[0]["stock_impact"][0]["quantity"] == "-2000.0000"
    so = ok(boss2.post(f"/api/v1/sales-orders/{so['id']}/approve", json={"version": so["version"]}))
    assert (so["status"], so["approval_level"]) == ("approved", 2)
    assert [a["level"] for a in so["approvals"]] == [1, 2]


def test_the_inbox_lists_submitted_orders_for_approvers_but_not_for_the_submitter(world, login, make_so):
    seller, boss = login("sales"), login("manager")
    so = make_so(seller)
    so = ok(seller.post(f"/api/v1/sales-orders/{so['id']}/submit", json={"version": so["version"]}))
    assert ok(seller.get("/api/v1/approvals/pending"))["items"] == []
    items = ok(boss.get("/api/v1/approvals/pending"))["items"]
    assert [(i["doc_type"], i["doc_id"], i["amount"], i["version"]) for i in items] == [
        ("sales_order", so["id"], "282.50", so["version"])]


def test_concurrent_approvals_of_the_same_order_exactly_one_wins(world, login, make_so):
    seller = login("sales")
    so = make_so(seller)
    so = ok(seller.post(f"/api/v1/sales-orders/{so['id']}/submit", json={"version": so["version"]}))
    bosses = [login("manager") for _ in range(4)]
    barrier, results = threading.Barrier(len(bosses)), []

    def approve(api):
        barrier.wait()
        r = api.post(f"/api/v1/sales-orders/{so['id']}/approve", json={"version": so["version"]})
        results.append((r.status_code, (r.get_json() or {}).get("code")))

    threads = [threading.Thread(target=approve, args=(b,)) for b in bosses]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(s for s, _ in results) == [200, 409, 409, 409], results
    assert all(c == "stale_version" for s, c in results if s == 409)
    final = ok(seller.get(f"/api/v1/sales-orders/{so['id']}"))
    assert final["status"] == "approved" and len(final["approvals"]) == 1
