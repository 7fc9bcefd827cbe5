"""Company details printed on every PDF (letterhead): read by any user, edited by an admin."""
from __future__ import annotations

import marshmallow as ma
from flask import request
from flask.views import MethodView
from marshmallow import validate

from backend.api.common import Blueprint, Str
from backend.auth.decorators import AUTHENTICATED, current_user_required, require
from backend.errors import NotFound, ValidationFailed
from backend.services import company as service
from backend.uploads import image_response

blp = Blueprint("company", __name__, url_prefix="/api/v1/settings", description="Company details (letterhead)")

PERM = "system.admin"


class VersionIn(ma.Schema):
    """The version the client last saw; 0 while the details were never saved."""

    version = ma.fields.Integer(required=True, validate=validate.Range(min=0, max=2**31 - 1))


class CompanyIn(VersionIn):
    """Fields left out stay as they are; null or "" empties one."""

    name = Str(200, allow_none=True)
    address = Str(500, allow_none=True)
    tax_id = Str(64, allow_none=True)
    phone = Str(64, allow_none=True)
    email = ma.fields.Email(allow_none=True, validate=validate.Length(max=200))

    @ma.pre_load
    def _blank_email(self, data, **_kw):
        if isinstance(data, dict) and data.get("email") == "":
            data = {**data, "email": None}
        return data


class CompanyOut(ma.Schema):
    version = ma.fields.Integer()
    name = ma.fields.String()
    address = ma.fields.String()
    tax_id = ma.fields.String()
    phone = ma.fields.String()
    email = ma.fields.String()
    has_logo = ma.fields.Function(lambda c: bool(c.logo_type))
    logo_type = ma.fields.String(allow_none=True)
    logo_size = ma.fields.Integer(allow_none=True)
    logo_width = ma.fields.Integer(allow_none=True)
    logo_height = ma.fields.Integer(allow_none=True)
    updated_at = ma.fields.AwareDateTime(allow_none=True)


@blp.route("/company")
class Company(MethodView):
    @blp.response(200, CompanyOut)
    @require(AUTHENTICATED)
    def get(self):
        """The company details (version 0 and blank fields until an admin saves them)."""
        return service.get_company()

    @blp.arguments(CompanyIn)
    @blp.response(200, CompanyOut)
    @blp.errors(409, 422)
    @require(PERM)
    def put(self, data):
        """Save the company details (fields left out stay as they are)."""
        return service.update_company(data, current_user_required())


@blp.route("/company/logo")
class CompanyLogo(MethodView):
    @blp.response(200, content_type="image/png")
    @blp.errors(404)
    @require(AUTHENTICATED)
    def get(self):
        """The logo (a clean PNG or JPEG)."""
        logo = service.logo_bytes()
        if logo is None:
            raise NotFound("No logo has been uploaded.", zh="尚未上传徽标。")
        return image_response(logo[0], "logo")

    @blp.arguments(VersionIn, location="query")
    @blp.response(200, CompanyOut)
    @blp.errors(409, 413, 415, 422, 503)
    @require(PERM)
    def put(self, args):
        """Upload the logo (multipart field ``file``; PNG or JPEG by its bytes, ≤ 1 MB, ≤ 4 MP)."""
        f = request.files.get("file")
        if f is None:
            raise ValidationFailed("Send the logo as multipart field 'file'.", zh="请以 multipart 字段 file 上传徽标。",
                                   errors={"file": ["Missing."]})
        return service.set_logo(args["version"], f.read(service.LOGO_MAX_BYTES + 1), current_user_required())

    @blp.arguments(VersionIn, location="query")
    @blp.response(200, CompanyOut)
    @blp.errors(409)
    @require(PERM)
    def delete(self, args):
        """Remove the logo."""
        return service.delete_logo(args["version"], current_user_required())
