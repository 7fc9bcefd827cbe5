"""Parsing import rows: header names (with Chinese aliases) to fields, and cells to values — one parser
per column type (``PARSERS``), a few per field (``FIELD_PARSERS``)."""
from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import Boolean, Integer, Numeric, Text, TypeDecorator

from backend.errors import ValidationFailed
from backend.i18n import request_lang
from backend.models.base import NUMERIC_MAX
from backend.services.importexport.entities import IGNORED_COLUMNS, Entity
from backend.services.spreadsheet import has_control_chars

MAX_DECIMAL = NUMERIC_MAX  # what the NUMERIC(18,4) columns hold
TRUE = {"1", "true", "yes", "y", "t", "是", "启用", "有效", "√"}
FALSE = {"0", "false", "no", "n", "f", "否", "停用", "无效", "×"}
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def _norm(h: str) -> str:
    return re.sub(r"[\s\-]+", "_", h.replace("\ufeff", "").strip().lower())


def map_header(spec: Entity, header: list[str]) -> list[str | None]:
    """Column index → field name (None: ignored column); 422 on unknown or duplicate columns."""
    lookup = {c: c for c in spec.columns}
    lookup["version"] = "version"
    for fld, names in spec.aliases.items():
        if fld in spec.columns:
            for n in names:
                lookup.setdefault(_norm(n), fld)
    out, unknown, seen = [], [], set()
    for h in header:
        n = _norm(h)
        if not n or n in IGNORED_COLUMNS:
            out.append(None)
            continue
        fld = lookup.get(n)
        if fld is None:
            unknown.append(h)
        elif fld in seen:
            raise ValidationFailed(f"Column {h!r} appears twice.", zh=f"列 {h!r} 出现了两次。", code="bad_columns", errors={"columns": [h]})
        seen.add(fld)
        out.append(fld)
    if unknown:
        raise ValidationFailed("The file has columns this import does not know.", code="bad_columns",
                               errors={"unknown": unknown, "expected": list(spec.columns)})
    if spec.key not in seen:
        raise ValidationFailed(f"The file needs a {spec.key!r} column.", zh=f"文件需要 {spec.key!r} 列。", code="bad_columns",
                               errors={"missing": [spec.key], "expected": list(spec.columns)})
    return out


def cell_text(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, datetime):
        return v.isoformat()
    s = str(v).strip()
    if len(s) > 1 and s[0] == "'" and s[1] in "=+-@":  # undo our own formula guard
        s = s[1:]
    return s


def _decimal(raw: Any, percent_ok: bool) -> Decimal:
    if isinstance(raw, (int, Decimal)) and not isinstance(raw, bool):
        d = Decimal(raw)
    elif isinstance(raw, float):
        d = Decimal(repr(raw))
    else:
        s = cell_text(raw).replace(",", "").replace("¥", "").replace("￥", "").replace(" ", "")
        pct = s.endswith("%")
        if pct:
            s = s[:-1]
        d = Decimal(s)
        if pct and percent_ok:
            d = d / 100
        elif pct:
            raise InvalidOperation
    if not d.is_finite():
        raise InvalidOperation
    return d


def _parse_barcodes(s: str) -> list[dict]:
    out = []
    for part in re.split(r"[|;；\n]+", s):
        part = part.strip()
        if not part:
            continue
        code, _, qty = part.partition("*")
        spec = {"code": code.strip()}
        if qty.strip():
            spec["quantity"] = Decimal(qty.strip())
            if spec["quantity"] <= 0:
                raise InvalidOperation
        out.append(spec)
    return out



Bounds = tuple[Any, Any]  # (low, high) from Entity.limits; None: no bound


def _parse_bool(raw: Any, s: str, fld: str, t: Any, bounds: Bounds) -> bool:
    low = s.lower()
    if low not in TRUE | FALSE:
        raise ValueError("Must be true/false (是/否).")
    return low in TRUE


def _parse_int(raw: Any, s: str, fld: str, t: Any, bounds: Bounds) -> int:
    lo, hi = bounds
    n = int(_decimal(raw, False).to_integral_exact())
    if (lo is not None and n < lo) or (hi is not None and n > hi):
        raise ValueError(f"Must be between {lo} and {hi}.")
    return n


def _parse_numeric(raw: Any, s: str, fld: str, t: Any, bounds: Bounds) -> Decimal:
    lo = bounds[0] if bounds[0] is not None else 0
    hi = bounds[1] if bounds[1] is not None else MAX_DECIMAL
    d = _decimal(raw, percent_ok=(fld == "tax_rate"))
    if d < lo or d > hi:
        raise ValueError(f"Must be between {lo} and {hi}.")
    if d != d.quantize(Decimal("0.0001")):
        raise ValueError("At most 4 decimal places.")
    return d


def _parse_text(raw: Any, s: str, fld: str, t: Any, bounds: Bounds) -> str:
    if has_control_chars(s):
        raise ValueError("Must not contain control characters (other than tab and newline).")
    maxlen = getattr(t, "length", None) or (2000 if isinstance(t, Text) else None)
    if maxlen and len(s) > maxlen:
        raise ValueError(f"At most {maxlen} characters.")
    if fld == "email" and not EMAIL_RE.match(s):
        raise ValueError("Not a valid email address.")
    return s


Parser = Callable[[Any, str, str, Any, Bounds], Any]
# The first column type that matches parses the cell; any other column is text.
PARSERS: tuple[tuple[type, Parser], ...] = ((Boolean, _parse_bool), (Integer, _parse_int), (Numeric, _parse_numeric))
# Fields that are not columns of the entity's table.
FIELD_PARSERS: dict[str, Callable[[str], Any]] = {"barcodes": _parse_barcodes, "version": int}


def _column_type(spec: Entity, fld: str):
    t = spec.model.__table__.c[fld].type
    while isinstance(t, TypeDecorator):
        t = t.impl_instance
    return t


def parse_cell(spec: Entity, fld: str, raw: Any, s: str) -> Any:
    """One non-blank cell → its value; ValueError / InvalidOperation when it is not valid."""
    if fld in FIELD_PARSERS:
        return FIELD_PARSERS[fld](s)
    t = _column_type(spec, fld)
    bounds = spec.limits.get(fld, (None, None))
    parse = next((p for kind, p in PARSERS if isinstance(t, kind)), _parse_text)
    return parse(raw, s, fld, t, bounds)


# zh-CN of the row and cell messages an import report carries (the report is a 200 answer: no DomainError
# translates it), as (English regex, zh-CN replacement)
_ROW_ZH = [(r"Not a valid number\.", "不是有效的数字。"), (r"Must be between (.+) and (.+)\.", r"必须在 \1 到 \2 之间。"),
           (r"At most 4 decimal places\.", "最多 4 位小数。"), (r"At most (\d+) characters\.", r"最多 \1 个字符。"),
           (r"Must be true/false \(是/否\)\.", "必须是 是/否（true/false）。"),
           (r"Not a valid email address\.", "不是有效的邮箱地址。"),
           (r"Must not contain control characters.*", "不能包含控制字符（制表符和换行除外）。"),
           (r"Required\.", "必填。"), (r"Required for a new row\.", "新建的行必填。"),
           (r"Same (\w+) as row (\d+)\.", r"与第 \2 行的 \1 相同。"), (r"Invalid values\.", "有无效的值。")]


def row_text(en: str) -> str:
    """An import report message in the request's language."""
    if request_lang() != "zh-CN":
        return en
    for pattern, zh in _ROW_ZH:
        if re.fullmatch(pattern, en):
            return re.sub(pattern, zh, en)
    return en


def _error_message(exc: Exception) -> str:
    text = str(exc)
    if isinstance(exc, ValueError) and text and not text.startswith(("invalid literal", "could not convert")):
        return row_text(text)
    return row_text("Not a valid number.")


def parse_row(spec: Entity, fields: list[str | None], cells: list) -> tuple[dict, dict]:
    """Cells → (data with only the non-blank cells, field errors)."""
    data, errors = {}, {}
    for fld, raw in zip(fields, cells):
        if fld is None:
            continue
        s = cell_text(raw)
        if s == "":
            continue
        try:
            data[fld] = parse_cell(spec, fld, raw, s)
        except (ValueError, InvalidOperation, ArithmeticError) as exc:
            errors[fld] = [_error_message(exc)]
    return data, errors
