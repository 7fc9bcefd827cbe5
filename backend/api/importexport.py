"""CSV/XLSX export and import of base data (one route per entity, each with the entity's permission)."""
from __future__ import annotations

import marshmallow as ma
from flask import Response
from flask.views import MethodView
from flask_smorest.fields import Upload
from marshmallow import validate

from backend.api.common import Blueprint
from backend.auth.decorators import current_user_required, require
from backend.services import importexport as service
from backend.uploads import file_response

blp = Blueprint("importexport", __name__, url_prefix="/api/v1", description="CSV/XLSX import and export")

class ExportArgs(ma.Schema):
    class Meta:
        unknown = ma.EXCLUDE

    format = ma.fields.String(load_default="csv", validate=validate.OneOf(("csv", "xlsx")))


class ImportArgs(ma.Schema):
    class Meta:
        unknown = ma.EXCLUDE

    dry_run = ma.fields.Boolean(load_default=False, metadata={"description": "Validate only; nothing is written"})
    skip_invalid = ma.fields.Boolean(load_default=False, metadata={
        "description": "Apply the valid rows and report the others (default: any row error imports nothing)"})


class ImportFile(ma.Schema):
    file = Upload(required=True, metadata={"description": ".csv (UTF-8 or GBK) or .xlsx"})


class RowError(ma.Schema):
    row = ma.fields.Integer()
    key = ma.fields.String(allow_none=True)
    code = ma.fields.String()
    message = ma.fields.String()
    errors = ma.fields.Raw()


class ImportReport(ma.Schema):
    entity = ma.fields.String()
    dry_run = ma.fields.Boolean()
    ok = ma.fields.Boolean()
    rows = ma.fields.Integer()
    created = ma.fields.Integer()
    updated = ma.fields.Integer()
    unchanged = ma.fields.Integer()
    skipped = ma.fields.Integer(metadata={"description": "Rows left out (with skip_invalid)"})
    errors = ma.fields.List(ma.fields.Nested(RowError))


def _file_doc(what: str) -> dict:
    return {"responses": {"200": {"description": what, "content": {
        "text/csv": {"schema": {"type": "string"}},
        service.XLSX_MIME: {"schema": {"type": "string", "format": "binary"}}}}}}


def _download(entity: str, fmt: str, template: bool = False) -> Response:
    return file_response(*service.export_file(entity, fmt, template, current_user_required()))


def _register(spec: service.Entity) -> None:
    entity = spec.name

    class Export(MethodView):
        @blp.arguments(ExportArgs, location="query")
        @blp.doc(**_file_doc(f"All {entity} as CSV (UTF-8 with BOM) or XLSX"))
        @blp.errors(422)
        @require(spec.view_perm)
        def get(self, args):
            """Export (the import reads the same columns)."""
            return _download(entity, args["format"])

    class Import(MethodView):
        @blp.arguments(ImportArgs, location="query")
        @blp.arguments(ImportFile, location="files")
        @blp.response(200, ImportReport)
        @blp.errors(413, 415, 422)
        @require(spec.write_perm)
        def post(self, args, files):
            """Import a .csv/.xlsx: rows matched on the key update, others are created — all or nothing, or
            with ``skip_invalid`` the valid rows only (the others reported)."""
            f = files["file"]
            max_bytes, _ = service.limits()
            content = f.read(max_bytes + 1)
            return service.import_file(entity, f.filename or "", content, dry_run=args["dry_run"],
                                       skip_invalid=args["skip_invalid"])

    class Template(MethodView):
        @blp.arguments(ExportArgs, location="query")
        @blp.doc(**_file_doc(f"An empty {entity} import file (header row only)"))
        @blp.errors(422)
        @require(spec.write_perm)
        def get(self, args):
            """Empty import template."""
            return _download(entity, args["format"], template=True)

    for cls, kind in ((Export, "Export"), (Import, "Import"), (Template, "Template")):
        cls.__name__ = f"{kind}{entity.title()}"
    blp.route(f"/export/{entity}")(Export)
    blp.route(f"/import/{entity}")(Import)
    blp.route(f"/import/{entity}/template")(Template)


for _spec in service.iter_entities():
    _register(_spec)
