"""Company details (letterhead) printed on every PDF: read by anyone logged in, edited by an admin only;
bad input and hostile or oversized logos are refused with 4xx and change nothing."""
from __future__ import annotations

import io
import re

import pytest
from PIL import Image

from tests.factories import ok
from tests.purchasing.test_purchase_pdf import _inflate, _pdf_text

URL = "/api/v1/settings/company"
LOGO = f"{URL}/logo"


def _png(w=120, h=40, color=(200, 30, 30)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (w, h), color).save(buf, "PNG")
    return buf.getvalue()


def pdf_text(pdf: bytes) -> str:
    return _pdf_text(b"".join(_inflate(s) for s in re.findall(rb"stream\r?\n(.*?)\s*endstream", pdf, re.DOTALL)))


def _upload(api, blob, version, name="logo.png", ctype="image/png"):
    return api.put(f"{LOGO}?version={version}", data={"file": (io.BytesIO(blob), name, ctype)},
                   content_type="multipart/form-data")


def _po_pdf_text(api, make_supplier, make_warehouse, make_product) -> str:
    s, w, p = make_supplier(name="上海五金"), make_warehouse(), make_product(name="螺丝刀")
    po = ok(api.post("/api/v1/purchase-orders", json={"supplier_id": s.id, "warehouse_id": w.id, "lines": [
        {"product_id": p.id, "quantity": "2", "unit_price": "3", "tax_rate": "0.13"}]}), 201)
    r = api.get(f"/api/v1/purchase-orders/{po['id']}/pdf")
    assert r.status_code == 200, r.get_json()
    return pdf_text(r.data)


def test_the_details_start_blank_and_anyone_logged_in_reads_them(login):
    got = ok(login("warehouse").get(URL))
    assert got["version"] == 0 and got["name"] == "" and got["has_logo"] is False


def test_an_admin_saves_the_details_and_every_po_pdf_prints_them(login, make_supplier, make_warehouse,
                                                                make_product):
    admin = login("admin")
    saved = ok(admin.put(URL, json={"version": 0, "name": "杭州明远贸易有限公司", "address": "杭州市西湖区文三路 88 号",
                                    "tax_id": "91330100MA2H0001X", "phone": "0571-88886666"}))
    assert saved["version"] == 1 and saved["name"] == "杭州明远贸易有限公司"
    saved = ok(_upload(admin, _png(), saved["version"]))
    assert saved["has_logo"] and saved["logo_type"] == "image/png" and saved["version"] == 2
    logo = admin.get(LOGO)
    assert logo.status_code == 200 and logo.mimetype == "image/png" and logo.data.startswith(b"\x89PNG")
    text = _po_pdf_text(login("purchaser"), make_supplier, make_warehouse, make_product)
    for word in ("杭州明远贸易有限公司", "杭州市西湖区文三路 88 号", "91330100MA2H0001X", "0571-88886666", "采购订单"):
        assert word in text, word


def test_a_pdf_prints_no_letterhead_before_details_are_saved(login, make_supplier, make_warehouse, make_product):
    text = _po_pdf_text(login("purchaser"), make_supplier, make_warehouse, make_product)
    assert "采购订单" in text and "Tax ID" not in text


@pytest.mark.parametrize("role", ["manager", "purchaser", "finance", "warehouse", "sales"])
def test_only_an_admin_edits_the_details_or_the_logo(login, role):
    api = login(role)
    assert api.put(URL, json={"version": 0, "name": "X"}).status_code == 403
    assert _upload(api, _png(), 0).status_code == 403
    assert api.delete(f"{LOGO}?version=0").status_code == 403
    assert ok(login("admin").get(URL))["version"] == 0


def test_unauthenticated_reads_are_refused(client):
    assert client.get(URL).status_code == 401
    assert client.get(LOGO).status_code == 401


@pytest.mark.parametrize("body, field", [
    ({"name": "X"}, "version"),
    ({"version": 0, "name": "x" * 201}, "name"),
    ({"version": 0, "email": "not-an-email"}, "email"),
    ({"version": 0, "address": "a\x00b"}, "address"),
    ({"version": -1}, "version"),
    ({"version": 0, "tax_id": 12}, "tax_id"),
])
def test_bad_details_are_refused_at_the_field(login, body, field):
    admin = login("admin")
    r = admin.put(URL, json=body)
    assert r.status_code == 422, r.get_json()
    err = r.get_json()
    assert set(err) >= {"code", "status", "message", "errors"} and field in str(err["errors"]), err
    assert ok(admin.get(URL))["version"] == 0


def test_a_stale_version_is_refused_and_changes_nothing(login):
    admin = login("admin")
    ok(admin.put(URL, json={"version": 0, "name": "A"}))
    r = admin.put(URL, json={"version": 0, "name": "B"})
    assert r.status_code == 409 and r.get_json()["code"] == "stale_version"
    assert ok(admin.get(URL))["name"] == "A"


SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'


def _gif() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (10, 10)).save(buf, "GIF")
    return buf.getvalue()


def _webp() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (10, 10)).save(buf, "WEBP")
    return buf.getvalue()


def _bomb() -> bytes:  # a small file whose header claims 10,000 × 10,000 pixels
    buf = io.BytesIO()
    Image.new("1", (10000, 10000)).save(buf, "PNG")
    return buf.getvalue()


@pytest.mark.parametrize("blob, status", [
    (SVG, 415), (b"<html><script>alert(1)</script></html>", 415), (_gif(), 415), (_webp(), 415),
    (b"%PDF-1.4 not a logo", 415), (_png()[:60], 422), (_bomb(), 422),
    (b"\x89PNG\r\n\x1a\n" + b"\0" * (1024 * 1024 + 10), 413),
], ids=["svg", "html", "gif", "webp", "pdf", "truncated-png", "pixel-bomb", "oversized"])
def test_hostile_or_oversized_logos_are_refused_and_nothing_is_stored(login, blob, status):
    admin = login("admin")
    r = _upload(admin, blob, 0, ctype="image/png")
    assert r.status_code == status, r.get_json()
    assert set(r.get_json()) >= {"code", "status", "message", "errors"}
    assert ok(admin.get(URL))["has_logo"] is False
    assert admin.get(LOGO).status_code == 404


def test_a_logo_with_trailing_markup_is_stored_re_encoded(login):
    admin = login("admin")
    ok(_upload(admin, _png() + b"<html><script>alert(1)</script></html>", 0))
    got = admin.get(LOGO)
    assert got.status_code == 200 and b"<script" not in got.data
    assert got.headers["X-Content-Type-Options"] == "nosniff"


def test_a_missing_file_is_422_and_the_logo_can_be_removed(login):
    admin = login("admin")
    r = admin.put(f"{LOGO}?version=0", data={}, content_type="multipart/form-data")
    assert r.status_code == 422 and "file" in r.get_json()["errors"]
    saved = ok(_upload(admin, _png(), 0))
    gone = ok(admin.delete(f"{LOGO}?version={saved['version']}"))
    assert gone["has_logo"] is False and admin.get(LOGO).status_code == 404


def test_messages_come_in_chinese(login):
    admin = login("admin")
    r = admin.put(f"{LOGO}?version=0", data={"file": (io.BytesIO(SVG), "x.svg", "image/svg+xml")},
                  content_type="multipart/form-data", headers={"Accept-Language": "zh-CN"})
    assert r.status_code == 415 and "徽标" in r.get_json()["message"]


def test_a_field_sent_empty_or_null_is_emptied_and_fields_left_out_stay(login):
    admin = login("admin")
    v = ok(admin.put(URL, json={"version": 0, "name": "A", "email": "a@example.com", "phone": "1"}))["version"]
    got = ok(admin.put(URL, json={"version": v, "email": "", "phone": None}))
    assert (got["name"], got["email"], got["phone"]) == ("A", "", "")


def test_a_new_logo_is_in_the_audit_log_by_its_hash_never_its_bytes(login):
    import hashlib

    admin = login("admin")
    v = ok(_upload(admin, _png(color=(1, 2, 3)), 0))["version"]
    ok(_upload(admin, _png(color=(9, 9, 9)), v))
    stored = admin.get(LOGO).data
    upd = ok(admin.get("/api/v1/audit?entity=company_settings"))["items"][0]
    assert upd["action"] == "update" and upd["changes"]["after"]["logo_sha256"] == hashlib.sha256(stored).hexdigest()
    assert upd["changes"]["before"]["logo_sha256"] != upd["changes"]["after"]["logo_sha256"]
    assert "logo" not in upd["changes"]["after"]


def test_a_sales_order_pdf_prints_the_same_letterhead(login, make_customer, make_warehouse, make_product):
    admin = login("admin")
    ok(admin.put(URL, json={"version": 0, "name": "宁波远航商贸", "tax_id": "91330200TAX0001", "address": "宁波市海曙区 1 号"}))
    c, w, p = make_customer(name="建材商店"), make_warehouse(), make_product(name="扳手", sale_price="40")
    sales = login("sales")
    so = ok(sales.post("/api/v1/sales-orders", json={"customer_id": c.id, "warehouse_id": w.id, "lines": [
        {"product_id": p.id, "quantity": "1", "unit_price": "40", "tax_rate": "0.13"}]}), 201)
    r = sales.get(f"/api/v1/sales-orders/{so['id']}/pdf")
    assert r.status_code == 200
    text = pdf_text(r.data)
    for word in ("宁波远航商贸", "91330200TAX0001", "宁波市海曙区 1 号", "销售订单"):
        assert word in text, word
