"""Barcode rules in one place: GTIN check digits, UPC-A/UPC-E/EAN-13 forms, internal EAN-13 numbers.

Used by the scanner (``backend.scan``), barcode resolution (``services.catalog``), the sync batch path and
labels; pure functions, no database.
"""
from __future__ import annotations

import re

INTERNAL_EAN_PREFIX = "20"  # GS1 prefixes 20–29 are reserved for in-store/internal use


def gtin_check_digit(body: str) -> str:
    """GS1 mod-10 check digit for a GTIN body (EAN-8/UPC-A/EAN-13 without its last digit)."""
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return str((10 - total % 10) % 10)


def is_valid_gtin(code: str) -> bool:
    return bool(re.fullmatch(r"\d{8}|\d{12}|\d{13}|\d{14}", code or "")) and gtin_check_digit(code[:-1]) == code[-1]


def equivalent_codes(code: str) -> list[str]:
    """A scanned code (trimmed) and its GTIN twins: a 12-digit UPC-A is the EAN-13 with a leading 0, and a
    GTIN-14 with a leading 0 (AI 01 of a GS1 string) is that EAN-13 / UPC-A / EAN-8 padded with zeros.

    ``["0036000291452", "036000291452", "00036000291452"]`` for the EAN-13 form; other codes stand for
    themselves only. The 14-digit forms only for a valid check digit (it is the same in every form)."""
    code = (code or "").strip()
    out = [code]
    if len(code) == 13 and code.startswith("0"):
        out.append(code[1:])
    elif len(code) == 12 and code.isdigit():
        out.append("0" + code)
    if code.isdigit() and len(code) in (8, 12, 13, 14) and is_valid_gtin(code):
        core = code.lstrip("0")
        lengths = (8, 14) if len(core) <= 8 and len(code) in (8, 14) else (12, 13, 14)
        for n in lengths:
            form = code[-n:] if n < len(code) else code.zfill(n)
            if len(core) <= n and form not in out:
                out.append(form)
    return out


def upce_to_upca(code: str) -> str | None:
    """Expand an 8-digit UPC-E (number system 0/1, 6 digits, check) to its 12-digit UPC-A."""
    if not re.fullmatch(r"[01]\d{7}", code or ""):
        return None
    n, d, chk = code[0], code[1:7], code[7]
    x = d[5]
    if x in "012":
        body = d[0:2] + x + "0000" + d[2:5]
    elif x == "3":
        body = d[0:3] + "00000" + d[3:5]
    elif x == "4":
        body = d[0:4] + "00000" + d[4]
    else:
        body = d[0:5] + "0000" + x
    return n + body + chk


def upca_to_upce(upca: str) -> str | None:
    """Compress a 12-digit UPC-A to UPC-E when it has a UPC-E form, else None."""
    if not re.fullmatch(r"[01]\d{11}", upca or ""):
        return None
    n, m, chk = upca[0], upca[1:11], upca[11]
    cands = []
    if m[2] in "012" and m[3:7] == "0000":
        cands.append(m[0:2] + m[7:10] + m[2])
    if m[3:8] == "00000":
        cands.append(m[0:3] + m[8:10] + "3")
    if m[4:9] == "00000":
        cands.append(m[0:4] + m[9] + "4")
    if m[5:9] == "0000" and m[9] in "56789":
        cands.append(m[0:5] + m[9])
    for c in cands:
        e = n + c + chk
        if upce_to_upca(e) == upca:
            return e
    return None


def retail_key(text: str, symbology: str) -> str | None:
    """The 13-digit GTIN of a valid EAN-13/UPC-A/UPC-E code (EAN-8 stays 8 digits), else None."""
    t = (text or "").strip()
    if symbology == "upce":
        if len(t) == 8:
            up = upce_to_upca(t)
            return "0" + up if up and is_valid_gtin(up) else None
        if len(t) in (12, 13) and is_valid_gtin(t):
            return t.zfill(13)
        return None
    if symbology == "ean8":
        return t if len(t) == 8 and is_valid_gtin(t) else None
    if len(t) in (12, 13) and is_valid_gtin(t):
        return t.zfill(13)
    return None


def internal_ean13(n: int) -> str:
    """The n-th internal EAN-13: ``20`` + 10-digit serial + check digit."""
    if not 0 < n < 10**10:
        raise ValueError("serial out of range")
    body = f"{INTERNAL_EAN_PREFIX}{n:010d}"
    return body + gtin_check_digit(body)


_LENGTHS = {"ean13": 13, "ean8": 8, "upca": 12}


def validate_code(code: str, symbology: str) -> str | None:
    """Return an error message if ``code`` cannot be a ``symbology`` barcode, else None."""
    if not code or len(code) > 128 or any(ord(c) < 32 for c in code):
        return "Barcode must be 1–128 printable characters."
    if symbology in _LENGTHS:
        if not code.isdigit() or len(code) != _LENGTHS[symbology]:
            return f"{symbology} needs {_LENGTHS[symbology]} digits."
        if not is_valid_gtin(code):
            return "Wrong check digit."
    if symbology == "upce" and not re.fullmatch(r"[01]\d{7}", code):
        return "upce needs 8 digits starting with 0 or 1."
    if symbology in ("code128", "code39", "code93") and not code.isascii():
        return f"{symbology} encodes ASCII only."
    return None
