"""Uploads and file responses (issue 10 item 1): only clean PNG/JPEG/WebP rasters are stored and served,
never SVG/HTML; every file the API serves says how to handle it (Content-Disposition, nosniff, CSP);
/api/docs works without internet and under its own CSP."""
from __future__ import annotations

import io
import json
import re
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tests.sync.sync_helpers import op

SVG = (b'<svg xmlns="http://www.w3.org/2000/svg" onload="fetch(\'/api/v1/auth/me\')">'
       b'<script>alert(document.cookie)</script></svg>')
SCRIPT = b"<html><script>alert(1)</script></html>"
EAN_PHOTO = (Path(__file__).parents[1] / "scan" / "fixtures" / "ean13_clean.jpg").read_bytes()


def _png(w=320, h=240, value=200, mode="L") -> bytes:
    buf = io.BytesIO()
    Image.new(mode, (w, h), value).save(buf, "PNG")
    return buf.getvalue()


def _push(api, device_id, ops, files):
    data = {"batch": json.dumps({"device_id": device_id, "ops": ops})}
    for name, (blob, ctype) in files.items():
        data[name] = (io.BytesIO(blob), f"{name}.bin", ctype)
    return api.post("/api/v1/sync/push", data=data, content_type="multipart/form-data")


def _assert_safe_file(r, *, inline_ok=True):
    assert r.headers.get("X-Content-Type-Options") == "nosniff"
    disp = r.headers.get("Content-Disposition", "")
    assert disp.startswith("attachment;") or (inline_ok and disp.startswith("inline;")), disp
    assert re.search(r'filename="[A-Za-z0-9._-]+"', disp), disp
    csp = r.headers.get("Content-Security-Policy", "")
    assert "default-src 'none'" in csp and "frame-ancestors 'none'" in csp, csp


def _kept_photos(api, rec_id):
    return api.get(f"/api/v1/sync/ops/{rec_id}").get_json()["photos"]


def test_an_svg_photo_in_a_rejected_sync_op_is_never_kept_or_served(login, make_product):
    p = make_product()
    clerk, boss = login("warehouse"), login("manager")
    ops = [op(1, "barcode.assign", {"product_id": p.id, "photo": "shot"})]
    r = _push(clerk, "phone-svg", ops, {"shot": (SVG, "image/svg+xml")})
    assert r.status_code == 200, r.get_json()
    (res,) = r.get_json()["results"]
    assert res["status"] == "rejected" and res["code"] == "unsupported_image", res
    assert not res.get("photo_kept")
    (rec,) = boss.get("/api/v1/sync/ops?status=rejected").get_json()["items"]
    for ph in _kept_photos(boss, rec["id"]):  # nothing kept; and nothing served as SVG/HTML if it were
        img = boss.get(ph["url"])
        assert img.mimetype in ("image/png", "image/jpeg", "image/webp") and b"<script" not in img.data
    assert _kept_photos(boss, rec["id"]) == []


def test_a_kept_photo_is_a_re_encoded_raster_served_with_safe_headers(login, make_product):
    p = make_product()
    clerk, boss = login("warehouse"), login("manager")
    polyglot = _png() + SCRIPT  # a valid PNG with an HTML payload after IEND, declared as SVG
    ops = [op(1, "barcode.assign", {"product_id": p.id, "photo": "shot"})]
    (res,) = _push(clerk, "phone-poly", ops, {"shot": (polyglot, "image/svg+xml")}).get_json()["results"]
    assert (res["status"], res["code"], res["photo_kept"]) == ("rejected", "unreadable_barcode", True)
    (rec,) = boss.get("/api/v1/sync/ops?status=rejected").get_json()["items"]
    (ph,) = _kept_photos(boss, rec["id"])
    assert ph["content_type"] == "image/png"
    img = boss.get(ph["url"])
    assert img.status_code == 200 and img.mimetype == "image/png"
    assert b"<script" not in img.data and img.data.startswith(b"\x89PNG")
    assert np.array_equal(np.asarray(Image.open(io.BytesIO(img.data)).convert("L")),
                          np.asarray(Image.open(io.BytesIO(polyglot)).convert("L")))
    _assert_safe_file(img)
    assert "sandbox" in img.headers["Content-Security-Policy"]


def test_a_jpeg_photo_is_kept_as_jpeg_without_its_metadata(login, make_product):
    p = make_product()
    clerk = login("warehouse")
    im = Image.new("RGB", (200, 100), (200, 200, 200))
    exif = Image.Exif()
    exif[0x010E] = "secret GPS place"  # ImageDescription
    buf = io.BytesIO()
    im.save(buf, "JPEG", exif=exif, quality=90)
    ops = [op(1, "barcode.assign", {"product_id": p.id, "photo": "shot"})]
    (res,) = _push(clerk, "phone-jpg", ops, {"shot": (buf.getvalue(), "image/jpeg")}).get_json()["results"]
    assert res["photo_kept"]
    (rec,) = clerk.get("/api/v1/sync/ops?status=rejected").get_json()["items"]
    (ph,) = _kept_photos(clerk, rec["id"])
    img = clerk.get(ph["url"])
    assert img.mimetype == "image/jpeg" and b"secret GPS place" not in img.data
    assert Image.open(io.BytesIO(img.data)).size == (200, 100)


def test_expense_images_are_re_encoded_and_pdfs_served_as_attachments(login):
    clerk = login("finance")
    exp = clerk.post("/api/v1/expenses", json={"category": "运费", "amount": "10"}).get_json()
    polyglot = _png(64, 32) + SCRIPT
    r = clerk.put(f"/api/v1/expenses/{exp['id']}/attachment?version={exp['version']}",
                  data={"file": (io.BytesIO(polyglot), 'a"b<x>.svg', "image/svg+xml")},
                  content_type="multipart/form-data")
    assert r.status_code == 200, r.get_json()
    exp = r.get_json()
    assert exp["attachment_type"] == "image/png"
    got = clerk.get(f"/api/v1/expenses/{exp['id']}/attachment")
    assert got.mimetype == "image/png" and b"<script" not in got.data
    _assert_safe_file(got)
    assert "sandbox" in got.headers["Content-Security-Policy"]
    pdf = b"%PDF-1.4\n1 0 obj<</Type/Catalog/OpenAction<</S/JavaScript/JS(app.alert(1))>>>>endobj\n%%EOF"
    r = clerk.put(f"/api/v1/expenses/{exp['id']}/attachment?version={exp['version']}",
                  data={"file": (io.BytesIO(pdf), "receipt.pdf", "application/pdf")},
                  content_type="multipart/form-data")
    assert r.status_code == 200, r.get_json()
    got = clerk.get(f"/api/v1/expenses/{exp['id']}/attachment")
    assert got.mimetype == "application/pdf"
    _assert_safe_file(got, inline_ok=False)  # an uploaded PDF is downloaded, never rendered in our origin


@pytest.mark.parametrize("blob,ctype", [(SVG, "image/svg+xml"), (SCRIPT, "image/png"),
                                        (b"GIF89a" + b"\x00" * 40, "image/gif")])
def test_expense_attachments_that_are_not_png_jpeg_webp_or_pdf_are_refused_in_both_languages(login, blob,
                                                                                              ctype):
    clerk = login("finance")
    exp = clerk.post("/api/v1/expenses", json={"category": "运费", "amount": "10"}).get_json()
    url = f"/api/v1/expenses/{exp['id']}/attachment?version={exp['version']}"
    r = clerk.put(url, data={"file": (io.BytesIO(blob), "x.svg", ctype)}, content_type="multipart/form-data")
    assert r.status_code == 415, r.get_json()
    body = r.get_json()
    assert set(body) >= {"code", "status", "message", "errors"} and "PNG" in body["message"]
    r = clerk.put(url, data={"file": (io.BytesIO(blob), "x.svg", ctype)}, content_type="multipart/form-data",
                  headers={"Accept-Language": "zh-CN"})
    assert r.status_code == 415 and re.search(r"[\u4e00-\u9fff]", r.get_json()["message"])
    assert clerk.get(f"/api/v1/expenses/{exp['id']}/attachment").status_code == 404


def test_every_api_response_carries_a_sandbox_csp(admin, client):
    for r in (admin.get("/api/v1/auth/me"), client.get("/api/v1/auth/me"), client.get("/api/openapi.json"),
              admin.get("/api/v1/nope")):
        csp = r.headers.get("Content-Security-Policy", "")
        assert "default-src 'none'" in csp and "sandbox" in csp and "frame-ancestors 'none'" in csp, (r.request.path, csp)
        assert r.headers.get("X-Content-Type-Options") == "nosniff"
        assert r.headers.get("X-Frame-Options") == "DENY"


def test_file_downloads_say_how_to_handle_them(admin, make_product):
    p = make_product(barcodes=[{"code": "6901234567892", "symbology": "ean13"}])
    for url in (f"/api/v1/labels?product_ids={p.id}", "/api/v1/export/products?format=csv",
                "/api/v1/export/products?format=xlsx", "/api/v1/import/products/template",
                "/api/v1/reports/inventory?format=csv", "/api/v1/reports/inventory?format=xlsx"):
        r = admin.get(url)
        assert r.status_code == 200, (url, r.status_code)
        _assert_safe_file(r)


def test_api_docs_work_offline_under_a_csp(client):
    r = client.get("/api/docs")
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    assert not re.search(r"(?:src|href)\s*=\s*[\"']?(?:https?:)?//", html), html
    assert "cdn" not in html.lower()
    assets = re.findall(r"(?:src|href)=\"([^\"]+)\"", html)
    assert any(a.endswith("swagger-ui-bundle.js") for a in assets)
    for a in assets:
        got = client.get(a)
        assert got.status_code == 200 and len(got.data) > 1000, a
        assert got.headers.get("X-Content-Type-Options") == "nosniff"
    csp = r.headers.get("Content-Security-Policy", "")
    assert "default-src 'none'" in csp and "frame-ancestors 'none'" in csp
    assert "script-src 'self'" in csp and "unsafe-eval" not in csp
    # the inline initialiser is allowed by its hash, not by 'unsafe-inline'
    assert "'unsafe-inline'" not in csp.split("script-src", 1)[1].split(";", 1)[0]
    assert r.headers.get("X-Frame-Options") == "DENY"
    assert client.get("/api/docs/static/../../config.py").status_code == 404
