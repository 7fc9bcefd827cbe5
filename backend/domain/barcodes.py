"""Barcode check digits and internal EAN-13 numbers."""
from __future__ import annotations

import re

INTERNAL_EAN_PREFIX = "20"  # GS1 prefixes 20–29 are reserved for in-store/internal use


def gtin_check_digit(body: str) -> str:
    """GS1 mod-10 check digit for a GTIN body (EAN-8/UPC-A/EAN-13 without its last digit)."""
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return str((10 - total % 10) % 10)


def is_valid_gtin(code: str) -> bool:
    return bool(re.fullmatch(r"\d{8}|\d{12}|\d{13}|\d{14}", code)) and gtin_check_digit(code[:-1]) == code[-1]


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
