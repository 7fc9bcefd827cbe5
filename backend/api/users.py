"""User administration (admin only)."""
from __future__ import annotations

import marshmallow as ma
from flask.views import MethodView
from marshmallow import validate

from backend.api.common import Blueprint, ListArgs, Str, page_schema
from backend.auth.decorators import current_user_required, require
from backend.auth.permissions import ROLES
from backend.services import users as service

blp = Blueprint("users", __name__, url_prefix="/api/v1/users", description="Users and roles (admin)")



class UserIn(ma.Schema):
    username = Str(64, required=True, min_len=2)
    password = Str(200, required=True, min_len=service.MIN_PASSWORD)
    display_name = Str(120)
    email = ma.fields.Email(allow_none=True)
    roles = ma.fields.List(ma.fields.String(validate=validate.OneOf(ROLES)), required=True,
                           validate=validate.Length(min=1, max=6))
    warehouse_ids = ma.fields.List(ma.fields.Integer(validate=validate.Range(min=1, max=2**31 - 1)),
                                   validate=validate.Length(max=200))
    locale = ma.fields.String(validate=validate.OneOf(("zh-CN", "en")))


class UserPatch(ma.Schema):
    version = ma.fields.Integer(required=True, validate=validate.Range(min=1, max=2**31 - 1))
    password = Str(200, min_len=service.MIN_PASSWORD)
    display_name = Str(120)
    email = ma.fields.Email(allow_none=True)
    roles = ma.fields.List(ma.fields.String(validate=validate.OneOf(ROLES)), validate=validate.Length(min=1, max=6))
    warehouse_ids = ma.fields.List(ma.fields.Integer(validate=validate.Range(min=1, max=2**31 - 1)),
                                   validate=validate.Length(max=200))
    is_active = ma.fields.Boolean()
    locale = ma.fields.String(validate=validate.OneOf(("zh-CN", "en")))


class UserOut(ma.Schema):
    id = ma.fields.Integer()
    version = ma.fields.Integer()
    username = ma.fields.String()
    display_name = ma.fields.String()
    email = ma.fields.String(allow_none=True)
    roles = ma.fields.List(ma.fields.String())
    warehouse_ids = ma.fields.Method("_wh")
    is_active = ma.fields.Boolean()
    locale = ma.fields.String()
    last_login_at = ma.fields.AwareDateTime(allow_none=True)
    created_at = ma.fields.AwareDateTime()

    def _wh(self, user):
        return sorted(w.id for w in user.warehouses)


class UserPatched(UserOut):
    sessions_ended = ma.fields.Integer(dump_default=0, metadata={
        "description": "Sessions of the user that this change ended (password reset, deactivation)"})
    tokens_revoked = ma.fields.Integer(dump_default=0, metadata={
        "description": "API tokens of the user that this change revoked (password reset, deactivation)"})


@blp.route("")
class Users(MethodView):
    @blp.arguments(ListArgs, location="query")
    @blp.response(200, page_schema(UserOut, "UserPage"))
    @require("user.admin")
    def get(self, args):
        """List users."""
        return service.list_users(args.get("q"), args.get("sort"), args["page"], args["per_page"],
                                  current_user_required())

    @blp.arguments(UserIn)
    @blp.response(201, UserOut)
    @blp.errors(409, 422)
    @require("user.admin")
    def post(self, data):
        """Create a user."""
        return service.create_user(data.pop("username"), data.pop("password"), data.pop("roles"), **data)


@blp.route("/<int:user_id>")
class UserItem(MethodView):
    @blp.response(200, UserOut)
    @blp.errors(404)
    @require("user.admin")
    def get(self, user_id):
        """Get a user."""
        return service.get_user(user_id)

    @blp.arguments(UserPatch)
    @blp.response(200, UserPatched)
    @blp.errors(404, 409, 422)
    @require("user.admin")
    def patch(self, data, user_id):
        """Change roles, warehouses, password or deactivate. A password reset or deactivation ends the user's
        sessions and revokes their API tokens (counted in `sessions_ended`, `tokens_revoked`)."""
        version = data.pop("version")
        return service.update_user(user_id, version, data, acting_user=current_user_required())


class TokensRevoked(ma.Schema):
    tokens_revoked = ma.fields.Integer(required=True, metadata={"description": "live API tokens now revoked"})


@blp.route("/<int:user_id>/revoke-tokens")
class UserRevokeTokens(MethodView):
    @blp.response(200, TokensRevoked)
    @blp.errors(404)
    @require("user.admin")
    def post(self, user_id):
        """Revoke every live API token of the user (their login sessions stay). Answers how many."""
        return service.revoke_user_tokens(user_id)


class RoleOut(ma.Schema):
    name = ma.fields.String()
    permissions = ma.fields.List(ma.fields.String())


@blp.route("/roles")
class Roles(MethodView):
    @blp.response(200, RoleOut(many=True))
    @require("user.admin")
    def get(self):
        """Roles and their permissions."""
        return service.roles()


__all__ = ["blp"]
