"""Check digits and normal forms for retail (EAN/UPC) codes; Code 39 full-ASCII decoding."""
from __future__ import annotations

import re


def gtin_check_digit(body: str) -> str:
    """GS1 mod-10 check digit for a GTIN body (all digits but the last)."""
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return str((10 - total % 10) % 10)


def is_valid_gtin(code: str) -> bool:
    return bool(re.fullmatch(r"\d{8}|\d{12}|\d{13}|\d{14}", code or "")) and gtin_check_digit(code[:-1]) == code[-1]


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
    """The 13-digit GTIN of a valid EAN-13/UPC-A/UPC-E read (EAN-8 stays 8 digits), else None."""
    t = text.strip()
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


_C39_SHIFT = {
    "$": {chr(c): chr(c - 64) for c in range(ord("A"), ord("Z") + 1)},
    "%": {**{c: v for c, v in zip("ABCDE", "\x1b\x1c\x1d\x1e\x1f")},
          **{c: v for c, v in zip("FGHIJ", ";<=>?")},
          **{c: v for c, v in zip("KLMNO", "[\\]^_")},
          **{c: v for c, v in zip("PQRST", "{|}~\x7f")},
          "U": "\x00", "V": "@", "W": "`", "X": "\x7f", "Y": "\x7f", "Z": "\x7f"},
    "/": {**{chr(c): chr(c - 32) for c in range(ord("A"), ord("O") + 1)}, "Z": ":"},
    "+": {chr(c): chr(c + 32) for c in range(ord("A"), ord("Z") + 1)},
}


def code39_full_ascii(text: str) -> str | None:
    """Decode Code 39 full-ASCII escapes (``+A`` -> ``a``); None when the text has none or an invalid one.

    This is ZXing's rule: a Code 39 read whose escapes are all valid is reported as full ASCII.
    """
    if not any(c in text for c in "$%/+"):
        return None
    out, i = [], 0
    while i < len(text):
        c = text[i]
        if c in _C39_SHIFT:
            if i + 1 >= len(text) or text[i + 1] not in _C39_SHIFT[c]:
                return None
            out.append(_C39_SHIFT[c][text[i + 1]])
            i += 2
        else:
            out.append(c)
            i += 1
    return "".join(out)
