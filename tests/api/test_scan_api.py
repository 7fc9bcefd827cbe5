"""POST /api/v1/scan/decode and GET /api/v1/labels."""
from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

FIX = Path(__file__).parents[1] / "scan" / "fixtures"


def _post(api, data: bytes, name="photo.jpg", **form):
    return api.post("/api/v1/scan/decode", data={"image": (io.BytesIO(data), name), **form},
                    content_type="multipart/form-data")


def test_decode_resolves_known_and_unknown_codes(admin, make_product):
    p = make_product(sku="WATER-1", name="矿泉水", barcodes=[{"code": "6901234567892", "symbology": "ean13",
                                                             "quantity": "12"}])
    r = _post(admin, (FIX / "ean13_clean.jpg").read_bytes(), context="receive")
    assert r.status_code == 200, r.get_json()
    body = r.get_json()
    assert body["context"] == "receive"
    (res,) = body["results"]
    assert res["text"] == "6901234567892" and res["unknown"] is False
    assert res["product"]["id"] == p.id and res["product"]["name"] == "矿泉水"
    assert float(res["quantity"]) == 12
    r = _post(admin, (FIX / "code128_clean.jpg").read_bytes())
    (res,) = r.get_json()["results"]
    assert res["text"] == "JXC-SKU-00042" and res["unknown"] is True and res["product"] is None


def test_upc_a_resolves_through_gtin(admin, make_product):
    p = make_product(barcodes=[{"code": "0036000291452", "symbology": "ean13"}])
    (res,) = _post(admin, (FIX / "upca_clean.jpg").read_bytes()).get_json()["results"]
    assert res["symbology"] == "upca" and res["product"]["id"] == p.id


def test_a_photo_with_several_codes_returns_them_all(admin, make_product):
    from tests.scan.drawing import F, code_image, jpeg, paste

    a = make_product(sku="MULTI-A", barcodes=[{"code": "6901234567892", "symbology": "ean13"}])
    canvas = np.full((700, 1400), 225, np.uint8)
    paste(canvas, code_image("6901234567892", F.EAN13), 40, 60)
    paste(canvas, code_image("JXC-SKU-00042", F.Code128), 700, 380)
    body = _post(admin, jpeg(canvas)).get_json()
    by_text = {r["text"]: r for r in body["results"]}
    assert set(by_text) == {"6901234567892", "JXC-SKU-00042"}
    assert by_text["6901234567892"]["product"]["id"] == a.id and by_text["JXC-SKU-00042"]["unknown"] is True
    for r in body["results"]:
        assert len(r["rect"]) == 4 and len(r["points"]) >= 2 and r["symbology"]
    assert body["choose"] is True  # two different things: the client lets the user tap the one meant
    (one,) = _post(admin, (FIX / "ean13_clean.jpg").read_bytes()).get_json()["results"]
    assert one["text"] == "6901234567892"


def test_no_barcode_gives_empty_results(admin):
    r = _post(admin, (FIX / "none_text.png").read_bytes(), name="x.png")
    assert r.status_code == 200 and r.get_json()["results"] == []


@pytest.mark.parametrize("data,status", [
    (b"just some text", 415),
    (b"%PDF-1.4 not an image", 415),
    (b"\x89PNG\r\n\x1a\n" + b"\x00" * 30, 422),  # PNG magic, garbage header
])
def test_bad_uploads_are_refused_cleanly(admin, data, status):
    r = _post(admin, data)
    assert r.status_code == status, r.get_json()
    assert r.get_json()["status"] == status and r.get_json()["code"]


def test_oversized_upload_is_413(admin, app):
    big = b"\xff\xd8\xff" + b"\x00" * (10 * 1024 * 1024 + 10)
    r = _post(admin, big)
    assert r.status_code == 413


def test_decompression_bomb_is_422_from_the_header(admin):
    buf = io.BytesIO()
    Image.new("1", (9000, 9000), 1).save(buf, "PNG")  # 81 MP in a few KB
    assert len(buf.getvalue()) < 200_000
    r = _post(admin, buf.getvalue(), name="bomb.png")
    assert r.status_code == 422 and r.get_json()["code"] == "image_too_many_pixels"  # which limit: max_pixels


def test_missing_image_and_bad_context_are_422(admin):
    r = admin.post("/api/v1/scan/decode", data={"context": "pick"}, content_type="multipart/form-data")
    assert r.status_code == 422
    r = _post(admin, (FIX / "ean13_clean.jpg").read_bytes(), context="teleport")
    assert r.status_code == 422 and "context" in r.get_json()["errors"]["files"]
    r = admin.post("/api/v1/scan/decode", data={"image": "not a file part"}, content_type="multipart/form-data")
    assert r.status_code == 422 and "image" in r.get_json()["errors"]["files"]


def test_login_required(client):
    r = client.post("/api/v1/scan/decode", data={"image": (io.BytesIO(b"x"), "a.jpg")},
                    content_type="multipart/form-data")
    assert r.status_code in (401, 403)
    assert client.get("/api/v1/labels?product_ids=1").status_code in (401, 403)


def test_rate_limited_per_user(app, database_url, make_user, api_client_cls):
    ApiClient = api_client_cls

    from backend import create_app
    from backend.config import TestConfig
    from backend.extensions import limiter

    cfg = {k: getattr(TestConfig, k) for k in dir(TestConfig) if k.isupper()}
    cfg.update(SQLALCHEMY_DATABASE_URI=database_url, RATELIMIT_ENABLED=True, SCAN_RATE_LIMIT="2 per minute",
               RATELIMIT_STORAGE_URI="memory://", LOGIN_RATE_LIMIT="100 per minute")
    try:
        throttled = create_app(cfg)
        a = ApiClient(throttled, make_user("admin").username)
        codes = [_post(a, b"not an image").status_code for _ in range(3)]
        assert codes == [415, 415, 429]
        b = ApiClient(throttled, make_user("admin").username)  # another user has their own allowance
        assert _post(b, b"not an image").status_code == 415
    finally:  # the limiter is a process-wide extension: give the other tests their disabled one back
        limiter.reset()
        limiter.init_app(app)


def test_labels_pdf(admin, make_product):
    a = make_product(name="农夫山泉 550ml", barcodes=[{"code": "6901234567892", "symbology": "ean13"}])
    b = make_product(name="Drill")
    for layout in ("a4", "thermal_50x30"):
        for sym in ("ean13", "code128"):
            r = admin.get(f"/api/v1/labels?product_ids={a.id},{b.id}&layout={layout}&symbology={sym}&qr=1")
            assert r.status_code == 200, r.get_json()
            assert r.mimetype == "application/pdf" and r.data.startswith(b"%PDF-")


def test_labels_errors(admin, make_product):
    p = make_product()
    assert admin.get(f"/api/v1/labels?product_ids={p.id},99999").status_code == 404
    assert admin.get("/api/v1/labels?product_ids=abc").status_code == 422
    assert admin.get(f"/api/v1/labels?product_ids={p.id}&layout=letter").status_code == 422
    assert admin.get("/api/v1/labels").status_code == 422
