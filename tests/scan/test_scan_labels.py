"""Label PDFs: vector barcodes, Chinese names, and the round trip through our own decoder."""
from __future__ import annotations

import shutil
import subprocess

import numpy as np
import pytest
from reportlab.graphics.shapes import Group, Rect

from backend.scan import decode_gray
from backend.scan.labels import (
    barcode_drawing,
    cjk_font,
    ean13_value,
    qr_drawing,
    render_labels,
)

PRODUCTS = [
    {"name": "农夫山泉 饮用天然水 550ml", "sku": "NF-550", "price": "2.00", "barcode": "6901234567892"},
    {"name": "Cordless drill 18V", "sku": "DR-18", "price": 399, "barcode": "DR-18-0001"},
]


def rasterise(drawing, px_per_pt: float = 4.0) -> np.ndarray:
    """Paint a reportlab drawing's rectangles (the bars / modules) onto a white canvas."""
    h, w = int(drawing.height * px_per_pt) + 160, int(drawing.width * px_per_pt) + 160
    img = np.full((h, w), 255, np.uint8)

    def walk(node, tf):
        if isinstance(node, Group):
            t = node.transform
            tf2 = (tf[0] * t[0] + tf[2] * t[1], tf[1] * t[0] + tf[3] * t[1], tf[0] * t[2] + tf[2] * t[3],
                   tf[1] * t[2] + tf[3] * t[3], tf[0] * t[4] + tf[2] * t[5] + tf[4], tf[1] * t[4] + tf[3] * t[5] + tf[5])
            for c in node.contents:
                walk(c, tf2)
        elif isinstance(node, Rect) and node.fillColor is not None and node.fillColor.red < 0.5:
            x0, y0 = tf[0] * node.x + tf[4], tf[3] * node.y + tf[5]
            x1, y1 = tf[0] * (node.x + node.width) + tf[4], tf[3] * (node.y + node.height) + tf[5]
            xa, xb = sorted((x0, x1))
            ya, yb = sorted((y0, y1))
            img[h - 80 - int(round(yb * px_per_pt)):h - 80 - int(round(ya * px_per_pt)),
                80 + int(round(xa * px_per_pt)):80 + int(round(xb * px_per_pt))] = 0

    d = drawing.expandUserNodes()  # widgets -> plain groups of shapes
    tf = d.transform if hasattr(d, "transform") else (1, 0, 0, 1, 0, 0)
    for c in d.contents:
        walk(c, tuple(tf))
    return img


@pytest.mark.parametrize("code,symbology,expected", [
    ("6901234567892", "ean13", ("6901234567892", "ean13")),
    ("690123456789", "ean13", ("6901234567892", "ean13")),  # 12 digits: check digit added
    ("036000291452", "ean13", ("036000291452", "upca")),  # a UPC-A prints as EAN-13 with a leading 0
    ("DR-18-0001", "ean13", ("DR-18-0001", "code128")),  # not an EAN: falls back to Code 128
    ("仓库A-001", "code128", None),  # non-ASCII: reportlab's Code128 cannot encode it faithfully
    ("SKU-00042", "code128", ("SKU-00042", "code128")),
])
def test_barcode_round_trip(code, symbology, expected):
    if expected is None:
        with pytest.raises(ValueError):
            barcode_drawing(code, symbology, 60 * 2.83, 25 * 2.83)
        assert render_labels([{"name": "x", "sku": code, "price": 1, "barcode": code}]).startswith(b"%PDF")
        return
    d, used = barcode_drawing(code, symbology, 60 * 2.83, 25 * 2.83)
    got = decode_gray(rasterise(d))
    assert [(r.text, r.symbology) for r in got] == [expected]
    assert used == expected[1] if expected[1] != "upca" else used == "ean13"


def test_qr_round_trip():
    got = decode_gray(rasterise(qr_drawing("https://jxc.example/p/42", 80)))
    assert [r.text for r in got] == ["https://jxc.example/p/42"]


def test_ean13_value():
    assert ean13_value("690123456789") == "6901234567892"
    assert ean13_value("6901234567893") is None
    assert ean13_value("abc") is None


@pytest.mark.parametrize("layout", ["a4", "thermal_50x30"])
@pytest.mark.parametrize("symbology", ["ean13", "code128"])
def test_render_pdf(layout, symbology):
    pdf = render_labels(PRODUCTS * 13, layout=layout, symbology=symbology, qr=True)
    assert pdf.startswith(b"%PDF-") and pdf.rstrip().endswith(b"%%EOF")
    pages = pdf.count(b"/Type /Page\n") + pdf.count(b"/Type /Page ") + pdf.count(b"/Type /Page>")
    assert pages >= (2 if layout == "a4" else 26) or b"/Count 2" in pdf or b"/Count 26" in pdf


def test_chinese_font_is_registered():
    assert cjk_font() in ("JXC-CJK", "STSong-Light")


def test_bad_arguments():
    with pytest.raises(ValueError):
        render_labels(PRODUCTS, layout="letter")
    with pytest.raises(ValueError):
        render_labels(PRODUCTS, symbology="pdf417")


@pytest.mark.skipif(shutil.which("gs") is None, reason="Ghostscript not installed")
def test_pdf_rasterised_by_ghostscript_decodes(tmp_path):
    import cv2
    pdf = tmp_path / "l.pdf"
    pdf.write_bytes(render_labels(PRODUCTS, layout="thermal_50x30", symbology="ean13"))
    out = tmp_path / "p%d.png"
    subprocess.run(["gs", "-q", "-dNOPAUSE", "-dBATCH", "-dSAFER", "-sDEVICE=pnggray", "-r300",
                    f"-sOutputFile={out}", str(pdf)], check=True, timeout=60)
    for i, p in enumerate(PRODUCTS, 1):
        img = cv2.imread(str(tmp_path / f"p{i}.png"), cv2.IMREAD_GRAYSCALE)
        assert p["barcode"] in [r.text for r in decode_gray(img)]
