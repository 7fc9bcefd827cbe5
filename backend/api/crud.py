"""Builds the standard list/create/get/patch/delete views of a reference-data resource."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import marshmallow as ma
from flask.views import MethodView

from backend.api.common import ListArgs, VersionArgs, page_schema
from backend.auth.decorators import current_user_required, require
from backend.services import crud


@dataclass(frozen=True)
class Resource:
    """What ``crud_resource`` needs to build the views of one reference-data resource."""

    model: type
    name: str
    view_perm: str
    write_perm: str
    search_fields: tuple[str, ...]
    sort_fields: tuple[str, ...]
    unique: tuple[str, ...]
    filter_fn: Callable | None
    create_fn: Callable | None
    update_fn: Callable | None
    get_fn: Callable | None

    def list(self, args: dict, user) -> dict:
        return crud.list_rows(self.model, args, self.search_fields, self.sort_fields, self.filter_fn, user)

    def create(self, data: dict):
        return self.create_fn(data) if self.create_fn else crud.create(self.model, data, self.unique)

    def get(self, obj_id: int):
        return self.get_fn(obj_id) if self.get_fn else crud.get_or_404(self.model, obj_id, self.name)

    def update(self, obj_id: int, version: int, data: dict):
        if self.update_fn:
            return self.update_fn(obj_id, version, data)
        return crud.update(self.model, obj_id, version, data, self.unique)


def _collection_view(blp, res: Resource, list_args, page, in_schema, detail) -> type[MethodView]:
    class Collection(MethodView):
        @blp.arguments(list_args, location="query")
        @blp.response(200, page)
        @blp.errors(422)
        @require(res.view_perm)
        def get(self, args):
            """List (search with q, sort, page)."""
            return res.list(args, current_user_required())

        @blp.arguments(in_schema)
        @blp.response(201, detail)
        @blp.errors(409, 422)
        @require(res.write_perm)
        def post(self, data):
            """Create."""
            return res.create(data)

    Collection.__name__ = f"{res.name}Collection"
    return Collection


def _item_view(blp, res: Resource, patch_schema, detail) -> type[MethodView]:
    class Item(MethodView):
        @blp.response(200, detail)
        @blp.errors(404)
        @require(res.view_perm)
        def get(self, obj_id):
            """Get one."""
            return res.get(obj_id)

        @blp.arguments(patch_schema)
        @blp.response(200, detail)
        @blp.errors(404, 409, 422)
        @require(res.write_perm)
        def patch(self, data, obj_id):
            """Change fields; ``version`` must be the one you read (else 409 stale_version)."""
            version = data.pop("version")
            return res.update(obj_id, version, data)

        @blp.arguments(VersionArgs, location="query")
        @blp.response(204)
        @blp.errors(404, 409, 422)
        @require(res.write_perm)
        def delete(self, args, obj_id):
            """Delete; refused with 409 ``in_use`` when referenced (deactivate instead)."""
            crud.delete(res.model, obj_id, args["version"])

    Item.__name__ = f"{res.name}Item"
    return Item


def crud_resource(blp, *, path: str, model: type, name: str, in_schema: type[ma.Schema],
                  out_schema: type[ma.Schema], view_perm: str, write_perm: str,
                  search_fields: tuple[str, ...], sort_fields: tuple[str, ...], unique: tuple[str, ...] = (),
                  list_args: type[ma.Schema] = ListArgs, filter_fn: Callable | None = None,
                  create_fn: Callable | None = None, update_fn: Callable | None = None,
                  detail_schema: type[ma.Schema] | None = None, create_schema: type[ma.Schema] | None = None,
                  get_fn: Callable | None = None):
    """Register ``path`` (list, create) and ``path/<id>`` (get, patch, delete) on ``blp``."""
    res = Resource(model, name, view_perm, write_perm, search_fields, sort_fields, unique, filter_fn, create_fn,
                   update_fn, get_fn)
    patch_schema = type(f"{name}Patch", (in_schema,), {
        "version": ma.fields.Integer(required=True, validate=ma.validate.Range(min=1, max=2**31 - 1))})
    detail = detail_schema or out_schema
    collection = _collection_view(blp, res, list_args, page_schema(out_schema, f"{name}Page"),
                                  create_schema or in_schema, detail)
    item = _item_view(blp, res, patch_schema(partial=tuple(in_schema().fields)), detail)
    blp.route(path)(collection)
    blp.route(f"{path}/<int:obj_id>")(item)
    return collection, item
