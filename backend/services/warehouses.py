"""Warehouses, locations and the warehouse scope of users."""
from __future__ import annotations

from sqlalchemy import select

from backend.auth.decorators import current_user_or_none
from backend.errors import Conflict, NotFound, PermissionDenied
from backend.extensions import db
from backend.models.warehouses import Location, Warehouse
from backend.services import crud
from backend.services.uow import command

_CURRENT = object()


def visible_warehouse_ids(user=_CURRENT) -> set[int] | None:
    """The one warehouse-scope rule: warehouses ``user`` (default: the current user) is limited to; None:
    all (also for the system, i.e. no user). Every list, detail, report, export and pull filters by it."""
    if user is _CURRENT:
        user = current_user_or_none()
    return None if user is None else user.warehouse_ids


def ensure_warehouse_access(warehouse_id: int, user=_CURRENT) -> None:
    """Refuse to act on a warehouse the user (default: the current user) is not assigned to."""
    ids = visible_warehouse_ids(user)
    if ids is not None and warehouse_id not in ids:
        raise PermissionDenied("You do not work in this warehouse.", zh="您不在此仓库工作。",
                               code="warehouse_forbidden", errors={"warehouse_id": warehouse_id})


def get_warehouse(warehouse_id: int) -> Warehouse:
    wh = crud.get_or_404(Warehouse, warehouse_id, "Warehouse")
    ensure_warehouse_access(wh.id)
    return wh


def _location(warehouse_id: int, location_id: int) -> Location:
    loc = db.session.get(Location, location_id)
    if loc is None or loc.warehouse_id != warehouse_id:
        raise NotFound("Location not found.")
    return loc


def _unique_code(warehouse_id: int, code: str, exclude: int | None = None) -> None:
    stmt = select(Location.id).where(Location.warehouse_id == warehouse_id, Location.code == code)
    if exclude:
        stmt = stmt.where(Location.id != exclude)
    if db.session.scalar(stmt):
        raise Conflict(f"Location {code} already exists.", zh=f"库位 {code} 已存在。", code="duplicate", errors={"code": ["Already exists."]})


@command
def create_location(warehouse_id: int, data: dict) -> Location:
    get_warehouse(warehouse_id)
    _unique_code(warehouse_id, data["code"])
    loc = Location(warehouse_id=warehouse_id, **data)
    db.session.add(loc)
    crud._flush()
    return loc


@command
def update_location(warehouse_id: int, location_id: int, version: int, data: dict) -> Location:
    get_warehouse(warehouse_id)
    loc = _location(warehouse_id, location_id)
    if "code" in data:
        _unique_code(warehouse_id, data["code"], exclude=loc.id)
    return crud.update(Location, loc.id, version, data)


@command
def delete_location(warehouse_id: int, location_id: int, version: int) -> None:
    get_warehouse(warehouse_id)
    _location(warehouse_id, location_id)
    crud.delete(Location, location_id, version)
