"""How large and how fine one document line's quantity may be (issue 14 §1).

A scanner burst typed into a quantity box once became a count of 12000000000046 that the server accepted:
the NUMERIC(18,4) column bound (``numeric.NUMERIC_MAX``) is far beyond any real line. So every quantity a
person or a device enters on a line — order, receipt, shipment, transfer, adjustment, count, return, pack
size, reorder figures — is at most a per-line maximum (config ``QTY_MAX_PER_LINE``, default 1,000,000) in
magnitude and has no more decimals than its unit allows (pieces are whole, weights to 0.001).

Pure: no Flask, no session; ``backend.services.quantities`` applies it with the configured maximum.
"""
from __future__ import annotations

from decimal import Decimal

from backend.domain.numeric import NUMERIC_SCALE

DEFAULT_MAX_PER_LINE = Decimal(1_000_000)

# Units counted in whole items; a unit not listed here allows the column's 4 decimals.
_WHOLE = ("pcs", "pc", "piece", "pieces", "ea", "each", "unit", "units", "box", "boxes", "pack", "packs", "pair",
          "pairs", "set", "sets", "roll", "rolls", "carton", "cartons", "ctn", "bag", "bags", "bottle", "bottles",
          "can", "cans", "个", "件", "只", "支", "台", "把", "本", "张", "套", "盒", "箱", "包", "袋", "瓶", "罐",
          "桶", "双", "对", "条", "块", "片", "卷", "组", "副", "部", "辆", "枚", "颗", "粒", "册", "份", "听")
# Measured units: to a thousandth (gram of a kilogram, millilitre of a litre, millimetre of a metre).
_MEASURED = ("kg", "g", "t", "lb", "m", "cm", "mm", "km", "l", "ml", "m2", "m3", "千克", "公斤", "克", "斤",
             "吨", "米", "厘米", "毫米", "升", "毫升", "平方米", "立方米")
UNIT_DECIMALS: dict[str, int] = {**dict.fromkeys(_WHOLE, 0), **dict.fromkeys(_MEASURED, 3)}


def unit_decimals(unit: str | None, overrides: dict[str, int] | None = None) -> int:
    """Decimals a quantity in ``unit`` may have (case and surrounding spaces ignored)."""
    key = (unit or "").strip().lower()
    if overrides and key in overrides:
        return overrides[key]
    return UNIT_DECIMALS.get(key, NUMERIC_SCALE)


def decimals_of(value: Decimal) -> int:
    """Significant decimals of a value: ``Decimal("2.500")`` has 1, ``Decimal("3")`` none."""
    if not value.is_finite() or value == value.to_integral_value():
        return 0
    exp = value.normalize().as_tuple().exponent
    return -exp if isinstance(exp, int) and exp < 0 else 0


def quantity_problem(value: Decimal, *, maximum: Decimal, unit: str | None = None,
                     overrides: dict[str, int] | None = None) -> tuple[str, str] | None:
    """Why ``value`` cannot be a line quantity, as (English, 中文) — or None when it can.

    The sign is the caller's rule (adjustments are signed); this bounds the magnitude and the precision."""
    if not value.is_finite():
        return "Not a number.", "不是有效数字。"
    if abs(value) > maximum:
        return (f"At most {maximum.normalize():f} per line.", f"每行最多 {maximum.normalize():f}。")
    places = unit_decimals(unit, overrides)
    if decimals_of(value) > places:
        if places == 0:
            return (f"Whole numbers only for the unit {unit!r}.", f"单位“{unit}”只能是整数。")
        return (f"At most {places} decimals for the unit {unit!r}.", f"单位“{unit}”最多 {places} 位小数。")
    return None
