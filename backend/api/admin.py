"""System administration: database backups (create, list, download, delete)."""
from __future__ import annotations

import marshmallow as ma
from flask import send_file
from flask.views import MethodView
from marshmallow import validate

from backend.api.common import Blueprint
from backend.auth.decorators import require
from backend.services import backup as service
from backend.uploads import secure_file_headers

blp = Blueprint("admin", __name__, url_prefix="/api/v1/admin", description="Backups")

PERM = "system.admin"


class BackupIn(ma.Schema):
    class Meta:
        unknown = ma.EXCLUDE

    format = ma.fields.String(load_default="portable", validate=validate.OneOf(("portable", "native")),
                              metadata={"description": "portable (JSON lines, any engine) or native "
                                                       "(SQLite copy / pg_dump)"})
    note = ma.fields.String(allow_none=True, validate=validate.Length(max=200))


class BackupOut(ma.Schema):
    name = ma.fields.String()
    format = ma.fields.String()
    size = ma.fields.Integer()
    sha256 = ma.fields.String(allow_none=True)
    created_at = ma.fields.String()
    dialect = ma.fields.String(allow_none=True)
    alembic_revision = ma.fields.String(allow_none=True)
    rows = ma.fields.Integer(allow_none=True)
    tables = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Integer())
    note = ma.fields.String(allow_none=True)


class BackupList(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(BackupOut))
    total = ma.fields.Integer()


@blp.route("/backups")
class Backups(MethodView):
    @blp.response(200, BackupList)
    @require(PERM)
    def get(self):
        """Backups in instance/backups, newest first."""
        items = service.list_backups()
        return {"items": items, "total": len(items)}

    @blp.arguments(BackupIn)
    @blp.response(201, BackupOut)
    @blp.errors(409, 422)
    @require(PERM)
    def post(self, data):
        """Back up the database now (consistent snapshot while the shop keeps working)."""
        return service.create_backup(fmt=data["format"], note=data.get("note"))


@blp.route("/backups/<string:name>")
class BackupItem(MethodView):
    @blp.doc(responses={"200": {"description": "The backup file", "content": {
        "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}}})
    @blp.errors(404)
    @require(PERM)
    def get(self, name):
        """Download a backup."""
        path = service.backup_path(name)
        resp = send_file(path, mimetype="application/octet-stream", as_attachment=True, download_name=path.name,
                         max_age=0)
        return secure_file_headers(resp, path.name)

    @blp.response(204)
    @blp.errors(404)
    @require(PERM)
    def delete(self, name):
        """Delete a backup file."""
        service.delete_backup(name)
