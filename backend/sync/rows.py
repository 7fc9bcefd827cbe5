"""What the batch path handles: rows standing for ORM objects (``Row``), what a run loads up front
(``Needs``), in-memory stock levels (``Level``), and how the ORM fills a new row (column defaults,
version) and audits it (``backend.services.audit``)."""
from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import inspect

from backend.models.base import Base


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


def audited(model: type) -> bool:
    return bool(getattr(model, "__audit__", True))


def versioned(model: type) -> bool:
    return inspect(model).version_id_col is not None


def _python_type(col: Any) -> type | None:
    try:
        return col.type.python_type  # type: ignore[no-any-return]
    except NotImplementedError:
        return None


def fill_defaults(model: type, row: Row, now: datetime) -> None:
    """The values the ORM gives the columns a new object leaves unset: the column default (``now`` for
    a timestamp), else NULL. ``id`` is left to the caller."""
    for col in model.__table__.columns:  # type: ignore[attr-defined]
        if col.key in row or col.key == "id":
            continue
        default = col.default
        if default is None:
            row[col.key] = None
        elif default.is_callable:
            row[col.key] = now if _python_type(col) is datetime else default.arg(None)
        else:
            row[col.key] = default.arg


def touch(model: type, row: Row, now: datetime) -> None:
    """What an UPDATE of the ORM adds: ``version`` + 1 (version_id_col) and ``onupdate`` columns."""
    if versioned(model):
        row["version"] = row["version"] + 1
    for col in model.__table__.columns:  # type: ignore[attr-defined]
        if col.onupdate is not None:
            row[col.key] = now
