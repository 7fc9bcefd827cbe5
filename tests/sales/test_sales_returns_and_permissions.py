"""Sales returns at the original cost with credit notes; role × action table; bad input leaves data unchanged."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from backend.extensions import db
from backend.models.audit import AuditLog
from backend.models.ledger import StockMove
from backend.models.sales import SalesOrder
from tests.factories import D, level, ok


def test_a_return_comes_back_at_the_original_cost_with_a_credit_note_that_reduces_the_receivable(
        world, login, approved_so, stock_in):
    p0 = world.products[0]
    so, _, _ = approved_so([(0, "10", "25", "0.1", "0.13")])  # net 225.00, tax 29.25, total 254.25
    keeper, clerk = login("warehouse"), login("finance")
    dn = ok(keeper.post(f"/api/v1/sales-orders/{so['id']}/ship", json={"version": so["version"]}), 201)
    assert "unit_cost" not in dn["lines"][0]  # the warehouse role sees no costs
    assert ok(clerk.get(f"/api/v1/shipments/{dn['id']}"))["lines"][0]["unit_cost"] == "10.0000"
    stock_in(p0, world.warehouse, "90", "30")  # average now (90×10 + 90×30) / 180 = 20
    assert level(p0, world.warehouse).avg_cost == D("20")
    so = ok(clerk.get(f"/api/v1/sales-orders/{so['id']}"))
    inv = ok(clerk.post(f"/api/v1/sales-orders/{so['id']}/invoice", json={"version": so["version"]}), 201)
    assert inv["total"] == "254.25"

    so = ok(keeper.get(f"/api/v1/sales-orders/{so['id']}"))
    sr = ok(keeper.post(f"/api/v1/sales-orders/{so['id']}/returns", json={
        "version": so["version"], "reason": "包装破损",
        "lines": [{"shipment_line_id": dn["lines"][0]["id"], "quantity": "3"}]}), 201)
    assert sr["number"].startswith("SR-")
    assert "unit_cost" not in sr["lines"][0] and "cost_total" not in sr  # the warehouse role sees no costs
    move = db.session.scalars(select(StockMove).where(StockMove.kind == "return_in")).one()
    assert (move.quantity, move.unit_cost, move.value, move.doc_type, move.doc_id, move.doc_line_id) == (
        D("3"), D("10"), D("30"), "sales_return", sr["id"], sr["lines"][0]["id"])
    lvl = level(p0, world.warehouse)
    assert (lvl.quantity, lvl.value) == (D("183"), D("3630"))  # 180 × 20 + 3 × 10

    # credit note: 3 × 25 = 75.00; 10 % off = 7.50; net 67.50; 13 % = 8.775 → 8.78; total 76.28
    cn = sr["credit_note"]
    assert cn["number"].startswith("CN-")
    assert (cn["net_total"], cn["tax_total"], cn["total"]) == ("67.50", "8.78", "76.28")
    assert cn["open_amount"] == "0.00"  # applied to the open invoice
    assert ok(clerk.get(f"/api/v1/invoices/{inv['id']}"))["open_amount"] == "177.97"
    bal = ok(clerk.get(f"/api/v1/finance/balances?partner_type=customer&partner_id={world.customer.id}"))
    assert bal == [{"partner_type": "customer", "partner_id": world.customer.id, "code": world.customer.code,
                    "name": world.customer.name, "billed": "254.25", "credited": "76.28", "paid": "0.00",
                    "refunded": "0.00", "balance": "177.97"}]
    so = ok(keeper.get(f"/api/v1/sales-orders/{so['id']}"))
    assert so["lines"][0]["returned_qty"] == "3.0000"
    assert "margin" not in so  # the warehouse role sees no margin
    assert ok(clerk.get(f"/api/v1/sales-orders/{so['id']}"))["margin"] == {
        "revenue": "157.50", "cost": "70.00", "margin": "87.50"}
    assert ok(clerk.get(f"/api/v1/sales-returns/{sr['id']}"))["cost_total"] == "30.00"
    r = keeper.get(f"/api/v1/credit-notes/{cn['id']}/pdf")
    assert r.status_code == 200 and r.data.startswith(b"%PDF")
    assert ok(keeper.get(f"/api/v1/sales-returns/{sr['id']}"))["credit_note"]["id"] == cn["id"]

    # more than was shipped (minus what came back) is refused, nothing changes
    r = keeper.post(f"/api/v1/sales-orders/{so['id']}/returns", json={
        "version": so["version"], "lines": [{"shipment_line_id": dn["lines"][0]["id"], "quantity": "8"}]})
    assert r.status_code == 409 and r.get_json()["code"] == "over_return"
    assert level(p0, world.warehouse).quantity == D("183")


def test_returning_before_anything_shipped_is_an_invalid_transition(world, login, approved_so):
    so, _, _ = approved_so()
    r = login("warehouse").post(f"/api/v1/sales-orders/{so['id']}/returns", json={
        "version": so["version"], "lines": [{"shipment_line_id": 1, "quantity": "1"}]})
    assert r.status_code == 409 and r.get_json()["code"] == "invalid_transition"


# role × action: who may do what on sales and finance (and a sales user cannot approve purchases)
TABLE = [
    # (role, action, allowed)
    ("sales", "create_so", True), ("warehouse", "create_so", False), ("finance", "create_so", False),
    ("purchaser", "create_so", False),
    ("sales", "approve_so", False), ("warehouse", "approve_so", False), ("manager", "approve_so", True),
    ("sales", "approve_po", False),
    ("warehouse", "change_price", False), ("sales", "change_price", True),
    ("warehouse", "ship", True), ("sales", "ship", False), ("finance", "ship", False),
    ("finance", "invoice", True), ("sales", "invoice", False), ("warehouse", "invoice", False),
    ("finance", "payment", True), ("sales", "payment", False), ("warehouse", "payment", False),
    ("finance", "balances", True), ("sales", "balances", False), ("purchaser", "view_so", False),
    ("finance", "expense", True), ("manager", "expense", True), ("sales", "expense", False),
]


@pytest.mark.parametrize("role,action,allowed", TABLE)
def test_role_action_table(world, login, make_so, approved_so, role, action, allowed):
    seller = login("sales")
    draft = make_so(seller)
    so, _, _ = approved_so()
    if action == "invoice":
        ok(login("warehouse").post(f"/api/v1/sales-orders/{so['id']}/ship", json={"version": so["version"]}), 201)
        so = ok(seller.get(f"/api/v1/sales-orders/{so['id']}"))
    if action == "approve_so":
        draft = ok(seller.post(f"/api/v1/sales-orders/{draft['id']}/submit", json={"version": draft["version"]}))
    api = login(role)
    line = {"product_id": world.products[0].id, "quantity": "1", "unit_price": "1"}
    calls = {
        "create_so": lambda: api.post("/api/v1/sales-orders", json={
            "customer_id": world.customer.id, "warehouse_id": world.warehouse.id, "lines": [line]}),
        "approve_so": lambda: api.post(f"/api/v1/sales-orders/{draft['id']}/approve", json={"version": draft["version"]}),
        "approve_po": lambda: api.post("/api/v1/purchase-orders/1/approve", json={"version": 1}),
        "change_price": lambda: api.patch(f"/api/v1/sales-orders/{draft['id']}", json={
            "version": draft["version"], "lines": [line]}),
        "ship": lambda: api.post(f"/api/v1/sales-orders/{so['id']}/ship", json={"version": so["version"]}),
        "invoice": lambda: api.post(f"/api/v1/sales-orders/{so['id']}/invoice", json={"version": so["version"]}),
        "payment": lambda: api.post("/api/v1/payments", json={
            "direction": "in", "partner_type": "customer", "partner_id": world.customer.id, "amount": "10"}),
        "balances": lambda: api.get("/api/v1/finance/balances"),
        "view_so": lambda: api.get(f"/api/v1/sales-orders/{so['id']}"),
        "expense": lambda: api.post("/api/v1/expenses", json={"category": "运费", "amount": "10"}),
    }
    r = calls[action]()
    if allowed:
        assert r.status_code in (200, 201), (r.status_code, r.get_json())
    else:
        assert r.status_code == 403 and r.get_json()["code"] == "forbidden", (r.status_code, r.get_json())


BAD = [
    ("no lines", {"lines": []}),
    ("negative quantity", {"lines": [{"product_id": 0, "quantity": "-1"}]}),
    ("quantity not a number", {"lines": [{"product_id": 0, "quantity": "abc"}]}),
    ("discount 100 %", {"lines": [{"product_id": 0, "quantity": "1", "discount_rate": "1"}]}),
    ("tax rate above 1", {"lines": [{"product_id": 0, "quantity": "1", "tax_rate": "13"}]}),
    ("unknown product", {"lines": [{"product_id": 999999, "quantity": "1"}]}),
    ("unknown customer", {"customer_id": 999999}),
    ("huge quantity", {"lines": [{"product_id": 0, "quantity": "1e30"}]}),
    ("total sent by client", {"total": "1.00"}),
    ("wrong type", {"customer_id": "abc"}),
]


@pytest.mark.parametrize("name,patch", BAD, ids=[b[0] for b in BAD])
def test_bad_input_is_a_4xx_json_error_and_changes_nothing(world, login, name, patch):
    api = login("sales")
    body = {"customer_id": world.customer.id, "warehouse_id": world.warehouse.id,
            "lines": [{"product_id": world.products[0].id, "quantity": "1"}]}
    body.update(patch)
    for ln in body["lines"]:
        if ln.get("product_id") == 0:
            ln["product_id"] = world.products[0].id
    before = (db.session.query(SalesOrder).count(), db.session.query(AuditLog).count())
    r = api.post("/api/v1/sales-orders", json=body)
    assert 400 <= r.status_code < 500, r.status_code
    assert set(r.get_json()) >= {"code", "status", "message", "errors"}
    assert (db.session.query(SalesOrder).count(), db.session.query(AuditLog).count()) == before


def test_bad_transition_input_is_refused_without_changes(world, login, approved_so):
    so, _, _ = approved_so()
    keeper = login("warehouse")
    for body in ({}, {"version": "x"}, {"version": so["version"], "lines": [{"line_id": 99999, "quantity": "1"}]},
                 {"version": so["version"], "lines": [{"line_id": so["lines"][0]["id"], "quantity": "0"}]},
                 {"version": so["version"] + 5}):
        r = keeper.post(f"/api/v1/sales-orders/{so['id']}/ship", json=body)
        assert r.status_code in (409, 422), (body, r.status_code)
        assert r.get_json()["code"] in ("validation_error", "stale_version")
    r = keeper.post(f"/api/v1/sales-orders/{so['id']}/ship", data="{not json", content_type="application/json")
    assert r.status_code == 400 and r.get_json()["code"] == "malformed_json"
    assert db.session.query(StockMove).filter(StockMove.kind == "shipment").count() == 0
    assert ok(keeper.get(f"/api/v1/sales-orders/{so['id']}"))["version"] == so["version"]
    assert keeper.get("/api/v1/sales-orders/99999").status_code == 404


def test_a_return_before_invoicing_leaves_a_credit_that_settles_the_later_invoice(world, login, approved_so):
    so, _, _ = approved_so()  # 10 × 25 + 13 % = 282.50
    keeper, clerk = login("warehouse"), login("finance")
    dn = ok(keeper.post(f"/api/v1/sales-orders/{so['id']}/ship", json={"version": so["version"]}), 201)
    so = ok(keeper.get(f"/api/v1/sales-orders/{so['id']}"))
    sr = ok(keeper.post(f"/api/v1/sales-orders/{so['id']}/returns", json={
        "version": so["version"], "lines": [{"shipment_line_id": dn["lines"][0]["id"], "quantity": "2"}]}), 201)
    assert sr["credit_note"]["open_amount"] == "56.50"  # 2 × 25 + 13 %: nothing invoiced yet
    assert [(i["doc_type"], i["open"]) for i in ok(clerk.get("/api/v1/finance/receivables"))] == [
        ("credit_note", "-56.50")]
    so = ok(clerk.get(f"/api/v1/sales-orders/{so['id']}"))
    inv = ok(clerk.post(f"/api/v1/sales-orders/{so['id']}/invoice", json={"version": so["version"]}), 201)
    assert (inv["total"], inv["open_amount"]) == ("282.50", "226.00")
    assert [(i["doc_type"], i["open"]) for i in ok(clerk.get("/api/v1/finance/receivables"))] == [
        ("invoice", "226.00")]
