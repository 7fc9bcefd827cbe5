"""Inventory pure rules (no Flask, no session): unit-testable alone. The transition tables are in
``backend.domain.flows``."""
from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

# the sign a quantity must have for each adjustment reason (None: either)
REASON_SIGN = {"damage": -1, "loss": -1, "sample": -1, "found": 1, "opening_balance": 1, "other": None}


def reason_sign_ok(reason: str, quantity: Decimal) -> bool:
    sign = REASON_SIGN.get(reason)
    return quantity != 0 and (sign is None or (quantity > 0) == (sign > 0))


def transfer_status_after_receipt(lines: Iterable[Any], open_discrepancies: int) -> str:
    """partially_received while something shipped is unaccounted; then discrepancy or done."""
    if any(ln.open_qty > 0 for ln in lines):
        return "partially_received"
    return "discrepancy" if open_discrepancies else "done"


def suggested_order_qty(on_hand: Decimal, incoming: Decimal, reorder_point: Decimal, reorder_qty: Decimal) -> Decimal:
    """Order the reorder quantity, or more when that would still leave stock below the reorder point."""
    available = on_hand + incoming
    if available > reorder_point:
        return Decimal(0)
    return max(reorder_qty, reorder_point - available)
