"""Code 39 full-ASCII decoding; the retail (EAN/UPC) rules live in ``backend.domain.barcodes``.

The GTIN names are re-exported here for the scanner's callers (one implementation, not two).
"""
from __future__ import annotations

from backend.domain.barcodes import (  # noqa: F401  (re-exported)
    equivalent_codes,
    gtin_check_digit,
    is_valid_gtin,
    retail_key,
    upca_to_upce,
    upce_to_upca,
)

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
