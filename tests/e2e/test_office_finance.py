"""The finance office screens (issue 13 §1) in real headless Chromium at a phone (360×740) and a desk
(1280×800) viewport, through the UI only — the API is used to set the scene (goods shipped to a customer,
one of them invoiced last month) and to read the results:

- finance invoices a shipped order from the invoice screen (quantities shipped, not yet invoiced), opens
  the invoice PDF, records a partial payment from the invoice and then the rest in full (allocated to it),
  sees the customer on the receivables/ageing screen, and downloads the customer's 对账单 PDF for this month:
  its opening and closing balances are the API's (opening = last month's invoice);
- finance records an expense and uploads a receipt photo;
- each new screen is photographed (zh-CN) and checked with axe-core (no serious/critical violation);
  the screens are also opened in English.
"""
from __future__ import annotations

import io
import re
from datetime import date, timedelta
from decimal import Decimal

from e2e_helpers import login
from playwright.sync_api import expect
from test_office import SHOTS, go, make_page, pdf_text, ready, shot, vp  # noqa: F401


def _stock(live_server, sku, qty):
    from backend.context import Actor, acting_as
    from backend.extensions import db
    from backend.services import ledger

    with live_server.app.app_context(), acting_as(Actor(None, "e2e", "cli")):
        ledger.post([ledger.MoveSpec(live_server.data["products"][sku], live_server.data["warehouses"]["WH1"],
                                     Decimal(qty), "opening", unit_cost=Decimal(5))])
        db.session.commit()
        db.session.remove()


def _shipped_so(live_server, customer_id, qty, price):
    """A sales order made and submitted by sales, approved by a manager, shipped in full by the warehouse."""
    _stock(live_server, "E2E-001", qty)
    seller, boss, wh = (live_server.client(live_server.user(r)) for r in ("sales", "manager", "warehouse"))
    r = seller.post("/api/v1/sales-orders", json={"customer_id": customer_id, "warehouse_id": live_server.data["warehouses"]["WH1"],
                                                  "lines": [{"product_id": live_server.data["products"]["E2E-001"], "quantity": qty,
                                                             "unit_price": price, "tax_rate": "0.13"}]})
    assert r.status_code == 201, r.get_json()
    so = seller.post(f"/api/v1/sales-orders/{r.get_json()['id']}/submit", json={"version": r.get_json()["version"]}).get_json()
    so = boss.post(f"/api/v1/sales-orders/{so['id']}/approve", json={"version": so["version"]}).get_json()
    r = wh.post(f"/api/v1/sales-orders/{so['id']}/ship", json={"version": so["version"]})
    assert r.status_code == 201, r.get_json()
    return seller.get(f"/api/v1/sales-orders/{so['id']}")


def _scene(live_server, tag):
    admin = live_server.client(live_server.user("admin"))
    r = admin.post("/api/v1/customers", json={"code": f"C-F{tag}", "name": f"对账客户 {tag}", "payment_terms_days": 30})
    assert r.status_code == 201, r.get_json()
    cust = r.get_json()
    # last month: an order invoiced on the 10th (the statement's opening balance)
    old = _shipped_so(live_server, cust["id"], "2", "50")  # 100 + 13 = 113.00
    last_month = (date.today().replace(day=1) - timedelta(days=1)).replace(day=10)
    r = admin.post(f"/api/v1/sales-orders/{old['id']}/invoice", json={"version": old["version"], "invoice_date": last_month.isoformat()})
    assert r.status_code == 201, r.get_json()
    so = _shipped_so(live_server, cust["id"], "4", "25")  # 100 + 13 = 113.00, shipped, not invoiced
    return cust, so, admin


def _receipt_png():
    from PIL import Image, ImageDraw

    img = Image.new("RGB", (600, 800), "white")
    ImageDraw.Draw(img).text((40, 40), "RECEIPT 88.00", fill="black")
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return buf.getvalue()


def test_finance_invoices_a_shipped_order_takes_two_payments_and_prints_the_statement(make_page, live_server, vp):  # noqa: F811
    n = live_server.__dict__.setdefault("fin_n", [0])
    n[0] += 1
    tag = f"{vp[0].upper()}{n[0]}"
    cust, so, api = _scene(live_server, tag)
    cid = cust["id"]
    p = make_page()
    login(p, live_server.user("finance"))
    for tile in ("invoices", "payments", "balances", "statements", "expenses"):
        expect(p.get_by_test_id(f"tile-{tile}")).to_be_visible()
    shot(p, "fin-home")

    # ---- invoice the shipped order (all shipped, not yet invoiced: 4)
    p.get_by_test_id("tile-invoices").click()
    ready(p, "invoices")
    expect(p.get_by_test_id("invoices-list")).to_have_attribute("aria-busy", "false")
    shot(p, "fin-invoices-list")
    p.get_by_test_id("invoices-new").click()
    ready(p, "invoices")
    p.get_by_test_id("field-order_id").select_option(str(so["id"]))
    row = p.get_by_test_id("invoice-order-lines").locator("tbody tr")
    expect(row).to_have_count(1)
    expect(row.get_by_test_id("invoice-qty")).to_have_value("4")
    shot(p, "fin-invoice-new")
    p.get_by_test_id("form-save").click()
    expect(p.get_by_test_id("detail-title")).to_contain_text("INV-")
    expect(p.get_by_test_id("invoice-open")).to_contain_text("113.00")
    shot(p, "fin-invoice-detail")
    number = p.get_by_test_id("detail-title").inner_text()
    inv = api.get("/api/v1/invoices", query_string={"q": number})["items"][0]
    assert (inv["order_id"], inv["total"], inv["open_amount"]) == (so["id"], "113.00", "113.00")
    r = p.request.get(p.get_by_test_id("invoice-pdf").get_attribute("href"))
    assert r.status == 200 and number in pdf_text(r.body())

    # ---- a partial payment from the invoice, allocated to it
    p.get_by_test_id("invoice-pay").click()
    ready(p, "payments")
    items = p.get_by_test_id("open-items-table")
    alloc = items.locator(f'tr[data-doc="invoice:{inv["id"]}"] [data-testid=alloc-amount]')
    expect(alloc).to_have_value("113")
    p.get_by_test_id("field-amount").fill("50")
    alloc.fill("50")
    p.get_by_test_id("field-reference").fill(f"工行 {tag}")
    expect(p.get_by_test_id("alloc-sum")).to_contain_text("50.00")
    shot(p, "fin-payment-new")
    p.get_by_test_id("form-save").click()
    expect(p.get_by_test_id("detail-title")).to_contain_text("PAY-")
    expect(p.get_by_test_id("payment-allocations")).to_contain_text(number)
    shot(p, "fin-payment-detail")
    assert api.get(f"/api/v1/invoices/{inv['id']}")["open_amount"] == "63.00"

    # ---- the rest, in full: recorded first, allocated afterwards on the payment
    go(p, f"invoices/{inv['id']}", "invoices")
    expect(p.get_by_test_id("invoice-open")).to_contain_text("63.00")
    p.get_by_test_id("invoice-pay").click()
    ready(p, "payments")
    expect(p.get_by_test_id("field-amount")).to_have_value("63")
    expect(alloc).to_have_value("63")
    alloc.fill("")
    p.get_by_test_id("form-save").click()
    expect(p.get_by_test_id("detail-title")).to_contain_text("PAY-")
    panel = p.get_by_test_id("allocate-panel")
    expect(panel).to_contain_text("63.00")
    panel.locator(f'tr[data-doc="invoice:{inv["id"]}"] [data-testid=alloc-fill]').click()
    expect(panel.locator(f'tr[data-doc="invoice:{inv["id"]}"] [data-testid=alloc-amount]')).to_have_value("63.00")
    shot(p, "fin-payment-allocate")
    panel.get_by_test_id("allocate-submit").click()
    expect(p.get_by_test_id("allocate-panel")).to_have_count(0)
    expect(p.get_by_test_id("payment-allocations")).to_contain_text(number)
    assert api.get(f"/api/v1/invoices/{inv['id']}")["open_amount"] == "0.00"
    go(p, "payments")
    expect(p.get_by_test_id("payments-list")).to_have_attribute("aria-busy", "false")
    expect(p.get_by_test_id("payments-list")).to_contain_text(f"对账客户 {tag}")
    shot(p, "fin-payments-list")

    # ---- receivables with ageing: last month's invoice is still open
    go(p, "balances", "balances")
    shot(p, "fin-balances-list")
    go(p, f"balances/customer-{cid}", "balances")
    expect(p.get_by_test_id("ageing").locator(f'tr[data-partner="{cid}"]')).to_contain_text("113.00")
    expect(p.get_by_test_id("partner-open-items")).to_contain_text("113.00")
    shot(p, "fin-balances")

    # ---- the statement 对账单 for this month, on screen and as a PDF
    p.get_by_test_id("balance-statement").click()
    ready(p, "statements")
    p.get_by_test_id("st-month0").click()
    first, last = date.today().replace(day=1), (date.today().replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
    st = api.get(f"/api/v1/finance/statements/customer/{cid}", query_string={"date_from": first.isoformat(), "date_to": last.isoformat()})
    assert (st["opening"], st["documents"], st["payments"], st["closing"]) == ("113.00", "113.00", "113.00", "113.00")
    expect(p.get_by_test_id("st-opening")).to_have_text("113.00")
    expect(p.get_by_test_id("st-closing")).to_have_text(st["closing"])
    expect(p.get_by_test_id("statement-lines").locator("tbody tr")).to_have_count(3)
    shot(p, "fin-statement")
    href = p.get_by_test_id("statement-pdf").get_attribute("href")
    assert f"date_from={first.isoformat()}" in href and f"date_to={last.isoformat()}" in href
    r = p.request.get(href)
    assert r.status == 200 and r.headers["content-type"] == "application/pdf"
    text = pdf_text(r.body())
    opening = re.search(r"期初余额 Opening balance\s+([-\d.]+)", text)
    closing = re.search(r"期末余额 Closing balance \S+ Receivable\)\s+([-\d.]+)", text)
    assert opening and closing, text[:500]
    assert (opening.group(1), closing.group(1)) == (st["opening"], st["closing"])
    assert "对账单" in text and f"对账客户 {tag}" in text and number in text

    # ---- an expense with a receipt photo
    go(p, "expenses/new", "expenses")
    p.get_by_test_id("field-category").fill("运费")
    p.get_by_test_id("field-amount").fill("88")
    p.get_by_test_id("field-payee").fill(f"顺丰 {tag}")
    shot(p, "fin-expense-new")
    p.get_by_test_id("form-save").click()
    expect(p.get_by_test_id("detail-title")).to_contain_text("EXP-")
    expect(p.get_by_test_id("expense-no-receipt")).to_be_visible()
    p.get_by_test_id("expense-file").set_input_files(files=[{"name": "receipt.png", "mimeType": "image/png", "buffer": _receipt_png()}])
    expect(p.get_by_test_id("expense-receipt")).to_be_visible()
    p.wait_for_function("() => { const i = document.querySelector('[data-testid=expense-receipt]'); return i && i.complete && i.naturalWidth > 0; }")
    shot(p, "fin-expense-detail")
    exp = api.get("/api/v1/expenses", query_string={"q": f"顺丰 {tag}"})["items"][0]
    assert (exp["amount"], exp["category"], exp["attachment_type"]) == ("88.00", "运费", "image/png")
    go(p, "expenses")
    expect(p.get_by_test_id("expenses-list")).to_have_attribute("aria-busy", "false")
    shot(p, "fin-expenses-list")
    assert p.errors == []


def test_finance_screens_in_english_and_bad_periods_shown(make_page, live_server, vp):  # noqa: F811
    p = make_page()
    login(p, live_server.user("finance"))
    p.evaluate("localStorage.setItem('jxc.lang', 'en')")
    p.reload()
    p.wait_for_selector('#app[data-view=home][data-ready="1"]', state="attached")
    cid = live_server.data["customer"]
    for route, view, text in (("invoices", "invoices", "Invoice an order"), ("payments/new", "payments", "Record payment"),
                              ("balances/customer", "balances", "Receivables (customers)"), ("expenses/new", "expenses", "Category"),
                              (f"statements/customer-{cid}", "statements", "Opening balance")):
        go(p, route, view)
        expect(p.locator("#app")).to_contain_text(text)
        SHOTS.mkdir(parents=True, exist_ok=True)
        p.screenshot(path=str(SHOTS / f"en-fin-{view}-{vp}.png"), full_page=True)
    # a period that ends before it starts: the server's message, in English, on screen
    p.get_by_test_id("st-from").fill("2026-11-30")
    p.get_by_test_id("st-to").fill("2026-11-01")
    p.get_by_test_id("st-to").dispatch_event("change")
    expect(p.get_by_test_id("st-error")).to_contain_text("ends before it starts")
    assert p.errors == []


def test_a_payment_typed_offline_is_kept_and_saved_when_back_online(make_page, live_server, vp):  # noqa: F811
    from e2e_helpers import wait_sw_ready

    clerk = live_server.user("finance")
    p = make_page()
    login(p, clerk)
    wait_sw_ready(p)
    go(p, "payments/new", "payments")  # online once: the partner list is kept for offline use
    cust = live_server.data["customer"]
    p.get_by_test_id("field-partner").select_option(f"customer:{cust}")
    p.get_by_test_id("field-amount").fill("12.5")
    p.get_by_test_id("field-reference").fill(f"离线收款 {vp}")
    p.context.set_offline(True)
    expect(p.get_by_test_id("office-offline")).to_be_visible()
    p.get_by_test_id("form-save").click()
    expect(p.get_by_test_id("form-banner")).to_contain_text("没有网络")
    # the app restarts offline: the screen comes from the precache, the form from the draft
    p.reload()
    ready(p, "payments")
    expect(p.get_by_test_id("draft-restored")).to_be_visible()
    expect(p.get_by_test_id("field-partner")).to_have_value(f"customer:{cust}")
    expect(p.get_by_test_id("field-amount")).to_have_value("12.5")
    p.context.set_offline(False)
    p.get_by_test_id("form-save").click()
    expect(p.get_by_test_id("detail-title")).to_contain_text("PAY-")
    number = p.get_by_test_id("detail-title").inner_text()
    [pay] = live_server.client(clerk).get("/api/v1/payments", query_string={"q": number})["items"]
    assert (pay["amount"], pay["reference"], pay["partner_id"], pay["direction"]) == ("12.50", f"离线收款 {vp}", cust, "in")
    assert p.errors == []
