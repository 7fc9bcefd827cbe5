"""The manager's inbox on a 360×740 phone: one of each approvable kind with its detail, and an offline
approval of a document changed meanwhile ending in Conflicts as ``stale_version`` (the document unchanged).
Screenshots go to test-results/office-screens (inbox-*.png)."""
from __future__ import annotations

from decimal import Decimal

import pytest
from e2e_helpers import login, wait_sw_ready
from playwright.sync_api import expect
from test_office import AXE, SHOTS, axe

PHONE = {"width": 360, "height": 740}


@pytest.fixture
def phone(browser, live_server):
    ctx = browser.new_context(base_url=live_server.url, viewport=PHONE, device_scale_factor=2, is_mobile=True,
                              has_touch=True, locale="zh-CN", service_workers="allow", bypass_csp=True)
    ctx.set_default_timeout(15000)
    p = ctx.new_page()
    p.errors = []
    p.on("pageerror", lambda e: p.errors.append(str(e)))
    p.vp = "phone"
    yield ctx, p
    ctx.close()


def _ok(r, status=200):
    assert r.status_code == status, r.get_json()
    return r.get_json()


def _one_of_each(ls, stocktake=True) -> dict:
    """Through the API, by the people who would do it: PO, SO, large adjustment, stocktake, transfer."""
    d = ls.data
    wh1, wh2 = d["warehouses"]["WH1"], d["warehouses"]["WH2"]
    p1, p3 = d["products"]["E2E-001"], d["products"]["E2E-003"]
    buyer, seller, clerk = (ls.client(ls.user(r)) for r in ("purchaser", "sales", "warehouse"))
    for wh in (wh1, wh2):
        _ok(clerk.post("/api/v1/adjustments", json={"warehouse_id": wh, "reason": "found", "lines": [
            {"product_id": p1, "quantity": "30", "unit_cost": "5"}, {"product_id": p3, "quantity": "10", "unit_cost": "5"}]}), 201)
    po = _ok(buyer.post("/api/v1/purchase-orders", json={"supplier_id": d["supplier"], "warehouse_id": wh1, "lines": [
        {"product_id": p1, "quantity": "12", "unit_price": "4.8", "tax_rate": "0.13"}]}), 201)
    po = _ok(buyer.post(f"/api/v1/purchase-orders/{po['id']}/submit", json={"version": po["version"]}))
    so = _ok(seller.post("/api/v1/sales-orders", json={"customer_id": d["customer"], "warehouse_id": wh1, "lines": [
        {"product_id": p1, "quantity": "3", "unit_price": "9.9", "tax_rate": "0.13"}]}), 201)
    so = _ok(seller.post(f"/api/v1/sales-orders/{so['id']}/submit", json={"version": so["version"]}))
    adj = _ok(clerk.post("/api/v1/adjustments", json={"warehouse_id": wh1, "reason": "found", "note": "整托找到",
                                                      "lines": [{"product_id": p3, "quantity": "2000", "unit_cost": "5"}]}), 201)
    st = None
    if stocktake:  # one open stocktake per warehouse: the test cancels it at the end
        st = _ok(clerk.post("/api/v1/stocktakes", json={"warehouse_id": wh2}), 201)
        # 3 short of the book, whatever other tests on this shared server left in WH2
        book = sum(Decimal(r["quantity"]) for r in clerk.get(
            "/api/v1/stock", query_string={"product_id": p1, "warehouse_id": wh2})["items"])
        _ok(clerk.post(f"/api/v1/stocktakes/{st['id']}/counts", json={"product_id": p1, "quantity": str(book - 3)}), 201)
        st = clerk.get(f"/api/v1/stocktakes/{st['id']}")
        st = _ok(clerk.post(f"/api/v1/stocktakes/{st['id']}/submit", json={"version": st["version"]}))
    t = _ok(clerk.post("/api/v1/transfers", json={"from_warehouse_id": wh1, "to_warehouse_id": wh2,
                                                  "lines": [{"product_id": p3, "quantity": "5"}]}), 201)
    t = _ok(clerk.post(f"/api/v1/transfers/{t['id']}/ship", json={"version": t["version"]}))
    t = _ok(clerk.post(f"/api/v1/transfers/{t['id']}/receive", json={"version": t["version"], "complete": True, "lines": [
        {"line_id": t["lines"][0]["id"], "quantity": "4", "damaged_qty": "1"}]}))
    fin = ls.client(ls.user("finance"))
    exp = _ok(fin.post("/api/v1/expenses", json={"category": "房租", "amount": "8000.00", "payee": "房东"}), 201)
    docs = {"purchase_order": po, "sales_order": so, "adjustment": adj, "stocktake": st, "transfer": t, "expense": exp}
    return {k: v for k, v in docs.items() if v}, clerk


def _settle(ls, docs: dict) -> None:
    """Decide whatever a test left open, so the other e2e tests' approvals inbox stays short."""
    boss = ls.client(ls.user("manager"))
    paths = {"purchase_order": "purchase-orders", "sales_order": "sales-orders", "adjustment": "adjustments",
             "stocktake": "stocktakes", "transfer": "transfers", "expense": "expenses"}
    for kind, doc in docs.items():
        cur = boss.get(f"/api/v1/{paths[kind]}/{doc['id']}")
        base = f"/api/v1/{paths[kind]}/{doc['id']}"
        if kind == "transfer" and cur["status"] == "discrepancy":
            boss.post(f"{base}/resolve", json={"version": cur["version"], "resolutions": [
                {"discrepancy_id": d["id"], "resolution": "write_off"} for d in cur["discrepancies"]
                if not d.get("resolution")]})
        elif kind == "stocktake" and cur["status"] in ("counting", "submitted"):
            boss.post(f"{base}/cancel", json={"version": cur["version"]})
        elif cur["status"] in ("submitted", "pending_approval"):
            r = boss.post(f"{base}/reject", json={"version": cur["version"], "reason": "e2e"}
                          if kind in ("purchase_order", "sales_order") else {"version": cur["version"], "comment": "e2e"})
            assert r.status_code == 200, (kind, r.get_json())
    left = {(i["doc_type"], i["doc_id"]) for i in boss.get("/api/v1/approvals/pending")["items"]}
    assert not left & {(k, d["id"]) for k, d in docs.items()}, left


def test_the_inbox_lists_one_of_each_kind_with_its_detail_at_360(phone, live_server):
    _, page = phone
    docs, clerk = _one_of_each(live_server)
    try:
        _check_all_kinds(page, live_server, docs)
    finally:
        _settle(live_server, docs)


def _check_all_kinds(page, live_server, docs):
    login(page, live_server.user("manager"))
    page.goto("/#/approvals")
    page.locator('#app[data-view="approvals"][data-ready="1"]').wait_for()
    inbox = page.get_by_test_id("approvals")
    cards = {k: inbox.locator(f'li[data-doc="{k}:{d["id"]}"]') for k, d in docs.items()}
    for kind, card in cards.items():
        expect(card).to_contain_text(docs[kind]["number"])
        expect(card).to_contain_text("提交：")
    expect(cards["purchase_order"].get_by_test_id("inbox-lines")).to_contain_text("4.80")
    expect(cards["sales_order"].get_by_test_id("inbox-margin")).to_contain_text("毛利")
    expect(cards["sales_order"].get_by_test_id("inbox-credit")).to_contain_text("客户欠款")
    expect(cards["adjustment"].get_by_test_id("inbox-impact")).to_contain_text("+2000")
    expect(cards["stocktake"].get_by_test_id("inbox-variance")).to_contain_text("盘亏 -3")
    expect(cards["stocktake"].get_by_role("button", name="退回重盘")).to_be_visible()
    expect(cards["transfer"].get_by_test_id("inbox-lines")).to_contain_text("破损")
    expect(cards["transfer"].get_by_test_id("inbox-resolution")).to_be_visible()
    expect(cards["expense"]).to_contain_text("房租 · 房东")
    expect(cards["expense"]).to_contain_text("8000.00")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], "no sideways scrolling"
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "inbox-all-kinds-phone.png"), full_page=True)
    axe(page, "inbox")
    # settle the transfer from the phone: the 1 damaged goes back to the source
    cards["transfer"].get_by_test_id("inbox-resolution").select_option("return_to_source")
    cards["transfer"].get_by_role("button", name="处理差异").click()
    expect(cards["transfer"]).to_have_count(0)
    assert live_server.client(live_server.user("manager")).get(
        f"/api/v1/transfers/{docs['transfer']['id']}")["status"] == "done"
    assert not page.errors, page.errors
    assert AXE.exists()


def test_an_offline_approval_of_a_changed_document_ends_in_conflicts_as_stale(phone, live_server):
    ctx, page = phone
    docs, _ = _one_of_each(live_server, stocktake=False)
    try:
        _offline_stale(ctx, page, live_server, docs)
    finally:
        _settle(live_server, docs)


def _offline_stale(ctx, page, live_server, docs):
    buyer = live_server.client(live_server.user("manager"))
    seen = docs["purchase_order"]
    login(page, live_server.user("manager"))
    page.goto("/#/approvals")
    page.locator('#app[data-view="approvals"][data-ready="1"]').wait_for()
    card = page.get_by_test_id("approvals").locator(f'li[data-doc="purchase_order:{seen["id"]}"]')
    expect(card).to_contain_text(seen["number"])
    wait_sw_ready(page)  # the shell is precached: the reload below works offline
    ctx.set_offline(True)
    page.reload()  # the inbox opens offline from the copy kept on the phone
    page.locator('#app[data-view="approvals"][data-ready="1"]').wait_for()
    expect(page.get_by_test_id("inbox-banner")).to_contain_text("离线")
    card.locator("textarea").fill("同意采购")
    card.get_by_role("button", name="同意").click()
    expect(card.get_by_test_id("inbox-queued")).to_be_visible()
    # meanwhile the buyer raises the quantity and submits again
    po = _ok(buyer.http.patch(f"/api/v1/purchase-orders/{seen['id']}", headers={"X-CSRF-Token": buyer.csrf}, json={
        "version": seen["version"], "lines": [{"product_id": live_server.data["products"]["E2E-001"],
                                               "quantity": "120", "unit_price": "4.8", "tax_rate": "0.13"}]}))
    po = _ok(buyer.post(f"/api/v1/purchase-orders/{po['id']}/submit", json={"version": po["version"]}))
    ctx.set_offline(False)
    page.goto("/#/outbox")
    page.locator('#app[data-view="outbox"][data-ready="1"]').wait_for()
    conflict = page.get_by_test_id("conflict-list")
    expect(conflict).to_contain_text("stale_version", timeout=20000)
    expect(conflict.get_by_test_id("conflict-current")).to_contain_text(f"版本 {po['version']}")
    expect(conflict.get_by_test_id("conflict-current")).to_contain_text("120")
    page.screenshot(path=str(SHOTS / "inbox-stale-conflict-phone.png"), full_page=True)
    after = buyer.get(f"/api/v1/purchase-orders/{seen['id']}")
    assert (after["status"], after["version"], after["approval_level"]) == ("submitted", po["version"], 0)
    assert not page.errors, page.errors


def test_a_push_delivered_through_cdp_shows_the_notification_and_settings_choose_kinds(phone, live_server):
    import json
    import time

    ctx, page = phone
    ctx.grant_permissions(["notifications"], origin=live_server.url)
    name = live_server.user("manager")
    login(page, name)
    wait_sw_ready(page)
    cdp = ctx.new_cdp_session(page)
    regs: list[dict] = []
    cdp.on("ServiceWorker.workerRegistrationUpdated", lambda e: regs.extend(e["registrations"]))
    cdp.send("ServiceWorker.enable")
    for _ in range(50):
        if regs:
            break
        page.wait_for_timeout(100)
    reg = next(r for r in regs if r["scopeURL"].startswith(live_server.url) and not r.get("isDeleted"))
    msg = {"id": 1, "kind": "approval_pending", "title": "待您审批：采购单 PO-TEST-1", "body": "采购单 PO-TEST-1 等待您审批。",
           "url": "/#/approvals", "tag": "purchase_order:1"}
    cdp.send("ServiceWorker.deliverPushMessage", {"origin": live_server.url, "registrationId": reg["registrationId"],
                                                  "data": json.dumps(msg, ensure_ascii=False)})
    shown: list = []
    deadline = time.monotonic() + 10
    while not shown and time.monotonic() < deadline:
        shown = page.evaluate("""async () => (await (await navigator.serviceWorker.ready).getNotifications())
            .map(n => ({ title: n.title, body: n.body, tag: n.tag, data: n.data }))""")
        if not shown:
            page.wait_for_timeout(100)
    assert shown == [{"title": msg["title"], "body": msg["body"], "tag": msg["tag"],
                      "data": {"url": "/#/approvals", "kind": "approval_pending", "id": 1}}], shown
    # settings: the kinds this user wants
    page.goto("/#/settings")
    page.locator('#app[data-view="settings"][data-ready="1"]').wait_for()
    box = page.get_by_test_id("push-kinds").locator('input[data-kind="low_stock"]')
    expect(box).to_be_checked()
    with page.expect_response(lambda r: "/notifications/preferences" in r.url and r.request.method == "PUT"):
        box.uncheck()
    prefs = live_server.client(name).get("/api/v1/notifications/preferences")
    assert prefs["kinds"]["low_stock"] is False and prefs["kinds"]["approval_pending"] is True
    expect(page.get_by_test_id("push-toggle")).to_be_visible()
    page.screenshot(path=str(SHOTS / "settings-notifications-phone.png"), full_page=True)
    assert not page.errors, page.errors


def test_the_inbox_at_1280_in_english(browser, live_server):
    ctx = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 800}, locale="en-US",
                              service_workers="allow", bypass_csp=True)
    ctx.set_default_timeout(15000)
    page = ctx.new_page()
    page.vp = "desk"
    docs, _ = _one_of_each(live_server, stocktake=False)
    try:
        login(page, live_server.user("manager"))
        page.evaluate("localStorage.setItem('jxc.lang', 'en')")
        page.goto("/#/settings")
        page.locator('#app[data-view="settings"][data-ready="1"]').wait_for()
        page.locator('[data-lang="en"]').click()
        page.goto("/#/approvals")
        page.locator('#app[data-view="approvals"][data-ready="1"]').wait_for()
        so = page.get_by_test_id("approvals").locator(f'li[data-doc="sales_order:{docs["sales_order"]["id"]}"]')
        expect(so.get_by_test_id("inbox-margin")).to_contain_text("Margin")
        expect(so.get_by_test_id("inbox-credit")).to_contain_text("Customer owes")
        expect(so).to_contain_text("Submitted by")
        expect(so.get_by_test_id("inbox-lines")).to_contain_text("Phillips screwdriver")
        tr = page.get_by_test_id("approvals").locator(f'li[data-doc="transfer:{docs["transfer"]["id"]}"]')
        expect(tr.get_by_role("button", name="Settle discrepancies")).to_be_visible()
        page.screenshot(path=str(SHOTS / "inbox-desk-en.png"), full_page=False)
        axe(page, "inbox-en")
    finally:
        _settle(live_server, docs)
        ctx.close()
