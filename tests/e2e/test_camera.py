"""Camera and photos on every phone (issue 14 §2, issue 16 §5): the ZXing WebAssembly polyfill reads a
(fake) camera where the browser has no BarcodeDetector, with nothing fetched from outside this machine;
a photo is decoded on the phone — offline too — on receive, ship, transfer and adjust, and applied once
when back online; a photo the phone cannot read travels with its op; a photo with two products' codes
lets the user tap the one meant."""
from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from e2e_helpers import CHROMIUM, CHROMIUM_ARGS, VIEWPORT, chromium_available, login, outbox_rows, wait_sw_ready

if not chromium_available():
    pytest.skip("Chromium (/usr/bin/chromium) or Playwright is not installed", allow_module_level=True)

import numpy as np
from playwright.sync_api import expect
from test_pwa import open_tile, wait_catalog, wait_outbox_empty

SCREWDRIVER = "6901234567892"  # E2E-001
TAPE, GLOVES = "6900000000014", "6900000000021"  # E2E-002, E2E-003
PHOTO = Path(__file__).resolve().parents[1] / "scan" / "fixtures" / "ean13_clean.jpg"  # a photo of 6901234567892
NO_NATIVE_DETECTOR = "delete window.BarcodeDetector;"  # as on iOS Safari / Firefox: the polyfill must do it
LOCAL = {"127.0.0.1", "localhost"}


def barcode_image(code: str) -> np.ndarray:
    """An EAN-13 as an RGB array (python-barcode's renderer)."""
    import barcode
    from barcode.writer import ImageWriter

    im = barcode.get("ean13", code[:12], writer=ImageWriter()).render(
        {"module_width": 0.4, "module_height": 15, "quiet_zone": 6, "font_size": 10, "text_distance": 5, "dpi": 200})
    return np.asarray(im.convert("RGB"))


def on_white(images: list[np.ndarray], w: int, h: int) -> np.ndarray:
    """The images side by side, centred on a white w×h frame."""
    frame = np.full((h, w, 3), 255, np.uint8)
    gap = 60
    x = (w - sum(i.shape[1] for i in images) - gap * (len(images) - 1)) // 2
    for im in images:
        y = (h - im.shape[0]) // 2
        frame[y:y + im.shape[0], x:x + im.shape[1]] = im
        x += im.shape[1] + gap
    return frame


def write_y4m(path: Path, rgb: np.ndarray, frames: int = 10) -> Path:
    """A Y4M video (YUV 4:2:0, what Chromium's fake capture device reads) showing one picture."""
    import cv2

    h, w = rgb.shape[:2]
    i420 = cv2.cvtColor(rgb, cv2.COLOR_RGB2YUV_I420).tobytes()
    with open(path, "wb") as f:
        f.write(f"YUV4MPEG2 W{w} H{h} F10:1 Ip A1:1 C420jpeg\n".encode())
        for _ in range(frames):
            f.write(b"FRAME\n" + i420)
    return path


def guard_network(ctx) -> list[str]:
    """Every request not to this machine is aborted and recorded: the test fails on any."""
    outside: list[str] = []

    def handle(route):
        if urlsplit(route.request.url).hostname in LOCAL:
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    ctx.route("**/*", handle)
    return outside


def test_the_polyfill_reads_a_fake_camera_and_nothing_is_fetched_from_outside(browser, live_server, tmp_path):
    video = write_y4m(tmp_path / "ean13.y4m", on_white([barcode_image(SCREWDRIVER)], 640, 480))
    cam_browser = browser.browser_type.launch(executable_path=CHROMIUM, headless=True, args=[
        *CHROMIUM_ARGS, "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
        f"--use-file-for-fake-video-capture={video}"])
    try:
        ctx = cam_browser.new_context(base_url=live_server.url, viewport=VIEWPORT, is_mobile=True, has_touch=True,
                                      locale="zh-CN", service_workers="allow")
        outside = guard_network(ctx)
        ctx.add_init_script(NO_NATIVE_DETECTOR)
        page = ctx.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        fetched: list[str] = []
        page.on("request", lambda r: fetched.append(r.url))
        wh1, wh2 = live_server.data["warehouses"]["WH1"], live_server.data["warehouses"]["WH2"]
        login(page, live_server.user("warehouse", warehouses=[wh1, wh2]))
        wait_sw_ready(page)
        assert page.evaluate("() => 'BarcodeDetector' in window") is False
        open_tile(page, "transfer")
        page.get_by_test_id("scan-camera").click()
        pid = live_server.data["products"]["E2E-001"]
        qty = page.get_by_test_id("lines").locator(f'li[data-product="{pid}"] input')
        expect(qty).to_have_value("1", timeout=30000)
        expect(page.locator(".camera")).to_have_attribute("data-detector", "polyfill")
        expect(page.locator(".camera")).to_have_attribute("data-thread", "worker")  # decoding never blocks the page
        # the camera keeps seeing the same code: one scan, not one per frame (duplicate-read debounce)
        page.wait_for_timeout(3000)
        expect(qty).to_have_value("1")
        expect(page.locator(".camera")).to_be_visible()  # continuous: still scanning
        assert any(u == f"{live_server.url}/vendor/barcode-detector/zxing_reader.wasm" for u in fetched), fetched
        assert outside == [] and errors == []
        ctx.close()
    finally:
        cam_browser.close()


def decode_requests(page) -> list[str]:
    got: list[str] = []
    page.on("request", lambda r: got.append(r.url) if "/scan/decode" in r.url else None)
    return got


def photo_offline(page, context, pid, path=PHOTO):
    """Go offline, take the photo: the phone decodes it and the product's line gets its scan."""
    context.set_offline(True)
    page.locator("input[type=file]").set_input_files(str(path))
    line = page.get_by_test_id("lines").locator(f'li[data-product="{pid}"] input')
    expect(line).not_to_have_value("0")
    return line


def queued(page, n=1):
    expect(page.locator("#sync-badge")).to_have_attribute("data-pending", str(n))


def synced_once(page, context, live_server, user, op):
    """Back online: the op is pushed and applied exactly once (a second push is a duplicate)."""
    assert "photos" not in op and "photo" not in str(op["payload"])  # decoded on the phone: no photo travels
    context.set_offline(False)
    wait_outbox_empty(page)
    api = live_server.client(user)
    recs = api.get("/api/v1/sync/ops", query_string={"op_id": op["op_id"]})["items"]
    assert [r["status"] for r in recs] == ["applied"], recs
    r = api.post("/api/v1/sync/push", json={"device_id": op["device_id"], "ops": [
        {k: op[k] for k in ("op_id", "device_id", "seq", "type", "payload", "client_time")}]})
    assert r.get_json()["results"][0]["status"] == "duplicate"
    return api


@pytest.fixture
def phone(page, context):
    """A phone without the native detector (so the polyfill runs here whatever Chromium offers)."""
    context.add_init_script(NO_NATIVE_DETECTOR)
    page.outside = guard_network(context)
    return page


def test_an_offline_photo_on_receive_is_decoded_on_the_phone_and_applied_once(phone, context, live_server):
    page = phone
    po = live_server.approved_po("WH1", [("E2E-001", "5")])
    user = live_server.user("warehouse", warehouses=[live_server.data["warehouses"]["WH1"]])
    decodes = decode_requests(page)
    login(page, user)
    wait_sw_ready(page)
    wait_catalog(page)
    open_tile(page, "receive")
    page.get_by_test_id("receive-docs").get_by_text(po["number"]).click()
    pid = live_server.data["products"]["E2E-001"]
    expect(photo_offline(page, context, pid)).to_have_value("1")
    page.get_by_test_id("receive-submit").click()
    queued(page)
    [op] = outbox_rows(page)
    assert op["type"] == "po.receive" and [ln["quantity"] for ln in op["payload"]["lines"]] == ["1"]
    api = synced_once(page, context, live_server, user, op)
    after = api.get(f"/api/v1/purchase-orders/{po['id']}")
    assert {ln["product_id"]: ln["received_qty"] for ln in after["lines"]}[pid] == "1.0000"
    assert decodes == [] and page.outside == [] and page.errors == []


def test_an_offline_photo_on_ship_is_decoded_on_the_phone_and_applied_once(phone, context, live_server):
    page = phone
    wh = live_server.data["warehouses"]["WH2"]
    pid = live_server.data["products"]["E2E-001"]
    a, b = live_server.client(live_server.user("manager")), live_server.client(live_server.user("manager"))
    assert a.post("/api/v1/adjustments", json={"warehouse_id": wh, "reason": "found",
                                               "lines": [{"product_id": pid, "quantity": "5"}]}).status_code == 201
    so = a.post("/api/v1/sales-orders", json={"customer_id": live_server.data["customer"], "warehouse_id": wh,
                                              "lines": [{"product_id": pid, "quantity": "2"}]}).get_json()
    so = a.post(f"/api/v1/sales-orders/{so['id']}/submit", json={"version": so["version"]}).get_json()
    so = b.post(f"/api/v1/sales-orders/{so['id']}/approve", json={"version": so["version"]}).get_json()
    user = live_server.user("warehouse", warehouses=[wh])
    decodes = decode_requests(page)
    login(page, user)
    wait_sw_ready(page)
    wait_catalog(page)
    open_tile(page, "ship")
    page.get_by_test_id("ship-docs").get_by_text(so["number"]).click()
    expect(photo_offline(page, context, pid)).to_have_value("1")
    page.get_by_test_id("ship-submit").click()
    queued(page)
    [op] = outbox_rows(page)
    assert op["type"] == "so.ship"
    api = synced_once(page, context, live_server, user, op)
    after = api.get(f"/api/v1/sales-orders/{so['id']}")
    assert after["status"] == "partially_shipped"
    assert [ln["shipped_qty"] for ln in after["lines"]] == ["1.0000"]
    assert decodes == [] and page.outside == [] and page.errors == []


def test_an_offline_photo_on_transfer_and_adjust_is_decoded_on_the_phone_and_applied_once(phone, context, live_server):
    page = phone
    wh1, wh2 = live_server.data["warehouses"]["WH1"], live_server.data["warehouses"]["WH2"]
    pid = live_server.data["products"]["E2E-001"]
    user = live_server.user("warehouse", warehouses=[wh1, wh2])
    decodes = decode_requests(page)
    login(page, user)
    wait_sw_ready(page)
    wait_catalog(page)
    # adjust: +1 found in WH2 (WH2 → WH1: test_pwa.py counts the transfers into WH2)
    open_tile(page, "adjustment")
    page.get_by_test_id("adj-warehouse").select_option(str(wh2))
    page.get_by_test_id("adj-reason").select_option("found")
    expect(photo_offline(page, context, pid)).to_have_value("1")
    page.get_by_test_id("adj-submit").click()
    queued(page)
    [adj] = outbox_rows(page)
    assert adj["type"] == "stock.adjust" and adj["payload"]["lines"] == [{"product_id": pid, "quantity": "1"}]
    api = synced_once(page, context, live_server, user, adj)
    moves = api.get("/api/v1/stock/moves", query_string={"op_id": adj["op_id"]})["items"]
    assert [(m["product_id"], Decimal(m["quantity"])) for m in moves] == [(pid, 1)]
    # transfer: that one from WH2 to WH1, made and shipped offline
    page.goto("/#/home")
    open_tile(page, "transfer")
    page.get_by_test_id("tr-from").select_option(str(wh2))
    page.get_by_test_id("tr-to").select_option(str(wh1))
    expect(photo_offline(page, context, pid)).to_have_value("1")
    page.get_by_test_id("tr-submit").click()
    queued(page)
    [tr] = outbox_rows(page)
    assert tr["type"] == "transfer.create" and tr["payload"]["lines"] == [{"product_id": pid, "quantity": "1"}]
    synced_once(page, context, live_server, user, tr)
    moves = api.get("/api/v1/stock/moves", query_string={"op_id": tr["op_id"]})["items"]
    assert [(m["product_id"], Decimal(m["quantity"])) for m in moves] == [(pid, -1)]  # shipped out of WH2
    assert decodes == [] and page.outside == [] and page.errors == []


def test_a_photo_the_phone_cannot_read_travels_with_its_op_and_the_server_decodes_it(phone, context, live_server):
    """The phone's decoder is unavailable here (its .wasm never arrives): the adjustment's photo line is
    queued with the op, and the server reads the photo at push time."""
    page = phone
    context.route("**/zxing_reader.wasm", lambda route: route.abort())
    wh1 = live_server.data["warehouses"]["WH1"]
    pid = live_server.data["products"]["E2E-001"]
    user = live_server.user("warehouse", warehouses=[wh1])
    login(page, user)
    open_tile(page, "adjustment")
    page.get_by_test_id("adj-warehouse").select_option(str(wh1))
    page.get_by_test_id("adj-reason").select_option("found")
    context.set_offline(True)
    page.locator("input[type=file]").set_input_files(str(PHOTO))
    expect(page.get_by_test_id("lines").locator("li[data-product^=photo-]")).to_have_count(1)
    page.get_by_test_id("adj-submit").click()
    queued(page)
    [op] = outbox_rows(page)
    [line] = op["payload"]["lines"]
    assert line["photo"] in op["photos"] and "product_id" not in line
    context.set_offline(False)
    wait_outbox_empty(page)
    api = live_server.client(user)
    [rec] = api.get("/api/v1/sync/ops", query_string={"op_id": op["op_id"]})["items"]
    assert rec["status"] == "applied", rec
    moves = api.get("/api/v1/stock/moves", query_string={"op_id": op["op_id"]})["items"]
    assert [(m["product_id"], Decimal(m["quantity"])) for m in moves] == [(pid, 1)]


AXE = Path(__file__).resolve().parent / "vendor" / "axe-core" / "axe.min.js"
SHOTS = Path(__file__).resolve().parents[2] / "test-results" / "camera"


def axe_violations(page) -> list:
    page.add_script_tag(path=str(AXE))
    return page.evaluate("""() => axe.run(document, { resultTypes: ['violations'] }).then(r => r.violations
        .filter(v => ['serious', 'critical'].includes(v.impact)).map(v => ({ id: v.id, nodes: v.nodes.length })))""")


@pytest.mark.parametrize("vp", [(360, 740), (1280, 800)], ids=["phone", "desk"])
def test_a_photo_with_two_products_codes_lets_the_user_tap_the_one_meant(browser, live_server, tmp_path, vp):
    import cv2

    ctx = browser.new_context(base_url=live_server.url, viewport={"width": vp[0], "height": vp[1]},
                              device_scale_factor=1, locale="zh-CN", service_workers="allow",
                              bypass_csp=True)  # bypass_csp: axe-core is injected
    ctx.add_init_script(NO_NATIVE_DETECTOR)
    outside = guard_network(ctx)
    page = ctx.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    two = tmp_path / "two.png"
    cv2.imwrite(str(two), cv2.cvtColor(on_white([barcode_image(TAPE), barcode_image(GLOVES)], 1000, 400),
                                       cv2.COLOR_RGB2BGR))
    user = live_server.user("warehouse", warehouses=[live_server.data["warehouses"]["WH1"]])
    login(page, user)
    wait_catalog(page)
    open_tile(page, "transfer")
    page.locator("input[type=file]").set_input_files(str(two))
    chooser = page.get_by_test_id("choose-code")
    expect(chooser).to_be_visible()
    expect(chooser.locator("polygon")).to_have_count(2)
    expect(chooser.get_by_role("button", name="卷尺")).to_be_visible()
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"choose-code-{vp[0]}x{vp[1]}.png"))
    assert axe_violations(page) == []
    # tap the outline of the gloves' code on the photo
    mark = next(i for i in range(2) if "手套" in chooser.get_by_test_id(f"choose-item-{i}").inner_text())
    chooser.get_by_test_id(f"choose-mark-{mark}").click()
    expect(chooser).to_have_count(0)
    gloves, tape = live_server.data["products"]["E2E-003"], live_server.data["products"]["E2E-002"]
    lines = page.get_by_test_id("lines")
    expect(lines.locator(f'li[data-product="{gloves}"] input')).to_have_value("1")
    expect(lines.locator(f'li[data-product="{tape}"]')).to_have_count(0)
    # cancel scans nothing
    page.locator("input[type=file]").set_input_files(str(two))
    page.get_by_test_id("choose-cancel").click()
    expect(chooser).to_have_count(0)
    expect(lines.locator("li[data-product]")).to_have_count(1)
    assert outside == [] and errors == []
    ctx.close()


def test_an_offline_photo_on_lookup_is_decoded_on_the_phone(phone, context, live_server):
    page = phone
    decodes = decode_requests(page)
    login(page, live_server.user("warehouse"))
    wait_sw_ready(page)  # the decoder is precached
    wait_catalog(page)
    open_tile(page, "lookup")
    context.set_offline(True)
    page.locator("input[type=file]").set_input_files(str(PHOTO))
    expect(page.get_by_test_id("product-card")).to_have_attribute("data-sku", "E2E-001")
    context.set_offline(False)
    assert decodes == [] and page.outside == [] and page.errors == []


def test_the_servers_codes_and_outlines_feed_the_chooser_when_the_phone_cannot_read(phone, context, live_server,
                                                                                       tmp_path):
    """The server answers every code with its outline and `choose`; the chooser draws those outlines."""
    import cv2

    page = phone
    context.route("**/zxing_reader.wasm", lambda route: route.abort())  # the phone cannot decode
    # one above the other: side by side, backend.scan.decode reads neither today (a scanline through
    # one runs on into the other's bars; reported to the scan work), zxing reads both
    a, b = barcode_image(TAPE), barcode_image(GLOVES)
    frame = np.full((700, 800, 3), 255, np.uint8)
    frame[60:60 + a.shape[0], 200:200 + a.shape[1]] = a
    frame[400:400 + b.shape[0], 200:200 + b.shape[1]] = b
    two = tmp_path / "two.png"
    cv2.imwrite(str(two), cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))
    decodes = decode_requests(page)
    login(page, live_server.user("warehouse", warehouses=[live_server.data["warehouses"]["WH1"]]))
    open_tile(page, "transfer")
    page.locator("input[type=file]").set_input_files(str(two))
    chooser = page.get_by_test_id("choose-code")
    expect(chooser.locator("polygon")).to_have_count(2)
    assert len(decodes) == 1
    mark = next(i for i in range(2) if "卷尺" in chooser.get_by_test_id(f"choose-item-{i}").inner_text())
    chooser.get_by_test_id(f"choose-mark-{mark}").click()
    tape = live_server.data["products"]["E2E-002"]
    expect(page.get_by_test_id("lines").locator(f'li[data-product="{tape}"] input')).to_have_value("1")
    assert page.outside == [] and page.errors == []
