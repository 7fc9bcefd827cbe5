"""Warehouses and locations (bins)."""
from __future__ import annotations

import marshmallow as ma
from flask.views import MethodView

from backend.api.common import Blueprint, ListArgs, Str, VersionArgs
from backend.api.crud import crud_resource
from backend.auth.decorators import current_user_required, require
from backend.models.warehouses import Location, Warehouse
from backend.services import warehouses as service
from backend.services.access import visible_warehouses

blp = Blueprint("warehouses", __name__, url_prefix="/api/v1", description="Warehouses and locations")


class LocationIn(ma.Schema):
    code = Str(32, required=True, min_len=1)
    name = Str(200, allow_none=True)
    is_active = ma.fields.Boolean()


class LocationPatch(LocationIn):
    version = ma.fields.Integer(required=True, validate=ma.validate.Range(min=1, max=2**31 - 1))


class LocationOut(ma.Schema):
    id = ma.fields.Integer()
    version = ma.fields.Integer()
    warehouse_id = ma.fields.Integer()
    code = ma.fields.String()
    name = ma.fields.String(allow_none=True)
    is_active = ma.fields.Boolean()


class WarehouseIn(ma.Schema):
    code = Str(32, required=True, min_len=1)
    name = Str(200, required=True, min_len=1)
    address = Str(300, allow_none=True)
    notes = Str(2000, allow_none=True)
    is_active = ma.fields.Boolean()


class WarehouseOut(ma.Schema):
    id = ma.fields.Integer()
    version = ma.fields.Integer()
    code = ma.fields.String()
    name = ma.fields.String()
    address = ma.fields.String(allow_none=True)
    notes = ma.fields.String(allow_none=True)
    is_active = ma.fields.Boolean()
    locations = ma.fields.List(ma.fields.Nested(LocationOut))
    created_at = ma.fields.AwareDateTime()
    updated_at = ma.fields.AwareDateTime()


class WarehouseListArgs(ListArgs):
    active = ma.fields.Boolean(allow_none=True, load_default=None)


def _visible(stmt, _args):
    """Warehouse-bound users list only their warehouses."""
    ids = visible_warehouses(current_user_required())
    return stmt if ids is None else stmt.where(Warehouse.id.in_(ids))


crud_resource(blp, path="/warehouses", model=Warehouse, name="Warehouse", in_schema=WarehouseIn,
              out_schema=WarehouseOut, view_perm="warehouse.view", write_perm="warehouse.write",
              search_fields=("code", "name"), sort_fields=("id", "code", "name"), unique=("code",),
              list_args=WarehouseListArgs, filter_fn=_visible, get_fn=lambda warehouse_id: service.get_warehouse(warehouse_id, current_user_required()))


@blp.route("/warehouses/<int:warehouse_id>/locations")
class Locations(MethodView):
    @blp.response(200, LocationOut(many=True))
    @blp.errors(404)
    @require("warehouse.view")
    def get(self, warehouse_id):
        """Locations (bins) of a warehouse."""
        return service.get_warehouse(warehouse_id, current_user_required()).locations

    @blp.arguments(LocationIn)
    @blp.response(201, LocationOut)
    @blp.errors(404, 409)
    @require("warehouse.write")
    def post(self, data, warehouse_id):
        """Add a location."""
        return service.create_location(warehouse_id, data, current_user_required())


@blp.route("/warehouses/<int:warehouse_id>/locations/<int:location_id>")
class LocationItem(MethodView):
    @blp.arguments(LocationPatch(partial=("code", "name", "is_active")))
    @blp.response(200, LocationOut)
    @blp.errors(404, 409)
    @require("warehouse.write")
    def patch(self, data, warehouse_id, location_id):
        """Change a location."""
        version = data.pop("version")
        return service.update_location(warehouse_id, location_id, version, data, current_user_required())

    @blp.arguments(VersionArgs, location="query")
    @blp.response(204)
    @blp.errors(404, 409)
    @require("warehouse.write")
    def delete(self, args, warehouse_id, location_id):
        """Delete a location (409 in_use when referenced)."""
        service.delete_location(warehouse_id, location_id, args["version"], current_user_required())


__all__ = ["Location", "blp"]
