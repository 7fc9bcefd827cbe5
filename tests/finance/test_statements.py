"""Partner statements (对账单) and ageing: figures by hand, the PDF, permissions and bad input."""
from __future__ import annotations

import re
from datetime import date

from tests.factories import ok
from tests.purchasing.test_purchase_pdf import _inflate, _pdf_text

NOV = {"date_from": "2026-11-01", "date_to": "2026-11-30"}


def _invoice(login, approved_so, invoice_date, due_date, lines=((0, "10", "25", "0", "0.13"),)):
    so, seller, _ = approved_so(lines)
    ok(login("warehouse").post(f"/api/v1/sales-orders/{so['id']}/ship", json={"version": so["version"]}), 201)
    so = ok(seller.get(f"/api/v1/sales-orders/{so['id']}"))
    return ok(login("finance").post(f"/api/v1/sales-orders/{so['id']}/invoice", json={
        "version": so["version"], "invoice_date": invoice_date, "due_date": due_date}), 201)


def _pay(clerk, customer_id, amount, paid_on, direction="in", **kw):
    return ok(clerk.post("/api/v1/payments", json={"direction": direction, "partner_type": "customer",
                                                   "partner_id": customer_id, "amount": amount, "paid_on": paid_on, **kw}), 201)


def _world(login, approved_so, world):
    """October: INV 282.50, paid 100. November: INV 38.16, paid 200, refunded 10. December: paid 50."""
    inv1 = _invoice(login, approved_so, "2026-10-15", "2026-10-31")
    inv2 = _invoice(login, approved_so, "2026-11-05", "2026-12-05", [(2, "3", "12", "0", "0.06")])
    clerk = login("finance")
    cid = world.customer.id
    _pay(clerk, cid, "100", "2026-10-20", allocations=[{"doc_type": "invoice", "doc_id": inv1["id"], "amount": "100"}])
    pay = _pay(clerk, cid, "200", "2026-11-10", reference="工行 6222")
    _pay(clerk, cid, "10", "2026-11-20", direction="out")
    _pay(clerk, cid, "50", "2026-12-05")
    return clerk, inv1, inv2, pay


def test_a_customer_statement_carries_the_opening_balance_and_closes_on_documents_minus_payments(world, login, approved_so):
    clerk, _inv1, inv2, pay = _world(login, approved_so, world)
    s = ok(clerk.get(f"/api/v1/finance/statements/customer/{world.customer.id}", query_string=NOV))
    # opening = 282.50 − 100; documents = 38.16; payments = 200 − 10 (a refund adds back); closing = opening + docs − payments
    assert (s["opening"], s["documents"], s["payments"], s["closing"]) == ("182.50", "38.16", "190.00", "30.66")
    assert [(ln["date"], ln["number"], ln["debit"], ln["credit"], ln["balance"]) for ln in s["lines"]] == [
        ("2026-11-05", inv2["number"], "38.16", "0.00", "220.66"),
        ("2026-11-10", pay["number"], "0.00", "200.00", "20.66"),
        ("2026-11-20", s["lines"][2]["number"], "10.00", "0.00", "30.66")]
    assert s["lines"][1]["reference"] == "工行 6222" and s["lines"][2]["doc_type"] == "payment_out"
    # December opens where November closed; up to today the statement agrees with the balance
    dec = ok(clerk.get(f"/api/v1/finance/statements/customer/{world.customer.id}", query_string={"date_from": "2026-12-01"}))
    assert dec["opening"] == "30.66" and dec["payments"] == "50.00"
    [bal] = ok(clerk.get(f"/api/v1/finance/balances?partner_type=customer&partner_id={world.customer.id}"))
    assert dec["closing"] == bal["balance"] == "-19.34"


def test_the_statement_pdf_shows_the_same_figures(world, login, approved_so):
    clerk, _, inv2, pay = _world(login, approved_so, world)
    ok(login("admin").put("/api/v1/settings/company", json={"version": 0, "name": "杭州明远贸易有限公司",
                                                            "tax_id": "91330100MA2B000000"}))
    r = clerk.get(f"/api/v1/finance/statements/customer/{world.customer.id}/pdf", query_string=NOV)
    assert r.status_code == 200 and r.mimetype == "application/pdf"
    assert "ST-" in r.headers["Content-Disposition"]
    text = _pdf_text(b"".join(_inflate(s) for s in re.findall(rb"stream\r?\n(.*?)\s*endstream", r.data, re.DOTALL)))
    for word in ("杭州明远贸易有限公司", "91330100MA2B000000", "对账单", world.customer.name, "2026-11-01 ~ 2026-11-30", "182.50", "38.16", "190.00", "30.66",
                 inv2["number"], pay["number"], "220.66"):
        assert word in text, word


def test_ageing_puts_open_invoices_in_buckets_by_days_past_due(world, login, approved_so):
    clerk, *_ = _world(login, approved_so, world)
    r = ok(clerk.get("/api/v1/finance/ageing", query_string={"partner_type": "customer", "as_of": "2026-12-01"}))
    [row] = r["items"]
    # INV1 due 10-31 (31 days late on 12-01) has 182.50 open; INV2 due 12-05 is not due; 240 − 10 of payments unmatched
    assert (row["d31_60"], row["not_due"], row["d1_30"], row["open_total"]) == ("182.50", "38.16", "0.00", "220.66")
    assert (row["balance"], row["unallocated"]) == ("-19.34", "240.00")
    assert r["totals"]["balance"] == "-19.34"


def test_a_supplier_statement_counts_receipts_up_and_returns_and_payments_down(world, login, make_supplier):
    sup = make_supplier(name="上海五金")
    buyer, boss, keeper, clerk = login("purchaser"), login("manager"), login("warehouse"), login("finance")
    for direction, amount, day in (("out", "80", "2026-11-03"), ("in", "5", "2026-11-04")):
        ok(clerk.post("/api/v1/payments", json={"direction": direction, "partner_type": "supplier", "partner_id": sup.id,
                                                "amount": amount, "paid_on": day}), 201)
    s = ok(clerk.get(f"/api/v1/finance/statements/supplier/{sup.id}", query_string=NOV))
    assert (s["opening"], s["documents"], s["payments"], s["closing"]) == ("0.00", "0.00", "75.00", "-75.00")
    # this month: goods received (8 × 12.50 + 13 % = 113.00), 2 sent back (28.25), 50 paid
    po = ok(buyer.post("/api/v1/purchase-orders", json={
        "supplier_id": sup.id, "warehouse_id": world.warehouse.id,
        "lines": [{"product_id": world.products[0].id, "quantity": "10", "unit_price": "12.50", "tax_rate": "0.13"}]}), 201)
    po = ok(buyer.post(f"/api/v1/purchase-orders/{po['id']}/submit", json={"version": po["version"]}))
    po = ok(boss.post(f"/api/v1/purchase-orders/{po['id']}/approve", json={"version": po["version"]}))
    gr = ok(keeper.post(f"/api/v1/purchase-orders/{po['id']}/receive", json={
        "version": po["version"], "lines": [{"line_id": po["lines"][0]["id"], "quantity": "8"}]}), 201)
    po = ok(keeper.get(f"/api/v1/purchase-orders/{po['id']}"))
    pr = ok(keeper.post(f"/api/v1/purchase-orders/{po['id']}/returns", json={
        "version": po["version"], "lines": [{"receipt_line_id": gr["lines"][0]["id"], "quantity": "2"}]}), 201)
    pay = ok(clerk.post("/api/v1/payments", json={"direction": "out", "partner_type": "supplier", "partner_id": sup.id,
                                                  "amount": "50"}), 201)
    s = ok(clerk.get(f"/api/v1/finance/statements/supplier/{sup.id}", query_string={"date_from": date.today().replace(day=1).isoformat()}))
    assert (s["opening"], s["documents"], s["payments"], s["closing"]) == ("-75.00", "84.75", "50.00", "-40.25")
    assert [(ln["number"], ln["debit"], ln["credit"]) for ln in s["lines"]] == [
        (gr["number"], "113.00", "0.00"), (pr["number"], "0.00", "28.25"), (pay["number"], "0.00", "50.00")]
    [bal] = ok(clerk.get(f"/api/v1/finance/balances?partner_type=supplier&partner_id={sup.id}"))
    assert bal["balance"] == s["closing"]


def test_statements_need_finance_view_and_refuse_bad_input_with_json(world, login, make_supplier):
    cid = world.customer.id
    for role in ("warehouse", "sales", "purchaser"):
        for url in (f"/api/v1/finance/statements/customer/{cid}", f"/api/v1/finance/statements/customer/{cid}/pdf",
                    "/api/v1/finance/ageing"):
            r = login(role).get(url)
            assert r.status_code == 403 and r.get_json()["code"] == "forbidden", (role, url)
    clerk = login("finance")
    sup = make_supplier()
    cases = [
        (f"/api/v1/finance/statements/customer/{cid}?date_from=2026-11-30&date_to=2026-11-01", 422),
        (f"/api/v1/finance/statements/customer/{cid}/pdf?date_from=2026-11-30&date_to=2026-11-01", 422),
        (f"/api/v1/finance/statements/customer/{cid}?date_from=2026-13-01", 422),
        (f"/api/v1/finance/statements/customer/{cid}?date_from=1900-01-01&date_to=2026-11-01", 422),
        ("/api/v1/finance/statements/customer/99999", 404),
        ("/api/v1/finance/statements/supplier/99999/pdf", 404),
        (f"/api/v1/finance/statements/customer/{sup.id + 1000}", 404),
        ("/api/v1/finance/ageing?partner_type=bank", 422),
        ("/api/v1/finance/ageing?as_of=yesterday", 422),
    ]
    for url, status in cases:
        r = clerk.get(url)
        assert r.status_code == status, (url, r.status_code, r.get_json())
        assert set(r.get_json()) >= {"code", "status", "message", "errors"}, url
    assert login("manager").get(f"/api/v1/finance/statements/customer/{cid}").status_code == 200
