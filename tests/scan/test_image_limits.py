"""Image memory bombs (issue 10 item 2): pixels are capped from the header before any decode, and the
number of concurrent decodes per process is bounded (excess waits briefly, then 503 + Retry-After)."""
from __future__ import annotations

import io
import json
import re
import struct
import subprocess
import sys
import time
import zlib
from pathlib import Path

from PIL import Image

from tests.sync.sync_helpers import op

ROOT = Path(__file__).resolve().parents[2]
EAN_PHOTO = (Path(__file__).parent / "fixtures" / "ean13_clean.jpg").read_bytes()


def bomb_png(side: int = 6300) -> bytes:
    """A real 16-bit RGBA PNG of side x side (all zero) that decodes to 6300*6300*8 = 318 MB (~1.8 GB of
    working memory in the old path) from ~300 KB. Built without holding or compressing 318 MB: the zlib
    stream is one compressed 1 MB block of zeros repeated (each ends with a full flush, so it stands alone)."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    def raw(n):  # n zero bytes as raw deflate, byte-aligned and independent of what came before
        c = zlib.compressobj(9, zlib.DEFLATED, -15)
        return c.compress(b"\x00" * n) + c.flush(zlib.Z_FULL_FLUSH)

    total = (1 + side * 8) * side  # per row: filter byte 0 + RGBA16 zeros
    block = 1 << 20
    n, rest = divmod(total, block)
    adler, zeros = 1, b"\x00" * block
    for _ in range(n):
        adler = zlib.adler32(zeros, adler)
    adler = zlib.adler32(zeros[:rest], adler)
    idat = b"\x78\xda" + raw(block) * n + raw(rest) + b"\x03\x00" + struct.pack(">I", adler)
    ihdr = struct.pack(">IIBBBBB", side, side, 16, 6, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


BOMB = bomb_png()


def _decode(api, data: bytes, **headers):
    return api.post("/api/v1/scan/decode", data={"image": (io.BytesIO(data), "photo.png")},
                    content_type="multipart/form-data", headers=headers)


def test_the_bomb_is_small_and_really_a_16_bit_6300_png():
    assert len(BOMB) < 400_000
    with Image.open(io.BytesIO(BOMB)) as im:  # header only
        assert im.size == (6300, 6300) and im.format == "PNG"


def test_the_16_bit_6300_png_is_refused_fast_with_the_limit_named(admin):
    t0 = time.perf_counter()
    r = _decode(admin, BOMB)
    took = time.perf_counter() - t0
    assert r.status_code == 422, r.get_json()
    body = r.get_json()
    assert body["code"] == "image_too_many_pixels"
    assert body["errors"]["image"]["limit"] == "max_pixels"
    assert body["errors"]["image"]["width"] == 6300 and body["errors"]["image"]["max_pixels"] <= 12_000_000
    assert took < 2.0, took  # the old path decoded it for ~10 s
    zh = _decode(admin, BOMB, **{"Accept-Language": "zh-CN"}).get_json()
    assert re.search(r"[\u4e00-\u9fff]", zh["message"])


def test_the_bomb_never_takes_the_decode_path_memory_bound(tmp_path):
    """In a fresh interpreter: refusing the bomb must not allocate its pixels (peak RSS bound, generous)."""
    path = tmp_path / "bomb.png"
    path.write_bytes(BOMB)
    code = f"""
import resource, sys
sys.path.insert(0, {str(ROOT)!r})
import backend.scan as scan
data = open({str(path)!r}, "rb").read()
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
try:
    scan.decode(data)
    print("decoded")
except scan.ImageRejected as exc:
    print(type(exc).__name__)
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print((after - before) // 1024)
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=ROOT,
                         check=False)
    assert out.returncode == 0, out.stderr
    name, grew_mb = out.stdout.split()
    assert name == "TooManyPixels"
    assert int(grew_mb) < 100, f"peak RSS grew by {grew_mb} MB"  # the old path: ~1,800 MB


def test_a_sync_photo_bomb_rejects_its_op_fast_and_is_not_kept(login, make_product):
    p = make_product()
    clerk = login("warehouse")
    data = {"batch": json.dumps({"device_id": "phone-bomb",
                                 "ops": [op(1, "barcode.assign", {"product_id": p.id, "photo": "shot"})]}),
            "shot": (io.BytesIO(BOMB), "shot.png", "image/png")}
    t0 = time.perf_counter()
    r = clerk.post("/api/v1/sync/push", data=data, content_type="multipart/form-data")
    assert time.perf_counter() - t0 < 3.0
    assert r.status_code == 200, r.get_json()
    (res,) = r.get_json()["results"]
    assert res["status"] == "rejected" and res["code"] == "image_too_many_pixels" and not res.get("photo_kept")
    (rec,) = clerk.get("/api/v1/sync/ops?status=rejected").get_json()["items"]
    assert clerk.get(f"/api/v1/sync/ops/{rec['id']}").get_json()["photos"] == []


def test_an_expense_receipt_bomb_is_refused(login):
    clerk = login("finance")
    exp = clerk.post("/api/v1/expenses", json={"category": "运费", "amount": "10"}).get_json()
    t0 = time.perf_counter()
    r = clerk.put(f"/api/v1/expenses/{exp['id']}/attachment?version={exp['version']}",
                  data={"file": (io.BytesIO(BOMB), "receipt.png", "image/png")}, content_type="multipart/form-data")
    assert time.perf_counter() - t0 < 2.0
    assert r.status_code == 422 and r.get_json()["code"] == "image_too_many_pixels"
    assert clerk.get(f"/api/v1/expenses/{exp['id']}").get_json()["attachment_type"] is None


def test_pillow_bomb_limit_is_set_explicitly():
    import backend.uploads  # noqa: F401  (sets it)

    assert Image.MAX_IMAGE_PIXELS is not None and Image.MAX_IMAGE_PIXELS <= 50_000_000


def test_concurrent_decodes_are_bounded_and_the_excess_gets_503_with_retry_after(app, admin, login, make_product,
                                                                                 monkeypatch):
    from backend import uploads

    monkeypatch.setitem(app.config, "IMAGE_DECODE_CONCURRENCY", 1)
    monkeypatch.setitem(app.config, "IMAGE_DECODE_WAIT_S", 0.2)
    with uploads.decode_slot():  # another request is decoding: the only slot is taken
        t0 = time.perf_counter()
        r = _decode(admin, EAN_PHOTO)
        waited = time.perf_counter() - t0
        assert r.status_code == 503, r.get_json()
        assert int(r.headers["Retry-After"]) >= 1
        body = r.get_json()
        assert body["code"] == "busy" and body["status"] == 503 and "errors" in body
        assert 0.15 < waited < 2.0
        zh = _decode(admin, EAN_PHOTO, **{"Accept-Language": "zh-CN"}).get_json()
        assert re.search(r"[\u4e00-\u9fff]", zh["message"])
        # a push with a photo waits for the same slots; nothing of the photo op is applied or recorded
        p = make_product()
        clerk = login("warehouse")
        data = {"batch": json.dumps({"device_id": "phone-busy",
                                     "ops": [op(1, "barcode.assign", {"product_id": p.id, "photo": "shot"})]}),
                "shot": (io.BytesIO(EAN_PHOTO), "shot.jpg", "image/jpeg")}
        r = clerk.post("/api/v1/sync/push", data=data, content_type="multipart/form-data")
        assert r.status_code == 503 and r.headers.get("Retry-After")
        assert clerk.get("/api/v1/sync/ops").get_json()["total"] == 0
    # the slot is free again: the same photo decodes
    r = _decode(admin, EAN_PHOTO)
    assert r.status_code == 200 and r.get_json()["results"][0]["text"] == "6901234567892"
