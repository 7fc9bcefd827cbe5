"""Who sees what: the one rule for costs (``cost.view``), applied to every representation.

What counts as a cost: purchase price, average/unit cost, stock value, cost of goods (COGS), margin and
gross profit, and every supplier price or amount (purchase order, goods receipt and purchase return lines
and totals, purchase report amounts). Sales prices are not costs. Without ``cost.view`` such a field is
**absent** (the key is removed, never nulled) from API responses, CSV/XLSX exports, PDFs and pulled
records. Each representation applies it in one place:

* JSON responses: ``cost(field)`` marks a marshmallow field (``backend/api/common.py``);
* database rows (sync pull, base-data export): columns declared with ``info=COST`` in the models,
  ``cost_columns(model)``;
* tables (report exports, PDFs): their column specs carry ``cost=True``; ``visible_columns``.

The warehouse side of "who sees what" is ``backend.services.access.visible_warehouses``.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from backend.auth.decorators import current_user_or_none
from backend.errors import ValidationFailed

COST_PERMISSION = "cost.view"
_CURRENT = object()


def can_see_costs(user: Any = _CURRENT) -> bool:
    """True when ``user`` (default: the logged-in user) may see costs; no user at all is the system (CLI)."""
    if user is _CURRENT:
        user = current_user_or_none()
    return user is None or user.can(COST_PERMISSION)


def cost_columns(model) -> frozenset[str]:
    """Keys of the columns of ``model`` declared as costs (``mapped_column(..., info=COST)``)."""
    return frozenset(c.key for c in model.__table__.columns if c.info.get("cost"))


def strip(record: dict, keys: Iterable[str]) -> dict:
    """``record`` without ``keys`` (a new dict)."""
    keys = set(keys)
    return {k: v for k, v in record.items() if k not in keys}


def refuse_cost_sort(sort: str | None, cost_keys: Iterable[str], user: Any = _CURRENT) -> None:
    """Sorting by a cost would reveal the order of costs: refused (422) without cost.view."""
    if sort and sort.lstrip("-") in set(cost_keys) and not can_see_costs(user):
        raise ValidationFailed(f"Cannot sort by {sort.lstrip('-')!r}.", zh=f"不能按 {sort.lstrip('-')} 排序。",
                               errors={"sort": ["Sorting by a cost needs the cost.view permission."]})


def visible_columns(columns: Sequence, rows: Iterable[Sequence] | None = None, *, user: Any = _CURRENT,
                    is_cost=lambda c: bool(getattr(c, "cost", False) or (isinstance(c, dict) and c.get("cost")))):
    """Drop the cost columns (and the matching cells of ``rows``) when the user may not see costs.

    Returns ``(columns, rows)``; ``rows`` stays a lazy iterable when given.
    """
    if can_see_costs(user):
        return list(columns), rows
    keep = [i for i, c in enumerate(columns) if not is_cost(c)]
    cols = [columns[i] for i in keep]
    if rows is None:
        return cols, None
    return cols, ([r[i] for i in keep] for r in rows)
