"""Cell text for every CSV and XLSX writer (base-data exports, report downloads), in one place.

- XLSX is XML: C0 control characters other than tab, newline and carriage return cannot be stored
  (openpyxl raises ``IllegalCharacterError`` and the download would be a 500), so they are dropped.
- CSV opened in a spreadsheet runs a cell starting with ``= + - @`` (or tab / carriage return) as a
  formula (OWASP "CSV injection"): such text cells get a leading apostrophe.
"""
from __future__ import annotations

import re
from typing import Any

# The characters XML 1.0 cannot carry (openpyxl.cell.cell.ILLEGAL_CHARACTERS_RE, without importing it).
ILLEGAL_XML_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
# C0 controls a name or note never needs (tab, newline and carriage return are fine).
CONTROL_RE = ILLEGAL_XML_RE
FORMULA_PREFIX = ("=", "+", "-", "@", "\t", "\r")


def xlsx_value(v: Any) -> Any:
    """``v`` with the characters XML cannot store removed (only strings change)."""
    if isinstance(v, str) and ILLEGAL_XML_RE.search(v):
        return ILLEGAL_XML_RE.sub("", v)
    return v


def csv_text(s: str) -> str:
    """Text a spreadsheet will not run as a formula."""
    return "'" + s if s.startswith(FORMULA_PREFIX) else s


def has_control_chars(s: str) -> bool:
    return bool(CONTROL_RE.search(s))
