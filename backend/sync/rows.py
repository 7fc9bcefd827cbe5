"""What the batch path handles: rows standing for ORM objects (``Row``), what a run loads up front
(``Needs``), in-memory stock levels (``Level``), and how the ORM fills a new row (column defaults,
version) and audits it (``backend.services.audit``)."""
from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import datetime
from decimal import Decimal
from functools import cache
from typing import Any

from sqlalchemy import inspect

from backend.models.base import Base
from backend.services.audit import audit_columns


class Fallback(Exception):
    """The batch path cannot take this run safely: apply its ops one by one instead."""


class Row(dict[str, Any]):
    """A queued row: its columns as keys, and as attributes (like the ORM object it stands for)."""

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None


@dataclass
class Needs:
    """What a run of ops reads and locks up front (one query per table)."""

    products: list[int] = field(default_factory=list)
    warehouses: list[int] = field(default_factory=list)
    locations: list[int] = field(default_factory=list)
    codes: list[str] = field(default_factory=list)
    pairs: list[tuple[int, int]] = field(default_factory=list)  # (product, warehouse): stock levels
    numbers: list[str] = field(default_factory=list)  # document number prefixes
    op_docs: dict[type, list[str]] = field(default_factory=dict)  # documents an op may have created
    locked: dict[type, list[int]] = field(default_factory=dict)  # documents written under (row locks)

    def merge(self, other: Needs) -> None:
        for f in fields(self):
            mine, theirs = getattr(self, f.name), getattr(other, f.name)
            if isinstance(mine, dict):
                for model, ids in theirs.items():
                    mine.setdefault(model, []).extend(ids)
            else:
                mine.extend(theirs)


@dataclass(frozen=True)
class Level:
    quantity: Decimal
    value: Decimal
    avg_cost: Decimal
    exists: bool  # a row exists in stock_levels (else it is inserted at flush)
    touched: bool = False


_order: dict[str, int] = {}


def table_order(model: type) -> int:
    """Position in the metadata's dependency order: parents are inserted before children (FKs)."""
    if not _order:
        _order.update({t.name: i for i, t in enumerate(Base.metadata.sorted_tables)})
    return _order[model.__tablename__]  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Shape:
    """What the ORM does with a model's rows, read once per model: its column defaults, version column,
    ``onupdate`` columns and audit (``backend.services.audit``)."""

    defaults: tuple[tuple[str, Any, bool], ...]  # (column, default or None, call it) for unset columns
    versioned: bool
    onupdate: tuple[str, ...]
    audited: bool
    audit_columns: tuple[str, ...]

    def fill(self, row: Row, now: datetime) -> None:
        """The values the ORM gives the columns a new object leaves unset: the column default (``now``
        for a timestamp), else NULL; ``version`` 1. ``id`` is left to the caller."""
        for key, default, call in self.defaults:
            if key not in row:
                row[key] = (now if default is None else default.arg(None)) if call else default
        if self.versioned:
            row["version"] = 1

    def touch(self, row: Row, now: datetime) -> None:
        """What an UPDATE of the ORM adds: ``version`` + 1 (version_id_col) and ``onupdate`` columns."""
        if self.versioned:
            row["version"] = row["version"] + 1
        for key in self.onupdate:
            row[key] = now


def _python_type(col: Any) -> type | None:
    try:
        return col.type.python_type  # type: ignore[no-any-return]
    except NotImplementedError:
        return None


def _default(col: Any) -> tuple[str, Any, bool]:
    d = col.default
    if d is None:
        return col.key, None, False
    if d.is_callable:  # a timestamp takes the batch's time (one ``now`` for the whole batch)
        return col.key, None if _python_type(col) is datetime else d, True
    return col.key, d.arg, False


@cache
def shape(model: type) -> Shape:
    columns = list(model.__table__.columns)  # type: ignore[attr-defined]
    return Shape(defaults=tuple(_default(c) for c in columns if c.key != "id"),
                 versioned=inspect(model).version_id_col is not None,
                 onupdate=tuple(c.key for c in columns if c.onupdate is not None),
                 audited=bool(getattr(model, "__audit__", True)),
                 audit_columns=tuple(audit_columns(model)))
