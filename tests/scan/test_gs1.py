"""Issue 16 §6: GS1 element strings (GS1-128, GS1 DataMatrix / QR) parsed into fields — in the decoder's
results and in barcode resolution (``GET /api/v1/barcodes/{code}`` resolves a full GS1 string by its GTIN)."""
from __future__ import annotations

import time
from urllib.parse import quote

import cv2
import numpy as np
import pytest
import zxingcpp

from backend.domain.gs1 import parse_gs1
from backend.scan import decode
from tests.scan.drawing import F, jpeg, paste

GS = "\x1d"
# GTIN-14 04006381333931 = EAN-13 4006381333931 (leading zero); lot, expiry, serial, net weight, counts
HRI = "(01)04006381333931(17)270531(10)LOT-7(21)SN0042(3103)001250(30)12(37)5"
RAW = "0104006381333931172705311" "0LOT-7" + GS + "21SN0042" + GS + "3103001250" + "3012" + GS + "375"
FIELDS = {"gtin": "04006381333931", "expiry": "2027-05-31", "lot": "LOT-7", "serial": "SN0042",
          "net_weight_kg": "1.250", "quantity": "12", "count": "5"}

FORMS = {
    "brackets": HRI,
    "raw with GS separators": RAW,
    "GS1-128 symbology identifier": "]C1" + RAW,
    "GS1 DataMatrix identifier": "]d2" + RAW,
    "GS1 QR identifier": "]Q3" + RAW,
    "leading GS for FNC1": GS + RAW,
    "<GS> as zxing-cpp prints it": RAW.replace(GS, "<GS>"),
}


def _fields(g: dict) -> dict:
    return {k: g.get(k) for k in FIELDS}


@pytest.mark.parametrize("form", FORMS)
def test_gs1_strings_in_every_form_parse_into_fields(form):
    g = parse_gs1(FORMS[form])
    assert g is not None, form
    assert _fields(g) == FIELDS
    assert g["hri"] == HRI
    assert [e["ai"] for e in g["elements"]] == ["01", "17", "10", "21", "3103", "30", "37"]


def test_without_separators_when_only_the_last_field_varies():
    g = parse_gs1("0104006381333931172705313103001250" + "10LOT-7")
    assert _fields(g) == {**FIELDS, "serial": None, "quantity": None, "count": None}
    assert parse_gs1("0104006381333931")["gtin"] == "04006381333931"
    link = parse_gs1("https://id.gs1.org/01/04006381333931/10/LOT-7?17=270531")
    assert (link["gtin"], link["lot"], link["expiry"]) == ("04006381333931", "LOT-7", "2027-05-31")


@pytest.mark.parametrize("text", [
    "(01)04006381333932(17)270531(10)LOT-7",  # GTIN check digit wrong
    "]C1" "0104006381333932172705311" "0LOT-7",
    "0104006381333932172705311" "0LOT-7",
    "(01)04006381333931(17)271331",  # month 13
    "(01)0400638133393",  # GTIN one digit short
    "(99)" + "X" * 200,  # AI 99 holds at most 90
    "4006381333931",  # a plain EAN-13 (would parse as AI 400) stays a plain code
    "hello", "", "(" * 600,
])
def test_damaged_or_plain_strings_give_nothing(text):
    assert parse_gs1(text) is None


def _gs1_image(hri: str, fmt, scale: int) -> np.ndarray:
    img = np.array(zxingcpp.write_barcode_to_image(zxingcpp.create_barcode(hri, fmt, gs1=True), scale=scale,
                                                   add_quiet_zones=True, add_hrt=False))
    img = cv2.cvtColor(img, cv2.COLOR_RGB2GRAY) if img.ndim == 3 else img
    if fmt == F.Code128:
        img = cv2.resize(img, (img.shape[1], 160), interpolation=cv2.INTER_NEAREST)
    return img


@pytest.mark.parametrize("fmt,scale,sym", [(F.Code128, 2, "code128"), (F.DataMatrix, 6, "datamatrix"),
                                           (F.QRCode, 6, "qrcode")])
def test_a_gs1_symbol_decodes_once_with_its_fields(fmt, scale, sym):
    """zxing-cpp reports the bracketed form, zbar the raw string with GS: one symbol, one result."""
    canvas = np.full((600, 1100), 225, np.uint8)
    paste(canvas, _gs1_image(HRI, fmt, scale), 40, 60)
    (d,) = decode(jpeg(canvas))
    assert (d.symbology, d.text) == (sym, HRI)
    assert _fields(d.gs1) == FIELDS and d.to_dict()["gs1"]["gtin"] == "04006381333931"


def test_a_gs1_128_with_a_damaged_gtin_check_digit_decodes_to_nothing():
    canvas = np.full((400, 1100), 225, np.uint8)
    paste(canvas, _gs1_image("(01)04006381333932(10)LOT-7", F.Code128, 2), 40, 60)
    assert decode(jpeg(canvas)) == []


# ---------------------------------------------------------------- barcode resolution over HTTP


@pytest.fixture
def screws(admin):
    return admin.post("/api/v1/products", json={"sku": "GS-1", "name": "Screws", "barcodes": [
        {"code": "4006381333931", "symbology": "ean13"}]}).get_json()


@pytest.mark.parametrize("form", list(FORMS) + ["no separators"])
def test_a_full_gs1_string_resolves_by_its_gtin(admin, screws, form):
    text = FORMS.get(form, "0104006381333931172705313103001250" + "10LOT-7")
    r = admin.get("/api/v1/barcodes/" + quote(text, safe=""))
    assert r.status_code == 200, r.get_json()
    body = r.get_json()
    assert body["product"]["id"] == screws["id"] and body["code"] == "4006381333931"
    assert body["gs1"]["gtin"] == "04006381333931" and body["gs1"]["lot"] == "LOT-7"
    assert body["gs1"]["expiry"] == "2027-05-31" and body["gs1"]["net_weight_kg"] == "1.250"


def test_a_upc_a_product_resolves_from_its_gtin_14(admin):
    admin.post("/api/v1/products", json={"sku": "U", "name": "U", "barcodes": [{"code": "036000291452",
                                                                                   "symbology": "upca"}]})
    r = admin.get("/api/v1/barcodes/" + quote("(01)00036000291452(10)A1", safe=""))
    assert r.status_code == 200 and r.get_json()["code"] == "036000291452"
    assert admin.get("/api/v1/barcodes/00036000291452").status_code == 200
    assert admin.get("/api/v1/barcodes/" + quote("(01)00036000291452", safe="")).get_json()["gs1"]["gtin"]


def test_a_plain_code_has_no_gs1_fields(admin, screws):
    body = admin.get("/api/v1/barcodes/4006381333931").get_json()
    assert body["product"]["id"] == screws["id"] and body["gs1"] is None


@pytest.mark.parametrize("text,status,code", [
    ("(01)04006381333932(10)LOT-7", 422, "invalid_gs1"),  # check digit damaged: nothing is guessed
    ("]C1" "0104006381333932" "10LOT-7", 422, "invalid_gs1"),
    ("(01)04006381333931(17)271331", 422, "invalid_gs1"),  # no 13th month
    ("0104006381333932" "10LOT-7", 404, "unknown_barcode"),  # unmarked: just an unknown code
    ("(01)05901234123457(10)X", 404, "unknown_barcode"),  # a valid GTIN no product has
])
def test_a_damaged_or_unknown_gs1_string_is_4xx(admin, screws, text, status, code):
    r = admin.get("/api/v1/barcodes/" + quote(text, safe=""))
    assert r.status_code == status, r.get_json()
    body = r.get_json()
    assert body["code"] == code and body["status"] == status and body["message"] and "errors" in body


@pytest.mark.parametrize("text", ["(10)" + "A" * 5000, "01" + "0" * 20000, ("(21)" + "9" * 20) * 2000,
                                  "]C1" + ("10" + "A" * 20 + GS) * 3000])
def test_hostile_long_strings_are_refused_in_bounded_time(admin, screws, text):
    t0 = time.process_time()  # CPU time of this process: a bound on the work, not a latency figure
    r = admin.get("/api/v1/barcodes/" + quote(text, safe=""))
    assert r.status_code == 422 and r.get_json()["code"] == "code_too_long"
    assert time.process_time() - t0 < 2.0
