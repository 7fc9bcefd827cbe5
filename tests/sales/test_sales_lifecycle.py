"""Sales order lifecycle through the API: approve, partial shipments (DN), invoice (INV), close."""
from __future__ import annotations

import re

from sqlalchemy import select

from backend.extensions import db
from backend.models.audit import AuditLog
from backend.models.ledger import StockMove
from tests.factories import D, level, ok, on_hand

NUM = r"^{}-\d{{8}}-\d{{4}}$"


def test_sell_approve_ship_in_two_parts_invoice_and_close(world, login, make_so):
    seller, boss, keeper, clerk = login("sales"), login("manager"), login("warehouse"), login("finance")
    p0, p1 = world.products[0], world.products[1]
    so = make_so(seller, [(0, "5", "25", "0", "0.13"), (1, "2", "40", "0.1", "0.13")])
    assert re.match(NUM.format("SO"), so["number"]) and so["status"] == "draft"
    assert (so["net_total"], so["tax_total"], so["total"]) == ("197.00", "25.61", "222.61")
    so = ok(seller.post(f"/api/v1/sales-orders/{so['id']}/submit", json={"version": so["version"]}))
    assert so["status"] == "submitted" and so["submitted_by_id"] == seller.user["id"]
    so = ok(boss.post(f"/api/v1/sales-orders/{so['id']}/approve", json={"version": so["version"], "comment": "好"}))
    assert so["status"] == "approved" and so["approvals"][0]["comment"] == "好"

    # first shipment: 3 of line 1 only
    l1 = so["lines"][0]
    dn1 = ok(keeper.post(f"/api/v1/sales-orders/{so['id']}/ship",
                         json={"version": so["version"], "lines": [{"line_id": l1["id"], "quantity": "3"}]}), 201)
    assert re.match(NUM.format("DN"), dn1["number"])
    assert "unit_cost" not in dn1["lines"][0] and "cost_total" not in dn1  # the warehouse role sees no costs
    dn1 = ok(boss.get(f"/api/v1/shipments/{dn1['id']}"))
    assert dn1["lines"][0]["unit_cost"] == "10.0000" and dn1["cost_total"] == "30.00"
    assert on_hand(p0, world.warehouse) == D("97")
    so = ok(keeper.get(f"/api/v1/sales-orders/{so['id']}"))
    assert so["status"] == "partially_shipped" and so["lines"][0]["shipped_qty"] == "3.0000"
    move = db.session.scalars(select(StockMove).where(StockMove.doc_type == "shipment")).one()
    assert (move.kind, move.quantity, move.doc_id, move.doc_line_id) == (
        "shipment", D("-3"), dn1["id"], dn1["lines"][0]["id"])
    assert move.value == D("-30")

    # finance invoices what has been shipped so far
    inv1 = ok(clerk.post(f"/api/v1/sales-orders/{so['id']}/invoice", json={"version": so["version"]}), 201)
    assert re.match(NUM.format("INV"), inv1["number"])
    assert [(ln["quantity"], ln["total_amount"]) for ln in inv1["lines"]] == [("3.0000", "84.75")]
    so = ok(clerk.get(f"/api/v1/sales-orders/{so['id']}"))
    assert so["status"] == "partially_shipped"

    # second shipment: everything still open
    dn2 = ok(keeper.post(f"/api/v1/sales-orders/{so['id']}/ship", json={"version": so["version"]}), 201)
    assert dn2["number"] != dn1["number"]
    assert sorted((ln["quantity"]) for ln in dn2["lines"]) == ["2.0000", "2.0000"]
    assert on_hand(p0, world.warehouse) == D("95") and on_hand(p1, world.warehouse) == D("98")
    so = ok(keeper.get(f"/api/v1/sales-orders/{so['id']}"))
    assert so["status"] == "shipped" and "margin" not in so  # the warehouse role sees no margin
    so = ok(clerk.get(f"/api/v1/sales-orders/{so['id']}"))
    assert so["margin"] == {"revenue": "197.00", "cost": "70.00", "margin": "127.00"}

    inv2 = ok(clerk.post(f"/api/v1/sales-orders/{so['id']}/invoice", json={"version": so["version"]}), 201)
    assert D(inv1["total"]) + D(inv2["total"]) == D(so["total"])
    so = ok(clerk.get(f"/api/v1/sales-orders/{so['id']}"))
    assert so["status"] == "invoiced"
    assert so["documents"]["shipments"] == [{"id": dn1["id"], "number": dn1["number"]},
                                            {"id": dn2["id"], "number": dn2["number"]}]
    so = ok(seller.post(f"/api/v1/sales-orders/{so['id']}/close", json={"version": so["version"]}))
    assert so["status"] == "closed" and so["actions"] == ["invoice", "return"]

    actions = set(db.session.scalars(select(AuditLog.action).where(AuditLog.entity == "sales_orders")))
    assert {"create", "submit", "approve", "ship", "invoice", "close"} <= actions


def test_shipping_more_than_on_hand_is_refused_and_nothing_changes(world, login, approved_so, stock_in):
    so, _, _ = approved_so([(0, "50", "25", "0", "0.13")])
    stock_in(world.products[0], world.warehouse, "-70", kind="adjustment")  # 30 left after approval
    keeper = login("warehouse")
    before = (db.session.query(StockMove).count(), db.session.query(AuditLog).count())
    r = keeper.post(f"/api/v1/sales-orders/{so['id']}/ship", json={"version": so["version"]})
    assert r.status_code == 409 and r.get_json()["code"] == "insufficient_stock"
    assert r.get_json()["errors"]["lines"][0]["available"] == "30.0000"
    assert (db.session.query(StockMove).count(), db.session.query(AuditLog).count()) == before
    assert on_hand(world.products[0], world.warehouse) == D("30")
    after = ok(keeper.get(f"/api/v1/sales-orders/{so['id']}"))
    assert (after["status"], after["version"], after["lines"][0]["shipped_qty"]) == ("approved", so["version"],
                                                                                     "0.0000")
    assert after["documents"]["shipments"] == []
    # what is on hand can still go
    line = after["lines"][0]["id"]
    ok(keeper.post(f"/api/v1/sales-orders/{so['id']}/ship",
                   json={"version": so["version"], "lines": [{"line_id": line, "quantity": "30"}]}), 201)
    assert level(world.products[0], world.warehouse).quantity == 0


def test_approval_is_refused_when_stock_on_hand_is_short(world, login, make_so):
    seller, boss = login("sales"), login("manager")
    so = make_so(seller, [(0, "101", "25", "0", "0.13")])
    so = ok(seller.post(f"/api/v1/sales-orders/{so['id']}/submit", json={"version": so["version"]}))
    r = boss.post(f"/api/v1/sales-orders/{so['id']}/approve", json={"version": so["version"]})
    assert r.status_code == 409 and r.get_json()["code"] == "insufficient_stock"
    assert r.get_json()["errors"]["lines"][0]["short"] == "1.0000"
    assert ok(boss.get(f"/api/v1/sales-orders/{so['id']}"))["status"] == "submitted"


def test_shipping_more_than_ordered_is_refused(world, login, approved_so):
    so, _, _ = approved_so()
    r = login("warehouse").post(f"/api/v1/sales-orders/{so['id']}/ship", json={
        "version": so["version"], "lines": [{"line_id": so["lines"][0]["id"], "quantity": "11"}]})
    assert r.status_code == 409 and r.get_json()["code"] == "over_ship"
    assert on_hand(world.products[0], world.warehouse) == D("100")


def test_illegal_transitions_are_409_invalid_transition(world, login, make_so, approved_so):
    seller = login("sales")
    draft = make_so(seller)
    r = login("warehouse").post(f"/api/v1/sales-orders/{draft['id']}/ship", json={"version": draft["version"]})
    assert r.status_code == 409 and r.get_json()["code"] == "invalid_transition"
    assert "submit" in r.get_json()["errors"]["allowed"]
    r = login("finance").post(f"/api/v1/sales-orders/{draft['id']}/invoice", json={"version": draft["version"]})
    assert r.get_json()["code"] == "invalid_transition"
    so, seller2, _ = approved_so()
    dn = ok(login("warehouse").post(f"/api/v1/sales-orders/{so['id']}/ship", json={
        "version": so["version"], "lines": [{"line_id": so["lines"][0]["id"], "quantity": "1"}]}), 201)
    cur = ok(seller2.get(f"/api/v1/sales-orders/{so['id']}"))
    r = seller2.post(f"/api/v1/sales-orders/{so['id']}/cancel", json={"version": cur["version"]})
    assert r.status_code == 409 and r.get_json()["code"] == "invalid_transition"  # something has shipped
    r = seller2.patch(f"/api/v1/sales-orders/{so['id']}", json={"version": cur["version"], "notes": "x"})
    assert r.status_code == 409 and r.get_json()["code"] == "invalid_transition"
    assert dn["number"]


def test_cancel_before_shipping(world, login, approved_so):
    so, seller, _ = approved_so()
    so = ok(seller.post(f"/api/v1/sales-orders/{so['id']}/cancel", json={"version": so["version"], "comment": "客户取消"}))
    assert so["status"] == "cancelled" and so["actions"] == []


def test_editing_after_submission_sends_the_order_back_to_draft(world, login, make_so):
    seller, boss = login("sales"), login("manager")
    so = make_so(seller)
    so = ok(seller.post(f"/api/v1/sales-orders/{so['id']}/submit", json={"version": so["version"]}))
    so = ok(boss.post(f"/api/v1/sales-orders/{so['id']}/approve", json={"version": so["version"]}))
    assert so["status"] == "approved"
    edited = ok(seller.patch(f"/api/v1/sales-orders/{so['id']}", json={
        "version": so["version"], "lines": [{"product_id": world.products[1].id, "quantity": "2"}]}))
    assert (edited["status"], edited["approval_level"], edited["submitted_by_id"]) == ("draft", 0, None)
    assert edited["lines"][0]["unit_price"] == "40.0000" and edited["lines"][0]["tax_rate"] == "0.1300"
    assert edited["total"] == "90.40"
    r = seller.patch(f"/api/v1/sales-orders/{so['id']}", json={"version": so["version"], "notes": "late"})
    assert r.status_code == 409 and r.get_json()["code"] == "stale_version"


def test_rejection_needs_a_reason_and_the_order_can_be_resubmitted(world, login, make_so):
    seller, boss = login("sales"), login("manager")
    so = make_so(seller)
    so = ok(seller.post(f"/api/v1/sales-orders/{so['id']}/submit", json={"version": so["version"]}))
    r = boss.post(f"/api/v1/sales-orders/{so['id']}/reject", json={"version": so["version"]})
    assert r.status_code == 422
    so = ok(boss.post(f"/api/v1/sales-orders/{so['id']}/reject", json={"version": so["version"], "reason": "价格太低"}))
    assert (so["status"], so["rejected_reason"]) == ("rejected", "价格太低")
    assert so["approvals"][-1]["decision"] == "reject"
    so = ok(seller.post(f"/api/v1/sales-orders/{so['id']}/submit", json={"version": so["version"]}))
    assert so["status"] == "submitted"


def test_printable_order_invoice_and_delivery_note_are_pdfs(world, login, approved_so):
    so, seller, _ = approved_so()
    dn = ok(login("warehouse").post(f"/api/v1/sales-orders/{so['id']}/ship", json={"version": so["version"]}), 201)
    so = ok(seller.get(f"/api/v1/sales-orders/{so['id']}"))
    inv = ok(login("finance").post(f"/api/v1/sales-orders/{so['id']}/invoice", json={"version": so["version"]}), 201)
    for url in (f"/api/v1/sales-orders/{so['id']}/pdf", f"/api/v1/invoices/{inv['id']}/pdf",
                f"/api/v1/shipments/{dn['id']}/pdf"):
        r = seller.get(url)
        assert r.status_code == 200 and r.mimetype == "application/pdf" and r.data.startswith(b"%PDF")
    assert seller.get("/api/v1/invoices/999/pdf").status_code == 404


def test_lists_and_documents_are_limited_to_the_users_warehouses(world, login, approved_so, make_warehouse,
                                                                 make_so):
    so, _, _ = approved_so()
    other = make_warehouse(name="分仓")
    keeper = login("warehouse", warehouses=[other])
    r = keeper.post(f"/api/v1/sales-orders/{so['id']}/ship", json={"version": so["version"]})
    assert r.status_code == 403 and r.get_json()["code"] == "warehouse_forbidden"
    assert keeper.get(f"/api/v1/sales-orders/{so['id']}").status_code == 403
    assert ok(keeper.get("/api/v1/sales-orders"))["total"] == 0
    assert on_hand(world.products[0], world.warehouse) == D("100")
    mine = login("warehouse", warehouses=[world.warehouse])
    assert ok(mine.get("/api/v1/sales-orders"))["total"] == 1
    ok(mine.post(f"/api/v1/sales-orders/{so['id']}/ship", json={"version": so["version"]}), 201)
    assert ok(keeper.get("/api/v1/shipments"))["total"] == 0
    assert ok(mine.get("/api/v1/shipments"))["total"] == 1
