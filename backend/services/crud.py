"""Generic create/update/delete/list for reference data (products, partners, warehouses …)."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import Select, exists, func, or_, select
from sqlalchemy.exc import IntegrityError

from backend.auth.visibility import cost_columns, refuse_cost_sort
from backend.errors import (
    Conflict,
    ValidationFailed,
    check_version,
    not_found,
)
from backend.extensions import db
from backend.models.base import Base
from backend.services.uow import command


def get_or_404(model: type, obj_id: int, what: str | None = None):
    obj = db.session.get(model, obj_id)
    if obj is None:
        raise not_found(what or model.__name__, obj_id)
    return obj


def _check_unique(model: type, obj_id: int | None, data: dict, unique: tuple[str, ...]) -> None:
    """Refuse duplicates with a clear 409 before the database would (case-insensitive)."""
    for field in unique:
        if field in data and data[field] is not None:
            col = getattr(model, field)
            stmt = select(model.id).where(func.lower(col) == str(data[field]).lower())
            if obj_id is not None:
                stmt = stmt.where(model.id != obj_id)
            if db.session.scalar(stmt) is not None:
                raise Conflict(f"{field} {data[field]!r} already exists.", zh=f"{field} {data[field]!r} 已存在。", code="duplicate",
                               errors={field: ["Already exists."]})


@command
def create(model: type, data: dict, unique: tuple[str, ...] = ()) -> Any:
    """Insert a row from validated data."""
    _check_unique(model, None, data, unique)
    obj = model(**data)
    db.session.add(obj)
    _flush()
    return obj


@command
def update(model: type, obj_id: int, version: int | None, data: dict, unique: tuple[str, ...] = ()) -> Any:
    """Apply a partial update with optimistic locking."""
    obj = get_or_404(model, obj_id)
    check_version(obj, version)
    _check_unique(model, obj_id, data, unique)
    for k, v in data.items():
        setattr(obj, k, v)
    _flush()
    return obj


def references(obj: Base) -> list[str]:
    """Tables holding a foreign key to ``obj`` (a delete would leave them dangling)."""
    table = obj.__table__
    found = []
    for other in Base.metadata.sorted_tables:
        for fk in other.foreign_keys:
            if fk.column.table is table and fk.ondelete not in ("CASCADE",) and db.session.scalar(
                    select(exists().where(fk.parent == obj.id))):
                found.append(other.name)
    return sorted(set(found))


@command
def delete(model: type, obj_id: int, version: int | None) -> None:
    """Delete, unless something refers to it: then 409 in_use (deactivate it instead)."""
    obj = get_or_404(model, obj_id)
    check_version(obj, version)
    refs = references(obj)
    if refs:
        raise Conflict("It is in use; deactivate it instead (is_active=false).", code="in_use",
                       errors={"referenced_by": refs})
    db.session.delete(obj)
    _flush()


def _flush() -> None:
    try:
        db.session.flush()
    except IntegrityError as exc:  # a race past _check_unique, or a bad foreign key
        raise Conflict("The change conflicts with existing data.", code="integrity_error",
                       errors={"detail": str(exc.orig)[:300]}) from exc


def search(stmt: Select, model: type, q: str | None, fields: tuple[str, ...]) -> Select:
    if q:
        like = f"%{q.strip().lower()}%"
        stmt = stmt.where(or_(*(func.lower(getattr(model, f)).like(like) for f in fields)))
    return stmt


def sort(stmt: Select, model: type, sort_key: str | None, allowed: tuple[str, ...], default: str = "id", *,
         user) -> Select:
    """Order by an allowed column (then id); a cost column only for a ``user`` who may see costs."""
    key = sort_key or default
    desc = key.startswith("-")
    name = key.lstrip("-")
    refuse_cost_sort(key, cost_columns(model), user)  # the order of costs is a cost too
    if name not in allowed:
        raise ValidationFailed(f"Cannot sort by {name!r}.", zh=f"不能按 {name!r} 排序。", errors={"sort": [f"One of: {', '.join(allowed)}"]})
    col = getattr(model, name)
    return stmt.order_by(col.desc() if desc else col.asc(), model.id.asc())


def paginate(stmt: Select, page: int, per_page: int) -> dict:
    total = db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    items = db.session.scalars(stmt.limit(per_page).offset((page - 1) * per_page)).unique().all()
    return {"items": items, "total": total, "page": page, "per_page": per_page}


def list_rows(model: type, args: dict, search_fields: tuple[str, ...], sort_fields: tuple[str, ...],
              filter_fn: Callable | None, user) -> dict:
    """A page of a reference-data list: ``q`` search, ``active`` (when given), an extra filter, sort, page."""
    stmt = search(select(model), model, args.get("q"), search_fields)
    if args.get("active") is not None:
        stmt = stmt.where(model.is_active.is_(args["active"]))
    if filter_fn:
        stmt = filter_fn(stmt, args)
    stmt = sort(stmt, model, args.get("sort"), sort_fields, user=user)
    return paginate(stmt, args["page"], args["per_page"])
