"""Read-only audit log (there is deliberately no update or delete route)."""
from __future__ import annotations

import marshmallow as ma
from flask.views import MethodView
from marshmallow import validate

from backend.api.common import Blueprint, page_schema
from backend.auth.decorators import require
from backend.services import audit

blp = Blueprint("audit", __name__, url_prefix="/api/v1/audit", description="Audit log")


class AuditArgs(ma.Schema):
    class Meta:
        unknown = ma.EXCLUDE

    entity = ma.fields.String(validate=validate.Length(max=64))
    entity_id = ma.fields.String(validate=validate.Length(max=64))
    user_id = ma.fields.Integer(validate=validate.Range(min=1, max=2**31 - 1))
    action = ma.fields.String(validate=validate.Length(max=40))
    since = ma.fields.AwareDateTime()
    until = ma.fields.AwareDateTime()
    page = ma.fields.Integer(load_default=1, validate=validate.Range(min=1, max=100000))
    per_page = ma.fields.Integer(load_default=50, validate=validate.Range(min=1, max=500))


class AuditOut(ma.Schema):
    id = ma.fields.Integer()
    at = ma.fields.AwareDateTime()
    user_id = ma.fields.Integer(allow_none=True)
    username = ma.fields.String(allow_none=True)
    source = ma.fields.String(allow_none=True)
    entity = ma.fields.String()
    entity_id = ma.fields.String()
    action = ma.fields.String()
    changes = ma.fields.Dict()
    request_id = ma.fields.String(allow_none=True)


@blp.route("")
class Audit(MethodView):
    @blp.arguments(AuditArgs, location="query")
    @blp.response(200, page_schema(AuditOut, "AuditPage"))
    @require("audit.view")
    def get(self, args):
        """Audit records, newest first (filters: entity, entity_id, user, action, date range)."""
        return audit.search(args, args["page"], args["per_page"])


class AuditUser(ma.Schema):
    id = ma.fields.Integer()
    username = ma.fields.String()


class FacetsOut(ma.Schema):
    entities = ma.fields.List(ma.fields.String())
    users = ma.fields.List(ma.fields.Nested(AuditUser))


@blp.route("/facets")
class AuditFacets(MethodView):
    @blp.response(200, FacetsOut)
    @require("audit.view")
    def get(self):
        """The filter choices: entity names present in the log and the users who appear in it."""
        return audit.facets()


@blp.route("/<int:record_id>")
class AuditRecord(MethodView):
    @blp.response(200, AuditOut)
    @blp.errors(404)
    @require("audit.view")
    def get(self, record_id):
        """One audit record."""
        return audit.get(record_id)
