"""The warehouse floor on a 360×740 phone (issue 14 §3 §4 §5): over-receipt warned at the scan that
exceeds the order and settled line by line ("submit what is allowed" posts the allowed quantity, the rest
stays open); a rejected over-receipt reads per line in Chinese under Conflicts; scans in progress survive
killing the browser and come back offline, and are posted exactly once."""
from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from e2e_helpers import CHROMIUM, CHROMIUM_ARGS, chromium_available, login, outbox_rows, wait_sw_ready

if not chromium_available():
    pytest.skip("Chromium (/usr/bin/chromium) or Playwright is not installed", allow_module_level=True)

from playwright.sync_api import expect

SCREWDRIVER = "6901234567892"  # E2E-001
GLOVES = "6900000000021"  # E2E-003
PHONE = {"width": 360, "height": 740}
SHOTS = Path(os.environ.get("JXC_E2E_SHOTS", "test-results/floor-screens"))
CTX = {"viewport": PHONE, "device_scale_factor": 2, "is_mobile": True, "has_touch": True, "locale": "zh-CN",
       "service_workers": "allow"}


@pytest.fixture
def context(browser, live_server):
    ctx = browser.new_context(base_url=live_server.url, **CTX)
    ctx.set_default_timeout(15000)
    yield ctx
    ctx.close()


def shot(page, name):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"))


def wedge_scan(page, code):
    page.keyboard.type(code, delay=5)
    page.keyboard.press("Enter")


def poll(page, js, arg=None, timeout=30.0):
    deadline = time.monotonic() + timeout
    while not page.evaluate(js, arg):
        assert time.monotonic() < deadline, f"timed out waiting for {js[:60]}…"
        page.wait_for_timeout(100)


STORE_JS = """([store]) => new Promise((resolve) => {
  const r = indexedDB.open('jxc');
  r.onsuccess = () => {
    const s = r.result.transaction(store).objectStore(store);
    const keys = s.getAllKeys(), vals = s.getAll();
    vals.onsuccess = () => { r.result.close(); resolve(keys.result.map((k, i) => [String(k), vals.result[i]])); };
  };
  r.onerror = () => resolve([]);
})"""


def wait_catalog(page):
    poll(page, f"async () => (await ({STORE_JS})(['barcodes'])).length > 0")


def wait_outbox_empty(page):
    poll(page, f"async () => (await ({STORE_JS})(['outbox'])).every(([, o]) => o.status !== 'pending')")


def open_receipt(page, po):
    page.get_by_test_id("tile-receive").click()
    page.locator('#app[data-view="receive"][data-ready="1"]').wait_for()
    page.get_by_test_id("receive-docs").get_by_text(po["number"]).click()
    expect(page.get_by_test_id("lines").locator("li[data-product]")).to_have_count(len(po["lines"]))


def feedback(page):
    return page.evaluate("() => window.__jxcFeedback || []")


def test_over_receipt_is_warned_at_the_third_scan_and_submit_what_is_allowed_posts_two(page, live_server):
    po = live_server.approved_po("WH1", [("E2E-001", "2"), ("E2E-003", "5")])
    sd, gloves = live_server.data["products"]["E2E-001"], live_server.data["products"]["E2E-003"]
    user = live_server.user("warehouse", warehouses=[live_server.data["warehouses"]["WH1"]])
    login(page, user)
    open_receipt(page, po)
    wait_catalog(page)
    line = page.get_by_test_id("lines").locator(f'li[data-product="{sd}"]')
    page.get_by_test_id("scan-input").focus()
    for n in (1, 2):
        wedge_scan(page, SCREWDRIVER)
        expect(line.locator("input")).to_have_value(str(n))
    assert feedback(page) == ["success", "success"]
    expect(page.locator("#toast.warn")).to_have_count(0)
    wedge_scan(page, SCREWDRIVER)  # the third: one more than ordered
    expect(line.locator("input")).to_have_value("3")
    expect(page.locator("#toast.warn")).to_contain_text("E2E-001")
    expect(line).to_have_class("line over last")  # marked over, highlighted as the last scanned
    assert feedback(page)[-1] == "warning"
    shot(page, "over-receipt-warning")
    wedge_scan(page, GLOVES)
    expect(page.get_by_test_id("lines").locator(f'li[data-product="{gloves}"] input')).to_have_value("1")
    page.get_by_test_id("receive-submit").click()
    panel = page.get_by_test_id("over-panel")
    expect(panel).to_be_visible()
    expect(panel.get_by_test_id("over-lines")).to_contain_text("E2E-001")
    expect(panel.get_by_test_id("over-lines")).to_contain_text("最多 2")
    shot(page, "over-receipt-offer")
    assert outbox_rows(page) == []  # nothing sent before the user chose
    panel.get_by_test_id("submit-allowed").click()
    page.locator('#app[data-view="receive"] [data-testid="receive-docs"]').wait_for()  # queued, back to the list
    wait_outbox_empty(page)
    after = live_server.client(user).get(f"/api/v1/purchase-orders/{po['id']}")
    assert after["status"] == "partially_received"  # the rest stays open
    assert {ln["product_id"]: ln["received_qty"] for ln in after["lines"]} == {sd: "2.0000", gloves: "1.0000"}
    assert len(after["receipts"]) == 1
    assert not page.errors


def test_a_rejected_over_receipt_shows_its_line_and_amounts_in_chinese_under_conflicts(page, context, live_server):
    po = live_server.approved_po("WH1", [("E2E-001", "2")])
    wh1 = live_server.data["warehouses"]["WH1"]
    user = live_server.user("warehouse", warehouses=[wh1])
    login(page, user)
    wait_sw_ready(page)
    open_receipt(page, po)
    wait_catalog(page)
    context.set_offline(True)
    page.get_by_test_id("scan-input").focus()
    wedge_scan(page, SCREWDRIVER)
    wedge_scan(page, SCREWDRIVER)
    page.get_by_test_id("receive-submit").click()  # 2 of 2: allowed on this phone
    poll(page, f"async () => (await ({STORE_JS})(['outbox'])).length === 1")
    # meanwhile a colleague receives 1 of that line on another device
    other = live_server.client(live_server.user("warehouse", warehouses=[wh1]))
    r = other.post(f"/api/v1/purchase-orders/{po['id']}/receive",
                   json={"version": po["version"], "lines": [{"line_id": po["lines"][0]["id"], "quantity": "1"}]})
    assert r.status_code == 201, r.get_json()
    context.set_offline(False)
    poll(page, f"async () => (await ({STORE_JS})(['outbox'])).some(([, o]) => o.status === 'rejected')")
    page.goto("/#/outbox")
    lines = page.get_by_test_id("conflict-lines")
    expect(lines).to_contain_text("第 1 行 E2E-001 十字螺丝刀：本次 2，最多允许 1（订购 2，已完成 1）")
    expect(page.get_by_test_id("conflict-error")).to_contain_text("over_receipt")
    expect(page.get_by_test_id("conflict-error")).to_contain_text("收货数量超过订购数量")
    assert "[object Object]" not in page.locator("main").inner_text()
    shot(page, "conflict-over-receipt")
    # a retry that fails again says the same, readable
    page.get_by_test_id("conflict-retry").click()
    expect(page.locator("#toast")).not_to_contain_text("[object Object]")
    after = live_server.client(user).get(f"/api/v1/purchase-orders/{po['id']}")
    assert after["lines"][0]["received_qty"] == "1.0000"  # the refused receipt posted nothing


def test_scans_survive_killing_the_browser_and_come_back_offline_then_post_once(browser, live_server, tmp_path):
    po = live_server.approved_po("WH1", [("E2E-001", "5")])
    sd = live_server.data["products"]["E2E-001"]
    user = live_server.user("warehouse", warehouses=[live_server.data["warehouses"]["WH1"]])
    profile = tmp_path / "profile"

    def launch():
        ctx = browser.browser_type.launch_persistent_context(
            str(profile), executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True, base_url=live_server.url, **CTX)
        ctx.set_default_timeout(15000)
        return ctx, (ctx.pages[0] if ctx.pages else ctx.new_page())

    ctx, page = launch()
    try:
        login(page, user)
        wait_sw_ready(page)
        open_receipt(page, po)
        wait_catalog(page)
        page.get_by_test_id("scan-input").focus()
        for _ in range(3):
            wedge_scan(page, SCREWDRIVER)
        expect(page.get_by_test_id("lines").locator(f'li[data-product="{sd}"] input')).to_have_value("3")
        # each scan is on disk already: no save button, no leaving the screen
        poll(page, f"async () => (await ({STORE_JS})(['meta'])).some(([k, v]) => k.includes(':receive:{po['id']}')"
                   " && v.lines && v.lines[0].qty === 3)")
    finally:
        ctx.close()  # the app is killed mid-receipt

    ctx, page = launch()
    try:
        ctx.set_offline(True)
        page.goto(f"/#/receive/{po['id']}")
        qty = page.get_by_test_id("lines").locator(f'li[data-product="{sd}"] input')
        expect(qty).to_have_value("3")
        expect(page.locator("#toast")).to_contain_text("已恢复")
        shot(page, "receipt-restored-offline")
        ctx.set_offline(False)
        page.get_by_test_id("receive-submit").click()
        page.get_by_test_id("receive-docs").wait_for()  # queued, back to the list
        wait_outbox_empty(page)
        page.goto(f"/#/receive/{po['id']}")
        page.reload()  # a draft handed to the outbox is gone: nothing is sent twice
        expect(page.get_by_test_id("lines").locator(f'li[data-product="{sd}"] input')).to_have_value("0")
        page.evaluate("() => window.dispatchEvent(new Event('online'))")
        page.wait_for_timeout(500)
        api = live_server.client(user)
        after = api.get(f"/api/v1/purchase-orders/{po['id']}")
        assert after["lines"][0]["received_qty"] == "3.0000" and len(after["receipts"]) == 1
        assert api.get("/api/v1/sync/ops", query_string={"status": "applied"})["total"] == 1
    finally:
        ctx.close()
