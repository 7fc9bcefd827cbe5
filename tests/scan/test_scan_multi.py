"""Issue 16: several codes in one photo (each with its box), refused check digits, big photos decoded
reduced with full-resolution boxes, the one UPC-A/EAN-13 equivalence."""
from __future__ import annotations

import cv2
import numpy as np
import pytest

from backend.domain.barcodes import equivalent_codes, retail_key
from backend.scan import decode
from backend.scan.decode import _normalise
from tests.scan.drawing import F, code_image, jpeg, paste


def inside(rect, point) -> bool:
    x, y, w, h = rect
    return x <= point[0] <= x + w and y <= point[1] <= y + h


def test_every_code_in_a_photo_comes_back_with_its_box():
    canvas = np.full((900, 1500), 225, np.uint8)
    centres = {
        "6901234567892": paste(canvas, code_image("6901234567892", F.EAN13), 60, 80),
        "https://jxc.example/p/42": paste(canvas, code_image("https://jxc.example/p/42", F.QRCode, 6), 900, 60),
        "JXC-SKU-00042": paste(canvas, code_image("JXC-SKU-00042", F.Code128), 100, 560),
    }
    got = {d.text: d for d in decode(jpeg(canvas))}
    assert set(got) == set(centres)
    assert got["6901234567892"].symbology == "ean13" and got["https://jxc.example/p/42"].symbology == "qrcode"
    assert got["JXC-SKU-00042"].symbology == "code128"
    for text, centre in centres.items():
        assert inside(got[text].rect, centre), (text, got[text].rect, centre)
        assert len(got[text].points) >= 2


def _ean13_bars(digits13: str, module: int = 3) -> np.ndarray:
    """An EAN-13 drawn from its 13 digits as given (python-barcode, no check digit computed)."""
    from barcode import EAN13
    row = "".join(EAN13(digits13, no_checksum=True).build())
    bars = np.pad(np.array([c == "1" for c in row]), 12)
    img = np.where(np.repeat(bars[None, :], 60, axis=0), 20, 235).astype(np.uint8)
    return cv2.resize(img, None, fx=module, fy=module, interpolation=cv2.INTER_NEAREST)


def test_a_damaged_check_digit_returns_nothing():
    good = np.full((400, 600), 230, np.uint8)
    paste(good, _ean13_bars("6901234567892"), 60, 100)
    assert [d.text for d in decode(jpeg(good))] == ["6901234567892"]
    bad = np.full((400, 600), 230, np.uint8)
    paste(bad, _ean13_bars("6901234567893"), 60, 100)  # last digit wrong: no engine read may pass
    assert decode(jpeg(bad)) == []
    assert _normalise("6901234567893", "ean13") is None and retail_key("036000291453", "upca") is None


def test_a_12_megapixel_photo_is_read_reduced_and_boxed_in_full_resolution():
    canvas = np.full((3000, 4000), 200, np.uint8)
    centre = paste(canvas, code_image("4006381333931", F.EAN13, scale=4), 2900, 2300)
    (d,) = decode(jpeg(canvas))
    assert d.text == "4006381333931"
    assert inside(d.rect, centre) and d.rect[2] > 300  # full-resolution pixels, not the reduced image's


@pytest.mark.parametrize("code,forms", [
    ("0036000291452", ["0036000291452", "036000291452", "00036000291452"]),
    ("036000291452", ["036000291452", "0036000291452", "00036000291452"]),
    (" 6901234567892 ", ["6901234567892", "06901234567892"]),
    ("06901234567892", ["06901234567892", "6901234567892"]),  # GTIN-14 of a GS1 AI 01
    ("00036000291452", ["00036000291452", "036000291452", "0036000291452"]),
    ("00000096385074", ["00000096385074", "96385074"]),  # an EAN-8 as GTIN-14
    ("6901234567893", ["6901234567893"]),  # a wrong check digit: no GTIN twins
    ("16901234567899", ["16901234567899"]),  # indicator digit 1: a case, not the unit's EAN-13
    ("ABC", ["ABC"]),
    ("", [""]),
])
def test_upc_a_ean13_and_gtin14_twins(code, forms):
    assert equivalent_codes(code) == forms


def test_partial_itf_scanlines_are_recognised():
    """ITF has no check digit: a scanline over part of the bars decodes validly (bench/scan_synth.py found
    three such wrong reads); the decoder drops ITF reads whose line runs on into bars or crosses them
    obliquely."""
    from backend.scan import preprocess as pp

    code = code_image("0159993723", F.ITF, scale=3)
    canvas = np.full((400, code.shape[1] + 200), 230, np.uint8)
    paste(canvas, code, 100, 100)
    y = 100 + code.shape[0] // 2
    x0 = 100 + 30  # past the quiet zone: the first bar
    x1 = 100 + code.shape[1] - 30
    whole = [(x0, y), (x1, y), (x1, y + 3), (x0, y + 3)]
    half = [(x0, y), ((x0 + x1) // 2, y), ((x0 + x1) // 2, y + 3), (x0, y + 3)]
    assert not pp.bars_beyond_ends(canvas, whole) and pp.bars_beyond_ends(canvas, half)
    assert not pp.crosses_bars_obliquely(canvas, whole)
    h, w = canvas.shape
    tilted = cv2.warpAffine(canvas, cv2.getRotationMatrix2D((w / 2, h / 2), 40, 1.0), (w, h), borderValue=230)
    assert pp.crosses_bars_obliquely(tilted, [(w // 2 - 60, h // 2), (w // 2 + 60, h // 2)])
