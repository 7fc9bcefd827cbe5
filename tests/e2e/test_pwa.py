"""The PWA in real headless Chromium at 390×844: login and language, scanning, the offline app shell,
the outbox (offline op queued, synced exactly once) and conflicts."""
from __future__ import annotations

import re

import pytest

from .conftest import chromium_available, login, outbox_rows, wait_sw_ready

if not chromium_available():
    pytest.skip("Chromium (/usr/bin/chromium) or Playwright is not installed", allow_module_level=True)

from playwright.sync_api import expect  # noqa: E402

SCREWDRIVER = "6901234567892"
SCREWDRIVER_BOX = "16901234567899"  # pack of 12


def wedge_scan(page, code):
    """Type like a keyboard-wedge scanner: a fast burst of keys, then Enter."""
    page.keyboard.type(code, delay=5)
    page.keyboard.press("Enter")


def wait_catalog(page, n=1):
    """Wait until the offline catalog (IndexedDB) holds barcodes (pulled after login)."""
    page.wait_for_function("""(n) => new Promise((resolve) => {
      const r = indexedDB.open('jxc');
      r.onsuccess = () => { const q = r.result.transaction('barcodes').objectStore('barcodes').count();
        q.onsuccess = () => { r.result.close(); resolve(q.result >= n); }; };
      r.onerror = () => resolve(false);
    })""", arg=n, timeout=15000)


def test_login_in_chinese_then_switch_to_english(page, live_server):
    user = live_server.user("warehouse")
    page.goto("/")
    expect(page.get_by_test_id("login-submit")).to_have_text("登录")
    assert page.evaluate("document.documentElement.lang") == "zh-CN"
    page.get_by_test_id("password").fill("wrong-password")
    page.get_by_test_id("username").fill(user)
    page.get_by_test_id("login-submit").click()
    expect(page.locator("form [role=alert]")).to_have_text("用户名或密码错误")
    login(page, user)
    expect(page.locator("#title")).to_have_text("进销存")
    expect(page.get_by_test_id("tile-receive")).to_contain_text("采购收货")
    page.get_by_test_id("tile-settings").click()
    page.locator("button[data-lang=en]").click()
    expect(page.locator("#title")).to_have_text("Settings")
    assert page.evaluate("document.documentElement.lang") == "en"
    page.goto("/#/home")
    expect(page.get_by_test_id("tile-receive")).to_contain_text("Receive PO")
    expect(page.get_by_test_id("sync-now")).to_have_text("Sync now")
    assert page.errors == []


def test_home_shows_only_what_the_user_may_do(page, live_server):
    login(page, live_server.user("sales"))
    expect(page.get_by_test_id("tile-lookup")).to_be_visible()
    for hidden in ("receive", "ship", "stocktake", "adjustment", "approvals"):
        expect(page.get_by_test_id(f"tile-{hidden}")).to_have_count(0)
    page.goto("/#/adjustment")  # no permission: routed home
    expect(page.locator("#app")).to_have_attribute("data-view", "home")


def test_keyboard_wedge_scan_resolves_a_product(page, live_server):
    login(page, live_server.user("warehouse"))
    page.get_by_test_id("tile-lookup").click()
    expect(page.get_by_test_id("scan-input")).to_be_focused()
    wedge_scan(page, SCREWDRIVER)
    card = page.get_by_test_id("product-card")
    expect(card).to_contain_text("十字螺丝刀")
    expect(card).to_have_attribute("data-sku", "E2E-001")
    # a scanner burst while no field has focus is caught too (pack barcode: ×12)
    page.get_by_test_id("scan-input").blur()
    page.locator("#title").click()
    wedge_scan(page, SCREWDRIVER_BOX)
    expect(card).to_contain_text(re.compile(r"16901234567899\s*×12"))
    wedge_scan(page, "0000000000000")
    expect(page.get_by_test_id("unknown-code")).to_be_visible()


def test_service_worker_serves_the_app_shell_offline(page, context, live_server):
    login(page, live_server.user("warehouse"))
    wait_sw_ready(page)
    shell = page.evaluate("caches.keys()")
    assert any(k.startswith("jxc-shell-") for k in shell), shell
    context.set_offline(True)
    page.reload()
    expect(page.locator("#app")).to_have_attribute("data-view", "home")
    expect(page.get_by_test_id("tile-lookup")).to_be_visible()
    expect(page.locator("#net-banner")).to_be_visible()
    # the cached user is restored offline; scanning resolves from the IndexedDB catalog
    wait_catalog(page)
    page.get_by_test_id("tile-lookup").click()
    wedge_scan(page, SCREWDRIVER)
    expect(page.get_by_test_id("product-card")).to_contain_text("十字螺丝刀")
    context.set_offline(False)


def _adjust_offline(page, context, reason, code):
    wait_sw_ready(page)
    wait_catalog(page)
    context.set_offline(True)
    page.goto("/#/adjustment")
    page.get_by_test_id("adj-reason").select_option(reason)
    page.get_by_test_id("scan-input").focus()
    wedge_scan(page, code)
    expect(page.get_by_test_id("lines").locator("li[data-product]")).to_have_count(1)
    page.get_by_test_id("adj-submit").click()
    expect(page.locator("#sync-badge")).to_have_attribute("data-pending", "1")
    rows = outbox_rows(page)
    assert len(rows) == 1 and rows[0]["status"] == "pending" and rows[0]["type"] == "stock.adjust"
    return rows[0]


def test_an_offline_operation_is_queued_and_synced_exactly_once(page, context, live_server):
    wh1 = live_server.data["warehouses"]["WH1"]
    user = live_server.user("warehouse", warehouses=[wh1])
    login(page, user)
    op = _adjust_offline(page, context, "found", SCREWDRIVER)
    assert op["seq"] == 1 and op["payload"]["warehouse_id"] == wh1
    assert op["payload"]["lines"] == [{"product_id": live_server.data["products"]["E2E-001"], "quantity": "1"}]
    page.wait_for_timeout(300)
    assert outbox_rows(page)[0]["status"] == "pending"  # nothing leaves the device while offline

    context.set_offline(False)  # the `online` event replays the outbox
    expect(page.locator("#sync-badge")).to_have_attribute("data-pending", "0", timeout=15000)
    assert outbox_rows(page) == []
    api = live_server.client(user)
    recs = api.get("/api/v1/sync/ops", query_string={"op_id": op["op_id"]})["items"]
    assert [r["status"] for r in recs] == ["applied"]
    moves = api.get("/api/v1/stock/moves", query_string={"op_id": op["op_id"]})["items"]
    assert [(m["product_id"], m["quantity"]) for m in moves] == [(live_server.data["products"]["E2E-001"], "1.0000")]

    # replaying is harmless: "Sync now" and a second push of the same op do not apply it again
    page.goto("/#/home")
    page.get_by_test_id("sync-now").click()
    r = api.post("/api/v1/sync/push", json={"device_id": op["device_id"], "ops": [
        {k: op[k] for k in ("op_id", "device_id", "seq", "type", "payload", "client_time")}]})
    assert r.get_json()["results"][0]["status"] == "duplicate"
    assert len(api.get("/api/v1/stock/moves", query_string={"op_id": op["op_id"]})["items"]) == 1
    assert page.errors == []


def test_a_rejected_operation_shows_in_conflicts_and_is_kept(page, context, live_server):
    user = live_server.user("warehouse", warehouses=[live_server.data["warehouses"]["WH2"]])
    login(page, user)
    op = _adjust_offline(page, context, "damage", "6900000000017")  # nothing in stock: will be refused
    context.set_offline(False)
    expect(page.locator("#sync-badge")).to_have_attribute("data-rejected", "1", timeout=15000)
    rows = outbox_rows(page)
    assert [(r["op_id"], r["status"]) for r in rows] == [(op["op_id"], "rejected")]
    assert rows[0]["error"]["code"] == "insufficient_stock"
    page.locator("#sync-badge").click()
    conflict = page.get_by_test_id("conflict-list").locator(f'li[data-op-id="{op["op_id"]}"]')
    expect(conflict).to_contain_text("insufficient_stock")
    # still there after another sync: a rejected op is never dropped silently
    page.get_by_test_id("outbox-sync").click()
    expect(conflict).to_be_visible()
    # dismissing with a reason closes it on the server too
    page.once("dialog", lambda d: d.accept("counted wrong"))
    conflict.get_by_test_id("conflict-dismiss").click()
    expect(page.get_by_test_id("conflict-list").locator("li.op")).to_have_count(0)
    recs = live_server.client(user).get("/api/v1/sync/ops", query_string={"op_id": op["op_id"]})["items"]
    assert [(r["status"], r["dismiss_reason"]) for r in recs] == [("dismissed", "counted wrong")]
