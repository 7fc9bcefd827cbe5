"""Normal forms of engine reads: symbology names, UPC-A/UPC-E/EAN-13 forms, Code 39 full ASCII, GS1.

``normalise(text, symbology)`` → ``(text, symbology, key, gtin, gs1)`` for a read that passes its checks, or
None to drop it. Reads of one symbol by different engines get the same key: zxing-cpp reports a GS1 symbol in
its human-readable form ``(01)…(10)…``, zbar the raw element string with GS separators — both key by the
HRI form (and report it as the text), with the parsed fields in ``gs1``.
"""
from __future__ import annotations

import re

from backend.domain.barcodes import retail_key, upca_to_upce
from backend.domain.gs1 import damaged_gs1, parse_gs1

from .checksum import code39_full_ascii

STRONG = {"qrcode", "microqrcode", "datamatrix", "aztec", "pdf417", "code128", "code93"}
RETAIL = {"ean13", "ean8", "upca", "upce"}
MIN_LEN = {"itf": 6, "codabar": 4, "code39": 2}
GS1_CAPABLE = {"code128", "qrcode", "datamatrix", "aztec"}  # the symbologies with a GS1 variant (FNC1)

Normal = tuple[str, str, tuple[str, str], str | None, dict | None]


def _retail(text: str, sym: str) -> Normal | None:
    gtin = retail_key(text, sym)
    if gtin is None:
        return None
    if len(gtin) == 8:
        return gtin, "ean8", ("retail", gtin), gtin, None
    if sym == "upce":
        e = upca_to_upce(gtin[1:])
        return (e or gtin[1:]), ("upce" if e else "upca"), ("retail", gtin), gtin, None
    if gtin.startswith("0"):
        return gtin[1:], "upca", ("retail", gtin), gtin, None
    return gtin, "ean13", ("retail", gtin), gtin, None


def normalise(text: str, sym: str) -> Normal | None:
    """(text, symbology, key, gtin, gs1) for a valid read, or None to drop it."""
    text = text.strip() if sym not in STRONG else text
    if not text:
        return None
    if sym in RETAIL:
        return _retail(text, sym)
    if sym in GS1_CAPABLE:
        if (gs1 := parse_gs1(text)) is not None:
            return gs1["hri"], sym, (sym, gs1["hri"]), None, gs1
        # a damaged GS1 code (a GTIN check digit that fails, an impossible date) is dropped, not reported as
        # text: the symbol's own checksum passed, but the product it names cannot be trusted. zxing-cpp writes
        # brackets only for a Code 128 that starts with FNC1; a QR code may hold "(86)…" as plain text.
        if damaged_gs1(text, brackets=sym == "code128"):
            return None
    if sym == "code39":
        full = code39_full_ascii(text)
        if full is not None:
            text = full
    if sym == "codabar":
        core = text[1:-1] if re.fullmatch(r"[A-Da-dTNEtne*].*[A-Da-dTNEtne*]", text) else text
        if len(core) < MIN_LEN["codabar"]:
            return None
        return text, sym, (sym, core.upper()), None, None
    if sym == "itf" and (len(text) < MIN_LEN["itf"] or not text.isdigit()):
        return None
    if sym == "code39" and len(text) < MIN_LEN["code39"]:
        return None
    return text, sym, (sym, text), None, None
