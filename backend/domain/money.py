"""Document money: the one rounding rule and the line figures of every priced document.

Rules (pure functions, no Flask, no session; unit-tested in ``tests/unit/test_money.py``):

* every amount is rounded to cents, ROUND_HALF_UP (never banker's rounding): ``cents(x)``;
* unit prices are tax-exclusive; per line ``gross = cents(qty × price)``,
  ``discount = cents(gross × discount_rate)``, ``net = gross − discount``, ``tax = cents(net × tax_rate)``,
  ``total = net + tax`` (``line_amounts``); purchase documents have no discount (``line_figures``);
* document totals are sums of the rounded line figures (``money_sum``); tax lines group by rate
  (``tax_lines``).
"""
from __future__ import annotations

from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

Number = Decimal | int | str | float | None  # what callers pass: column values, JSON strings, SQL sums

CENT = Decimal("0.01")
ZERO = Decimal(0)
ZERO_CENTS = Decimal("0.00")


def cents(value: Number) -> Decimal:
    """Round money to cents, half up; ``None`` counts as 0 (an empty SQL sum)."""
    return Decimal(value or 0).quantize(CENT, rounding=ROUND_HALF_UP)


def line_amounts(quantity: Number, unit_price: Number, discount_rate: Number = 0,
                 tax_rate: Number = 0) -> dict[str, Decimal]:
    """Money of one line: gross, discount, net (the tax base), tax, total — each in cents."""
    gross = cents(Decimal(quantity or 0) * Decimal(unit_price or 0))
    discount = cents(gross * Decimal(discount_rate or 0))
    net = gross - discount
    tax = cents(net * Decimal(tax_rate or 0))
    return {"gross": gross, "discount": discount, "net": net, "tax": tax, "total": net + tax}


def line_figures(quantity: Number, unit_price: Number, tax_rate: Number) -> tuple[Decimal, Decimal, Decimal]:
    """(net amount, tax, total incl. tax) of an undiscounted line (purchase documents), each in cents."""
    a = line_amounts(quantity, unit_price, 0, tax_rate)
    return a["net"], a["tax"], a["total"]


def money_sum(values: Iterable[Decimal], start: Decimal = ZERO_CENTS) -> Decimal:
    """A document total: the sum of already rounded line figures (never rounded again)."""
    return sum(values, start)


def tax_lines(lines: Iterable[Any]) -> list[dict[str, Decimal]]:
    """Tax summary by rate from objects with ``tax_rate``, ``net_amount`` and ``tax_amount``, by rate."""
    by_rate: dict[Decimal, dict[str, Decimal]] = {}
    for ln in lines:
        rate = Decimal(ln.tax_rate)
        t = by_rate.setdefault(rate, {"tax_rate": rate, "base": ZERO, "tax": ZERO})
        t["base"] += ln.net_amount
        t["tax"] += ln.tax_amount
    return [by_rate[k] for k in sorted(by_rate)]
