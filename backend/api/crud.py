"""Builds the standard list/create/get/patch/delete views of a reference-data resource."""
from __future__ import annotations

from collections.abc import Callable

import marshmallow as ma
from flask.views import MethodView
from sqlalchemy import select

from backend.api.common import ListArgs, VersionArgs, page_schema
from backend.auth.decorators import require
from backend.services import crud


def crud_resource(blp, *, path: str, model: type, name: str, in_schema: type[ma.Schema],
                  out_schema: type[ma.Schema], view_perm: str, write_perm: str,
                  search_fields: tuple[str, ...], sort_fields: tuple[str, ...], unique: tuple[str, ...] = (),
                  list_args: type[ma.Schema] = ListArgs, filter_fn: Callable | None = None,
                  create_fn: Callable | None = None, update_fn: Callable | None = None,
                  detail_schema: type[ma.Schema] | None = None, create_schema: type[ma.Schema] | None = None,
                  get_fn: Callable | None = None):
    """Register ``path`` (list, create) and ``path/<id>`` (get, patch, delete) on ``blp``."""
    patch_schema = type(f"{name}Patch", (in_schema,), {
        "version": ma.fields.Integer(required=True, validate=ma.validate.Range(min=1, max=2**31 - 1))})
    page = page_schema(out_schema, f"{name}Page")
    detail = detail_schema or out_schema

    class Collection(MethodView):
        @blp.arguments(list_args, location="query")
        @blp.response(200, page)
        @blp.errors(422)
        @require(view_perm)
        def get(self, args):
            """List (search with q, sort, page)."""
            stmt = select(model)
            stmt = crud.search(stmt, model, args.get("q"), search_fields)
            if "active" in args and args["active"] is not None:
                stmt = stmt.where(model.is_active.is_(args["active"]))
            if filter_fn:
                stmt = filter_fn(stmt, args)
            stmt = crud.sort(stmt, model, args.get("sort"), sort_fields)
            return crud.paginate(stmt, args["page"], args["per_page"])

        @blp.arguments(create_schema or in_schema)
        @blp.response(201, detail)
        @blp.errors(409, 422)
        @require(write_perm)
        def post(self, data):
            """Create."""
            return (create_fn or (lambda d: crud.create(model, d, unique)))(data)

    class Item(MethodView):
        @blp.response(200, detail)
        @blp.errors(404)
        @require(view_perm)
        def get(self, obj_id):
            """Get one."""
            return get_fn(obj_id) if get_fn else crud.get_or_404(model, obj_id, name)

        @blp.arguments(patch_schema(partial=tuple(in_schema().fields)))
        @blp.response(200, detail)
        @blp.errors(404, 409, 422)
        @require(write_perm)
        def patch(self, data, obj_id):
            """Change fields; ``version`` must be the one you read (else 409 stale_version)."""
            version = data.pop("version")
            if update_fn:
                return update_fn(obj_id, version, data)
            return crud.update(model, obj_id, version, data, unique)

        @blp.arguments(VersionArgs, location="query")
        @blp.response(204)
        @blp.errors(404, 409, 422)
        @require(write_perm)
        def delete(self, args, obj_id):
            """Delete; refused with 409 ``in_use`` when referenced (deactivate instead)."""
            crud.delete(model, obj_id, args["version"])

    Collection.__name__ = f"{name}Collection"
    Item.__name__ = f"{name}Item"
    blp.route(path)(Collection)
    blp.route(f"{path}/<int:obj_id>")(Item)
    return Collection, Item
