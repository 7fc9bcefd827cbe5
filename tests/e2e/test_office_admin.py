"""The admin screens (issue 13 §3) in real headless Chromium at a phone (360×740) and a desk (1280×800)
viewport, through the UI only — the API is used only to read the results:

- an admin imports 50 products from an XLSX with 2 bad rows: the preview names both rows, applying the
  valid ones imports 48 (counted through the API), and the import is found in the audit log, whose records
  open as a field-by-field before/after table;
- the admin makes a backup and downloads it (the file is the one the API lists);
- company details and a logo edited on screen are printed on a purchase order PDF (text extracted);
- the admin creates an API token (secret shown once) and revokes it; creates a webhook and pings it.

Every screen is photographed (zh-CN, and in English at the end) into ``$JXC_E2E_SHOTS`` and checked with
axe-core (no serious or critical violation).
"""
from __future__ import annotations

import gzip
import hashlib
from pathlib import Path

import pytest
from e2e_helpers import chromium_available, login

if not chromium_available():
    pytest.skip("Chromium (/usr/bin/chromium) or Playwright is not installed", allow_module_level=True)

from openpyxl import Workbook
from PIL import Image
from playwright.sync_api import expect
from test_office import SHOTS, go, list_loaded, make_page, pdf_text, ready, shot, vp  # noqa: F401  (fixtures)


def _xlsx(path, tag):
    """50 product rows; spreadsheet rows 12 (price "abc") and 31 (tax rate 150%) are bad."""
    wb = Workbook()
    ws = wb.active
    ws.append(["编码", "名称", "单位", "售价", "税率"])
    for i in range(50):
        ws.append([f"IMP{tag}-{i:02d}", f"导入商品 {i}", "个", "abc" if i == 10 else "12.5", "1.5" if i == 29 else "0.13"])
    wb.save(path)


def _png(path, shade=0):
    Image.new("RGB", (240, 80), (20, 90, 200 - shade)).save(path, "PNG")


def _tag(live_server, viewport):
    n = live_server.__dict__.setdefault("admin_n", [0])
    n[0] += 1
    return f"{viewport[0].upper()}{n[0]}"


def test_admin_imports_products_finds_the_import_in_the_audit_log_and_backs_up(make_page, live_server, vp, tmp_path):  # noqa: F811  (fixtures of test_office)
    tag = _tag(live_server, vp)
    live_server.app.config["BACKUP_DIR"] = str(tmp_path / "backups")
    admin = live_server.user("admin")
    api = live_server.client(admin)
    p = make_page()
    login(p, admin)
    expect(p.get_by_test_id("admin-tiles")).to_be_visible()
    shot(p, "home-admin")

    # ---- import: preview names the two bad rows, apply the 48 valid ones
    xlsx = tmp_path / f"products-{tag}.xlsx"
    _xlsx(xlsx, tag)
    p.get_by_test_id("tile-importexport").click()
    ready(p, "importexport")
    shot(p, "importexport")
    p.get_by_test_id("import-entity").select_option("products")
    p.get_by_test_id("import-file").set_input_files(str(xlsx))
    p.get_by_test_id("import-preview-btn").click()
    bad = p.get_by_test_id("import-errors").locator("tbody tr")
    expect(bad).to_have_count(2)
    assert [bad.nth(i).get_attribute("data-row") for i in range(2)] == ["12", "31"]
    expect(bad.nth(0)).to_contain_text(f"IMP{tag}-10")
    expect(bad.nth(1)).to_contain_text(f"IMP{tag}-29")
    expect(p.get_by_test_id("import-preview").locator('[data-count="would_create"]')).to_have_text("48")
    assert api.get("/api/v1/products", query_string={"q": f"IMP{tag}-"})["total"] == 0  # a preview writes nothing
    shot(p, "import-preview")
    p.get_by_test_id("import-apply-valid").click()
    expect(p.get_by_test_id("import-result").locator('[data-count="created"]')).to_have_text("48")
    shot(p, "import-result")
    got = api.get("/api/v1/products", query_string={"q": f"IMP{tag}-", "per_page": 100})
    assert got["total"] == 48
    assert {x["sku"] for x in got["items"]} == {f"IMP{tag}-{i:02d}" for i in range(50)} - {f"IMP{tag}-10", f"IMP{tag}-29"}

    # ---- the audit log: the import (filtered by entity), its details; a product's before/after table
    p.get_by_test_id("import-audit-link").click()
    ready(p, "audit")
    list_loaded(p, "audit")
    expect(p.get_by_test_id("filter-entity")).to_have_value("import")
    row = p.get_by_test_id("audit-list").locator("tbody tr").first
    expect(row).to_contain_text("导入")
    shot(p, "audit-list")
    row.click()
    ready(p, "audit")
    details = p.get_by_test_id("audit-details")
    expect(details).to_contain_text(xlsx.name)
    expect(details).to_contain_text("12, 31")
    shot(p, "audit-import")
    go(p, "audit", "audit")
    p.get_by_test_id("filter-entity").select_option("products")
    list_loaded(p, "audit")
    p.get_by_test_id("audit-list").locator("tbody tr").first.click()
    ready(p, "audit")
    diff = p.get_by_test_id("audit-diff")
    expect(diff.locator("tr", has_text="sku")).to_contain_text(f"IMP{tag}-")
    shot(p, "audit-diff")

    # ---- backups: make one, see it listed, download it
    go(p, "backups")
    p.get_by_test_id("backup-note").fill(f"e2e {tag}")
    p.get_by_test_id("backup-make").click()
    expect(p.get_by_test_id("backups-list")).to_contain_text(f"e2e {tag}")
    [b] = [x for x in api.get("/api/v1/admin/backups")["items"] if x["note"] == f"e2e {tag}"]
    shot(p, "backups")
    with p.expect_download() as dl:
        p.get_by_test_id("backups-list").locator("tr", has_text=f"e2e {tag}").get_by_test_id("backup-download").click()
    path = dl.value.path()
    data = Path(path).read_bytes()
    assert dl.value.suggested_filename == b["name"] and len(data) == b["size"]
    head = gzip.decompress(data).split(b"\n", 1)[0] if data[:2] == b"\x1f\x8b" else data[:200]
    assert b"jxc-backup" in head
    assert p.errors == []


def test_company_details_edited_on_screen_are_printed_on_a_purchase_order(make_page, live_server, vp, tmp_path):  # noqa: F811  (fixtures of test_office)
    tag = _tag(live_server, vp)
    admin = live_server.user("admin")
    p = make_page()
    login(p, admin)
    go(p, "company")
    shot(p, "company")
    name, address, tax_id = f"杭州明远贸易有限公司{tag}", f"杭州市西湖区文三路 {tag} 号", f"91330100MA2H{tag}X"
    p.get_by_test_id("field-name").fill(name)
    p.get_by_test_id("field-address").fill(address)
    p.get_by_test_id("field-tax_id").fill(tax_id)
    p.get_by_test_id("field-phone").fill("0571-88886666")
    p.get_by_test_id("form-save").click()
    expect(p.get_by_test_id("detail-title")).to_have_text(name)
    logo = tmp_path / "logo.png"
    _png(logo, shade=len(tag) + ord(tag[0]) % 50)  # a different logo per run: each upload is a change
    p.get_by_test_id("logo-file").set_input_files(str(logo))
    p.get_by_test_id("logo-upload").click()
    expect(p.get_by_test_id("logo-img")).to_be_visible()
    assert p.get_by_test_id("logo-img").evaluate("img => img.complete && img.naturalWidth") == 240
    shot(p, "company-saved")
    # a refused logo says why, at the upload
    bad = tmp_path / "evil.png"
    bad.write_bytes(b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>')
    p.get_by_test_id("logo-file").set_input_files(str(bad))
    p.get_by_test_id("logo-upload").click()
    expect(p.get_by_test_id("logo-status")).to_contain_text("PNG")

    # the audit log shows the logo upload as an update, field by field (before → after)
    go(p, "audit")
    p.get_by_test_id("filter-entity").select_option("company_settings")
    list_loaded(p, "audit")
    p.get_by_test_id("audit-list").locator("tbody tr").first.click()
    ready(p, "audit")
    expect(p.get_by_test_id("detail-title")).to_contain_text("修改")
    changed = p.get_by_test_id("audit-diff").locator("tr.chg", has_text="logo_sha256")
    stored = live_server.client(admin).http.get("/api/v1/settings/company/logo").data
    expect(changed.locator("td.after")).to_have_text(hashlib.sha256(stored).hexdigest())
    shot(p, "audit-update")

    po = live_server.approved_po("WH1", [("E2E-001", "2")])
    r = live_server.client(admin).http.get(f"/api/v1/purchase-orders/{po['id']}/pdf")
    assert r.status_code == 200
    text = pdf_text(r.data)
    for word in (name, address, tax_id, "0571-88886666", po["number"]):
        assert word in text, word
    assert b"/Subtype /Image" in r.data  # the logo
    assert p.errors == []


def test_api_tokens_and_webhooks(make_page, live_server, vp):  # noqa: F811  (fixtures of test_office)
    tag = _tag(live_server, vp)
    live_server.app.config["WEBHOOK_ALLOWED_HOSTS"] = "127.0.0.1"
    admin = live_server.user("admin")
    api = live_server.client(admin)
    p = make_page()
    login(p, admin)

    # ---- my API tokens: create (the secret is shown once and works), revoke
    go(p, "tokens")
    p.get_by_test_id("field-name").fill(f"ERP {tag}")
    p.get_by_test_id("form-save").click()
    secret = p.get_by_test_id("token-secret").input_value()
    assert len(secret) > 20
    row = p.get_by_test_id("tokens-list").locator("tr", has_text=f"ERP {tag}")
    expect(row).to_be_visible()
    bearer = live_server.app.test_client().get("/api/v1/auth/me", headers={"Authorization": f"Bearer {secret}"})
    assert bearer.status_code == 200 and bearer.get_json()["username"] == admin
    shot(p, "tokens")
    p.once("dialog", lambda d: d.accept())
    row.get_by_test_id("token-revoke").click()
    expect(row).to_contain_text("已吊销")
    bearer = live_server.app.test_client().get("/api/v1/auth/me", headers={"Authorization": f"Bearer {secret}"})
    assert bearer.status_code == 401

    # ---- webhooks: create, ping (a delivery is queued), edit
    go(p, "webhooks")
    list_loaded(p, "webhooks")
    shot(p, "webhooks-list")
    p.get_by_test_id("webhooks-new").click()
    ready(p, "webhooks")
    url = f"http://127.0.0.1:9/hook-{tag}"
    p.get_by_test_id("field-url").fill(url)
    p.get_by_test_id("field-description").fill(f"ERP hook {tag}")
    shot(p, "webhook-new")
    p.get_by_test_id("form-save").click()
    expect(p.get_by_test_id("detail-title")).to_have_text(f"ERP hook {tag}")
    expect(p.get_by_test_id("webhook-secret")).not_to_have_value("")
    p.get_by_test_id("webhook-ping").click()
    expect(p.get_by_test_id("deliveries-list")).to_contain_text("webhook.ping")
    [hook] = [w for w in api.get("/api/v1/webhooks")["items"] if w["url"] == url]
    assert hook["events"] == ["*"] and hook["is_active"]
    assert api.get(f"/api/v1/webhooks/{hook['id']}/deliveries")["items"][0]["event"] == "webhook.ping"
    shot(p, "webhook-detail")

    # the receiver is down: the delivery fails (one attempt allowed here), the admin sends it again
    from backend.context import Actor, acting_as
    from backend.services.webhooks import deliver_due

    live_server.app.config["WEBHOOK_MAX_ATTEMPTS"] = 1
    try:
        with live_server.app.app_context(), acting_as(Actor(None, "e2e", "cli")):
            deliver_due()
    finally:
        live_server.app.config.pop("WEBHOOK_MAX_ATTEMPTS")
    [d] = api.get(f"/api/v1/webhooks/{hook['id']}/deliveries")["items"]
    assert d["status"] == "failed" and d["error"]
    go(p, f"webhooks/{hook['id']}", "webhooks")
    row = p.get_by_test_id("deliveries-list").locator("tbody tr").first
    expect(row).to_contain_text("失败")
    row.get_by_test_id("delivery-retry").click()
    expect(row).to_contain_text("待发送")
    [d] = api.get(f"/api/v1/webhooks/{hook['id']}/deliveries")["items"]
    assert (d["status"], d["attempts"]) == ("pending", 0)
    p.get_by_test_id("field-is_active").uncheck()
    with p.expect_response(lambda r: r.request.method == "PATCH" and f"/webhooks/{hook['id']}" in r.url) as resp:
        p.get_by_test_id("form-save").click()
    assert resp.value.status == 200
    ready(p, "webhooks")
    expect(p.get_by_test_id("field-is_active")).not_to_be_checked()
    assert api.get(f"/api/v1/webhooks/{hook['id']}")["is_active"] is False
    assert p.errors == []


def test_admin_screens_in_english(make_page, live_server, vp):  # noqa: F811  (fixtures of test_office)
    p = make_page()
    login(p, live_server.user("admin"))
    p.evaluate("localStorage.setItem('jxc.lang', 'en')")
    p.reload()
    p.wait_for_selector('#app[data-view=home][data-ready="1"]', state="attached")
    expect(p.get_by_test_id("admin-tiles")).to_contain_text("Audit log")
    for route, text in (("audit", "Record type"), ("importexport", "Preview (writes nothing)"), ("backups", "Make a backup"),
                        ("tokens", "Create token"), ("webhooks", "New webhook"), ("company", "Tax id")):
        go(p, route)
        expect(p.locator("#app")).to_contain_text(text)
        SHOTS.mkdir(parents=True, exist_ok=True)
        p.screenshot(path=str(SHOTS / f"en-{route}-{vp}.png"), full_page=True)
    assert p.errors == []


def test_screens_are_offered_only_to_roles_with_the_permission(make_page, live_server, vp):  # noqa: F811  (fixtures of test_office)
    p = make_page()
    login(p, live_server.user("warehouse"))
    for route in ("audit", "importexport", "backups", "webhooks", "company"):
        expect(p.get_by_test_id(f"tile-{route}")).to_have_count(0)
    expect(p.get_by_test_id("tile-tokens")).to_have_count(1)
    go(p, "backups", "home")  # a typed address falls back to home
    m = make_page()
    login(m, live_server.user("manager"))
    expect(m.get_by_test_id("tile-audit")).to_have_count(1)
    expect(m.get_by_test_id("tile-backups")).to_have_count(0)
    assert p.errors == [] and m.errors == []

