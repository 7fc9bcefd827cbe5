"""Payments with (partial) allocations, receivables, payables and balances per customer and supplier."""
from __future__ import annotations

from backend.extensions import db
from backend.models.finance import Allocation, Payment
from tests.factories import ok


def _invoiced(login, approved_so, lines=((0, "10", "25", "0", "0.13"),)):
    """An order shipped and invoiced in full: returns the invoice JSON."""
    so, seller, _ = approved_so(lines)
    ok(login("warehouse").post(f"/api/v1/sales-orders/{so['id']}/ship", json={"version": so["version"]}), 201)
    so = ok(seller.get(f"/api/v1/sales-orders/{so['id']}"))
    return ok(login("finance").post(f"/api/v1/sales-orders/{so['id']}/invoice", json={"version": so["version"]}), 201)


def test_a_customer_pays_in_parts_and_the_balance_follows(world, login, approved_so):
    inv1 = _invoiced(login, approved_so)  # 282.50
    inv2 = _invoiced(login, approved_so, [(2, "3", "12", "0", "0.06")])  # 36 + 2.16 = 38.16
    clerk = login("finance")
    pay = ok(clerk.post("/api/v1/payments", json={
        "direction": "in", "partner_type": "customer", "partner_id": world.customer.id, "amount": "300",
        "method": "bank", "reference": "工行 6222…",
        "allocations": [{"doc_type": "invoice", "doc_id": inv1["id"], "amount": "200"}]}), 201)
    assert pay["number"].startswith("PAY-")
    assert (pay["amount"], pay["allocated"], pay["unallocated"]) == ("300.00", "200.00", "100.00")
    assert ok(clerk.get(f"/api/v1/invoices/{inv1['id']}"))["open_amount"] == "82.50"

    receivables = ok(clerk.get("/api/v1/finance/receivables"))
    assert [(i["number"], i["total"], i["open"]) for i in receivables] == [
        (inv1["number"], "282.50", "82.50"), (inv2["number"], "38.16", "38.16")]

    # allocating more than is left on the payment is refused and changes nothing
    r = clerk.post(f"/api/v1/payments/{pay['id']}/allocations", json={
        "version": pay["version"], "allocations": [{"doc_type": "invoice", "doc_id": inv1["id"], "amount": "82.50"},
                                                   {"doc_type": "invoice", "doc_id": inv2["id"], "amount": "38.16"}]})
    assert r.status_code == 409 and r.get_json()["code"] == "over_allocation"
    # more than the invoice's open amount is refused too
    r = clerk.post(f"/api/v1/payments/{pay['id']}/allocations", json={
        "version": pay["version"], "allocations": [{"doc_type": "invoice", "doc_id": inv1["id"], "amount": "82.51"}]})
    assert r.status_code == 409 and r.get_json()["code"] == "over_allocation"
    assert db.session.query(Allocation).count() == 1

    pay = ok(clerk.post(f"/api/v1/payments/{pay['id']}/allocations", json={
        "version": pay["version"], "allocations": [{"doc_type": "invoice", "doc_id": inv1["id"], "amount": "82.50"},
                                                   {"doc_type": "invoice", "doc_id": inv2["id"], "amount": "17.50"}]}))
    assert (pay["allocated"], pay["unallocated"], len(pay["allocations"])) == ("300.00", "0.00", 3)
    r = clerk.post(f"/api/v1/payments/{pay['id']}/allocations", json={
        "version": pay["version"] - 1, "allocations": [{"doc_type": "invoice", "doc_id": inv2["id"], "amount": "1"}]})
    assert r.status_code == 409 and r.get_json()["code"] == "stale_version"

    receivables = ok(clerk.get("/api/v1/finance/receivables"))
    assert [(i["number"], i["open"]) for i in receivables] == [(inv2["number"], "20.66")]
    bal = ok(clerk.get("/api/v1/finance/balances?partner_type=customer"))
    assert [(b["partner_id"], b["billed"], b["paid"], b["balance"]) for b in bal] == [
        (world.customer.id, "320.66", "300.00", "20.66")]


def test_allocations_must_fit_the_partner_and_document_kind(world, login, approved_so, make_customer, make_supplier):
    inv = _invoiced(login, approved_so)
    clerk = login("finance")
    other = make_customer(name="别的客户")
    base = {"direction": "in", "partner_type": "customer", "partner_id": other.id, "amount": "10"}
    cases = [
        ({**base, "allocations": [{"doc_type": "invoice", "doc_id": inv["id"], "amount": "5"}]}, 422),  # not theirs
        ({**base, "partner_id": world.customer.id, "direction": "out",
          "allocations": [{"doc_type": "invoice", "doc_id": inv["id"], "amount": "5"}]}, 422),  # paying out ≠ invoice
        ({**base, "partner_id": world.customer.id,
          "allocations": [{"doc_type": "invoice", "doc_id": inv["id"], "amount": "11"}]}, 409),  # > payment
        ({**base, "partner_id": world.customer.id,
          "allocations": [{"doc_type": "invoice", "doc_id": 99999, "amount": "5"}]}, 404),
        ({**base, "amount": "0"}, 422), ({**base, "amount": "-5"}, 422), ({**base, "amount": "abc"}, 422),
        ({**base, "partner_id": 99999}, 422), ({**base, "direction": "sideways"}, 422),
        ({**base, "partner_type": "supplier", "partner_id": make_supplier().id,
          "allocations": [{"doc_type": "invoice", "doc_id": inv["id"], "amount": "5"}]}, 422),
    ]
    for body, status in cases:
        r = clerk.post("/api/v1/payments", json=body)
        assert r.status_code == status, (body, r.status_code, r.get_json())
        assert set(r.get_json()) >= {"code", "status", "message", "errors"}
    assert db.session.query(Payment).count() == 0 and db.session.query(Allocation).count() == 0
    pay = ok(clerk.post("/api/v1/payments", json={**base, "amount": "0.125"}), 201)
    assert pay["amount"] == "0.13"  # ROUND_HALF_UP to cents


def test_payables_come_from_goods_receipts_minus_purchase_returns(world, login, make_supplier, make_product):
    supplier = make_supplier(name="上海五金")
    buyer, boss, keeper, clerk = login("purchaser"), login("manager"), login("warehouse"), login("finance")
    po = ok(buyer.post("/api/v1/purchase-orders", json={
        "supplier_id": supplier.id, "warehouse_id": world.warehouse.id,
        "lines": [{"product_id": world.products[0].id, "quantity": "10", "unit_price": "12.50", "tax_rate": "0.13"}]}),
        201)
    po = ok(buyer.post(f"/api/v1/purchase-orders/{po['id']}/submit", json={"version": po["version"]}))
    po = ok(boss.post(f"/api/v1/purchase-orders/{po['id']}/approve", json={"version": po["version"]}))
    gr = ok(keeper.post(f"/api/v1/purchase-orders/{po['id']}/receive", json={
        "version": po["version"], "lines": [{"line_id": po["lines"][0]["id"], "quantity": "8"}]}), 201)
    # 8 × 12.50 = 100.00 + 13 % = 113.00
    assert ok(clerk.get("/api/v1/finance/payables"))[0]["open"] == "113.00"
    po = ok(keeper.get(f"/api/v1/purchase-orders/{po['id']}"))
    pr = ok(keeper.post(f"/api/v1/purchase-orders/{po['id']}/returns", json={
        "version": po["version"], "lines": [{"receipt_line_id": gr["lines"][0]["id"], "quantity": "2"}]}), 201)
    # 2 × 12.50 = 25.00 + 3.25 = 28.25 reduces what is owed: applied to the order's open receipt at once
    payables = ok(clerk.get("/api/v1/finance/payables"))
    assert {(i["doc_type"], i["open"]) for i in payables} == {("receipt", "84.75")}
    again = clerk.post("/api/v1/finance/credit-applications", json={  # the return's credit is used up
        "source_type": "purchase_return", "source_id": pr["id"],
        "allocations": [{"doc_type": "receipt", "doc_id": gr["id"], "amount": "0.01"}]})
    assert again.status_code == 409, again.get_json()
    pay = ok(clerk.post("/api/v1/payments", json={
        "direction": "out", "partner_type": "supplier", "partner_id": supplier.id, "amount": "50",
        "allocations": [{"doc_type": "receipt", "doc_id": gr["id"], "amount": "50"}]}), 201)
    assert pay["unallocated"] == "0.00"
    assert [(i["number"], i["open"]) for i in ok(clerk.get("/api/v1/finance/payables"))] == [(gr["number"], "34.75")]
    bal = ok(clerk.get("/api/v1/finance/balances?partner_type=supplier"))
    assert [(b["billed"], b["credited"], b["paid"], b["balance"]) for b in bal] == [
        ("113.00", "28.25", "50.00", "34.75")]


def test_a_return_after_the_receipt_was_paid_stays_as_credit_with_the_supplier(world, login, make_supplier):
    supplier = make_supplier(name="广州电子")
    buyer, boss, keeper, clerk = login("purchaser"), login("manager"), login("warehouse"), login("finance")
    po = ok(buyer.post("/api/v1/purchase-orders", json={
        "supplier_id": supplier.id, "warehouse_id": world.warehouse.id,
        "lines": [{"product_id": world.products[0].id, "quantity": "4", "unit_price": "10", "tax_rate": "0"}]}), 201)
    po = ok(buyer.post(f"/api/v1/purchase-orders/{po['id']}/submit", json={"version": po["version"]}))
    po = ok(boss.post(f"/api/v1/purchase-orders/{po['id']}/approve", json={"version": po["version"]}))
    gr = ok(keeper.post(f"/api/v1/purchase-orders/{po['id']}/receive", json={
        "version": po["version"], "lines": [{"line_id": po["lines"][0]["id"], "quantity": "4"}]}), 201)
    ok(clerk.post("/api/v1/payments", json={
        "direction": "out", "partner_type": "supplier", "partner_id": supplier.id, "amount": "40",
        "allocations": [{"doc_type": "receipt", "doc_id": gr["id"], "amount": "40"}]}), 201)
    po = ok(keeper.get(f"/api/v1/purchase-orders/{po['id']}"))
    ok(keeper.post(f"/api/v1/purchase-orders/{po['id']}/returns", json={
        "version": po["version"], "lines": [{"receipt_line_id": gr["lines"][0]["id"], "quantity": "1"}]}), 201)
    payables = ok(clerk.get(f"/api/v1/finance/payables?partner_id={supplier.id}"))
    assert [(i["doc_type"], i["open"]) for i in payables] == [("purchase_return", "-10.00")]
    [bal] = [b for b in ok(clerk.get("/api/v1/finance/balances?partner_type=supplier"))
             if b["partner_id"] == supplier.id]
    assert (bal["billed"], bal["credited"], bal["paid"], bal["balance"]) == ("40.00", "10.00", "40.00", "-10.00")
