"""Upload validation: format sniffing, byte and pixel limits (decompression bombs), corrupt files."""
from __future__ import annotations

import io
import struct
import zlib

import pytest
from PIL import Image

from backend.scan import (
    CorruptImage,
    ImageRejected,
    ImageTooLarge,
    NotAnImage,
    decode,
    load_gray,
    validate,
)


def _png(w=64, h=32, mode="L", color=255) -> bytes:
    buf = io.BytesIO()
    Image.new(mode, (w, h), color).save(buf, "PNG")
    return buf.getvalue()


def _png_header_only(w: int, h: int) -> bytes:
    """A PNG whose IHDR claims w x h but whose data is tiny: a decompression bomb's header."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    ihdr = struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\x00" * 10)) + chunk(b"IEND", b"")


def test_accepts_common_formats():
    for fmt in ("PNG", "JPEG", "GIF", "BMP", "WEBP", "TIFF"):
        buf = io.BytesIO()
        Image.new("RGB", (40, 20), "white").save(buf, fmt)
        assert validate(buf.getvalue())[1:] == (40, 20), fmt
        assert load_gray(buf.getvalue()).shape == (20, 40), fmt


@pytest.mark.parametrize("data", [b"", b"hello world", b"%PDF-1.7\n...", b"<svg xmlns='http://www.w3.org/2000/svg'/>",
                                  b"PK\x03\x04zipfile"])
def test_not_an_image(data):
    with pytest.raises(NotAnImage):
        decode(data)


def test_truncated_or_corrupt():
    good = _png()
    with pytest.raises(CorruptImage):
        decode(good[:20])
    with pytest.raises(ImageRejected):
        decode(b"\xff\xd8\xff\xe0" + b"\x00" * 50)


def test_too_many_bytes():
    with pytest.raises(ImageTooLarge) as e:
        decode(b"\x89PNG\r\n\x1a\n" + b"\x00" * 200, max_bytes=100)
    assert e.value.status == 413


def test_decompression_bomb_refused_from_the_header():
    bomb = _png_header_only(50_000, 50_000)  # 2.5 gigapixels claimed in ~100 bytes
    assert len(bomb) < 200
    with pytest.raises(ImageTooLarge):
        decode(bomb)
    with pytest.raises(ImageTooLarge):
        decode(_png(300, 300), max_pixels=10_000)


def test_transparent_png_is_composited_on_white():
    im = Image.new("RGBA", (20, 10), (0, 0, 0, 0))
    im.putpixel((5, 5), (0, 0, 0, 255))
    buf = io.BytesIO()
    im.save(buf, "PNG")
    g = load_gray(buf.getvalue())
    assert g[0, 0] == 255 and g[5, 5] == 0


def test_statuses_for_the_api():
    assert NotAnImage.status == 415 and ImageTooLarge.status == 413 and CorruptImage.status == 422
