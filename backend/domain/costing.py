"""Moving weighted average cost (pure functions)."""
from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

Q4 = Decimal("0.0001")


def q4(x: Decimal) -> Decimal:
    return Decimal(x).quantize(Q4, rounding=ROUND_HALF_UP)


def receive(qty: Decimal, value: Decimal, dq: Decimal, unit_cost: Decimal) -> tuple[Decimal, Decimal, Decimal]:
    """Stock in: returns (new qty, new value, move value)."""
    move_value = q4(dq * unit_cost)
    return qty + dq, value + move_value, move_value


def issue(qty: Decimal, value: Decimal, dq: Decimal) -> tuple[Decimal, Decimal, Decimal]:
    """Stock out of ``dq`` (> 0) valued at the average: returns (new qty, new value, move value < 0).

    Taking the last unit takes the whole remaining value, so rounding never leaves value without stock.
    """
    new_qty = qty - dq
    move_value = -value if new_qty == 0 else -q4(dq * value / qty) if qty else Decimal(0)
    return new_qty, value + move_value, move_value


def average(qty: Decimal, value: Decimal, fallback: Decimal) -> Decimal:
    return q4(value / qty) if qty > 0 else fallback
