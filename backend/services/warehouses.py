"""Warehouses and locations (the warehouse scope of users is ``backend.services.access``)."""
from __future__ import annotations

from sqlalchemy import select

from backend.errors import Conflict, NotFound
from backend.extensions import db
from backend.models.warehouses import Location, Warehouse
from backend.services import crud
from backend.services.access import ensure_warehouse
from backend.services.uow import command


def get_warehouse(warehouse_id: int, user) -> Warehouse:
    """A warehouse the user works in (404 unknown, 403 another one)."""
    wh = crud.get_or_404(Warehouse, warehouse_id, "Warehouse")
    ensure_warehouse(user, wh.id)
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
def create_location(warehouse_id: int, data: dict, user=None) -> Location:
    get_warehouse(warehouse_id, user)
    _unique_code(warehouse_id, data["code"])
    loc = Location(warehouse_id=warehouse_id, **data)
    db.session.add(loc)
    crud._flush()
    return loc


@command
def update_location(warehouse_id: int, location_id: int, version: int, data: dict, user=None) -> Location:
    get_warehouse(warehouse_id, user)
    loc = _location(warehouse_id, location_id)
    if "code" in data:
        _unique_code(warehouse_id, data["code"], exclude=loc.id)
    return crud.update(Location, loc.id, version, data)


@command
def delete_location(warehouse_id: int, location_id: int, version: int, user=None) -> None:
    get_warehouse(warehouse_id, user)
    _location(warehouse_id, location_id)
    crud.delete(Location, location_id, version)
