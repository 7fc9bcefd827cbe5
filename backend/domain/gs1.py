"""GS1 element strings (GS1-128, GS1 DataMatrix / QR, Digital Link) → structured fields, parsed by ``biip``.

One function, ``parse_gs1``, for the scanner (a decoded symbol's fields) and barcode resolution (a typed or
pasted GS1 string resolves by its GTIN). The forms accepted:

* human-readable, with brackets: ``(01)07032069804988(17)210526(10)ABC`` (what zxing-cpp reports);
* raw, with GS (0x1D, or ``<GS>`` as zxing-cpp prints it) after variable-length fields, optionally led by a
  GS1 symbology identifier (``]C1`` GS1-128, ``]d2`` DataMatrix, ``]Q3`` QR, ``]e0`` DataBar, ``]J1``) or by
  a GS standing for the leading FNC1 — and without any separator when only the last field varies in length;
* a GS1 Digital Link URI (``https://id.gs1.org/01/…/10/…``).

A raw string with no marker is taken as GS1 only when it starts with AI 01/02 and 14 digits (a GTIN-14
is never 16 digits long): a plain EAN-13 such as ``4006381333931`` also parses as AI 400 and must stay a plain code.
Every element must be valid: a wrong GTIN/SSCC/GLN check digit or an impossible date → ``None`` (a
damaged code resolves to nothing rather than to a guessed product).
"""
from __future__ import annotations

import re
from typing import Any

from biip import ParseError, parse
from biip.gs1_element_strings import GS1ElementString
from biip.gs1_messages import GS1Message

from backend.domain.barcodes import is_valid_gtin

MAX_GS1_LEN = 512  # longest input parsed at all (a GS1 DataMatrix label holds far less); longer → None
GS = "\x1d"
# GS1 symbology identifiers (ISO/IEC 15424): GS1-128, DataBar, GS1 DataMatrix, GS1 QR, GS1 Aztec/ Composite
_GS1_IDS = ("]C1", "]e0", "]d2", "]Q3", "]J1", "]z1")
_ANY_ID = re.compile(r"\][A-Za-z][0-9A-Za-z]")

# AI → field name in the result (the AIs the product uses; every element is also listed under "elements")
_FIELDS = {"00": "sscc", "01": "gtin", "02": "content_gtin", "10": "lot", "11": "production_date",
           "15": "best_before", "17": "expiry", "21": "serial", "30": "quantity", "37": "count"}


def _message(text: str) -> GS1Message | None:
    t = text.strip().replace("<GS>", GS)
    if not t or len(t) > MAX_GS1_LEN:
        return None
    if t.startswith("("):
        return GS1Message.parse_hri(t)
    if t.lower().startswith(("http://", "https://")):
        link = parse(t).gs1_digital_link_uri
        return link.as_gs1_message() if link is not None else None
    marked = t.startswith(_GS1_IDS) or t.startswith(GS)
    if marked:
        t = t[3:] if t.startswith("]") else t
        t = t.lstrip(GS)
    elif _ANY_ID.match(t) or not re.match(r"0[12]\d{14}", t):
        return None
    return GS1Message.parse(t)


def _element(es: GS1ElementString) -> dict[str, Any]:
    out: dict[str, Any] = {"ai": es.ai.ai, "title": es.ai.data_title, "value": es.value}
    if es.date is not None:
        out["date"] = es.date.isoformat()
    if es.decimal is not None:
        out["decimal"] = str(es.decimal)
    return out


def parse_gs1(text: str | None) -> dict[str, Any] | None:
    """The fields of a GS1 element string, or None when ``text`` is not a complete, valid one.

    ``{"gtin": "07032069804988", "lot": "ABC", "expiry": "2021-05-26", "serial": …, "quantity": "12",
    "count": "5", "net_weight_kg": "1.234", "hri": "(01)…", "elements": [{ai, title, value, date?,
    decimal?}]}`` — a key only when its AI is present; dates ISO, decimals as strings."""
    if not text or len(text) > MAX_GS1_LEN:
        return None
    try:
        msg = _message(text)
    except (ParseError, ValueError):
        return None
    if msg is None or not msg.element_strings:
        return None
    out: dict[str, Any] = {"hri": msg.as_hri(), "elements": []}
    for es in msg.element_strings:
        if es.gtin_error or es.sscc_error or es.gln_error:
            return None
        e = _element(es)
        out["elements"].append(e)
        name = _FIELDS.get(es.ai.ai)
        if name is not None and name not in out:
            out[name] = e.get("date", es.value)
        if es.ai.ai.startswith("310") and "net_weight_kg" not in out and es.decimal is not None:
            out["net_weight_kg"] = str(es.decimal)
    return out


def looks_like_gs1(text: str | None) -> bool:
    """Marked as a GS1 element string (bracketed AI, GS1 symbology identifier, GS separator): a string so
    marked that ``parse_gs1`` refuses is a damaged GS1 code, not some other code."""
    t = (text or "").strip()
    return bool(re.match(r"\(\d{2,4}\)", t)) or t.startswith(_GS1_IDS) or GS in t or "<GS>" in t


def damaged_gs1(text: str | None, *, brackets: bool = True) -> bool:
    """A GS1 element string that ``parse_gs1`` refuses: marked as GS1 (``brackets``: a bracketed AI counts
    as a mark), or starting with AI 01/02 whose 14 digits fail the GTIN check digit."""
    if parse_gs1(text) is not None:
        return False
    t = (text or "").strip()
    if m := re.match(r"(?:\][A-Za-z]\d)?\x1d?0[12](\d{14})", t):
        return not is_valid_gtin(m.group(1))
    return looks_like_gs1(t) if brackets else (t.startswith(_GS1_IDS) or GS in t)


def gs1_gtin(text: str | None) -> str | None:
    """The GTIN (AI 01, 14 digits) of a valid GS1 element string, else None."""
    g = parse_gs1(text)
    return g.get("gtin") if g else None
