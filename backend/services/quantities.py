"""The line-quantity rule (``backend.domain.quantities``) with the configured maximum, in the request's
language: every service that takes a quantity from a person or a device — the API, sync ops and imports all
come through the services — checks it here, so a count of 10^13 is a 422 on every path."""
from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from flask import current_app, has_app_context

from backend.domain.quantities import DEFAULT_MAX_PER_LINE, quantity_problem
from backend.errors import ValidationFailed
from backend.extensions import db
from backend.i18n import pick
from backend.models.catalog import Product


def max_per_line() -> Decimal:
    """Config ``QTY_MAX_PER_LINE`` (default 1,000,000)."""
    value = current_app.config.get("QTY_MAX_PER_LINE") if has_app_context() else None
    return Decimal(str(value)) if value is not None else DEFAULT_MAX_PER_LINE


def _overrides() -> dict[str, int] | None:
    value = current_app.config.get("QTY_UNIT_DECIMALS") if has_app_context() else None
    return {str(k).strip().lower(): int(v) for k, v in value.items()} if value else None


def problem(value: Any, unit: str | None = None) -> str | None:
    """The field message (request language) when ``value`` cannot be a line quantity, else None."""
    if value is None:
        return None
    try:
        d = value if isinstance(value, Decimal) else Decimal(str(value))
    except (InvalidOperation, ValueError):
        return pick("Not a number.", "不是有效数字。")
    found = quantity_problem(d, maximum=max_per_line(), unit=unit, overrides=_overrides())
    return pick(*found) if found else None


def ensure(value: Any, unit: str | None = None, field: str = "quantity") -> None:
    """422 naming ``field`` when ``value`` is out of bounds for one line."""
    msg = problem(value, unit)
    if msg:
        raise ValidationFailed("A quantity is out of bounds.", zh="数量超出允许范围。", errors={field: [msg]})


def line_errors(line: dict, unit: str | None, fields: tuple[str, ...] = ("quantity",)) -> dict[str, list[str]]:
    """{field: [message]} for the quantity fields of one request line that are out of bounds."""
    out = {}
    for f in fields:
        msg = problem(line.get(f), unit)
        if msg:
            out[f] = [msg]
    return out


def ensure_lines(lines: list[dict], units: list[str | None], fields: tuple[str, ...] = ("quantity",),
                 path: str = "lines") -> None:
    """422 ``{path: {index: {field: [message]}}}`` when any line's quantity fields are out of bounds."""
    errors = {}
    for i, (line, unit) in enumerate(zip(lines, units, strict=False)):
        errs = line_errors(line, unit, fields)
        if errs:
            errors[i] = errs
    if errors:
        raise ValidationFailed("A quantity is out of bounds.", zh="数量超出允许范围。", errors={path: errors})


def unit_of(product_id: Any) -> str | None:
    """The unit of a product (None when there is no such product: the caller reports that itself)."""
    p = db.session.get(Product, product_id) if isinstance(product_id, int) else None
    return p.unit if p is not None else None


def _num(d: Decimal) -> str:
    """4 → "4", 2.5000 → "2.5" (for messages; the structured fields keep the column's 4 decimals)."""
    return f"{d.normalize():f}" if d.is_finite() else str(d)


def over_line(ln: Any, requested: Decimal, allowed: Decimal, done: Decimal) -> dict:
    """One refused line of a receipt/shipment: which line, what was asked and what is allowed, with a
    message in the request language — the PWA shows it and can send ``allowed`` instead."""
    p = ln.product
    label = f"{p.sku} {p.name}" if p is not None else str(ln.product_id)
    en = (f"Line {ln.line_no} ({label}): {_num(requested)} requested, at most {_num(allowed)} allowed "
          f"(ordered {_num(ln.quantity)}, done {_num(done)}).")
    zh = (f"第 {ln.line_no} 行（{label}）：本次 {_num(requested)}，最多允许 {_num(allowed)}"
          f"（订购 {_num(ln.quantity)}，已完成 {_num(done)}）。")
    return {"line_id": ln.id, "line_no": ln.line_no, "product_id": ln.product_id,
            "sku": p.sku if p is not None else None, "name": p.name if p is not None else None,
            "ordered": str(ln.quantity), "done": str(done), "requested": str(requested),
            "allowed": str(max(allowed, Decimal(0))), "message": pick(en, zh)}


def over_message(kind: str, over: list[dict]) -> tuple[str, str]:
    """The top-level (English, 中文) message of a refusal naming every refused line."""
    en_head = {"receive": "Receiving more than ordered", "ship": "Shipping more than is open",
               "invoice": "Invoicing more than shipped"}.get(kind, "More than allowed")
    zh_head = {"receive": "收货数量超过订购数量", "ship": "发货数量超过未发数量",
               "invoice": "开票数量超过已发货数量"}.get(kind, "数量超过允许")
    en = "; ".join(f"line {o['line_no']}: {_num(Decimal(o['requested']))} > {_num(Decimal(o['allowed']))}"
                   for o in over)
    zh = "；".join(f"第 {o['line_no']} 行：{_num(Decimal(o['requested']))} > {_num(Decimal(o['allowed']))}"
                  for o in over)
    return f"{en_head} ({en}).", f"{zh_head}（{zh}）。"
