"""Login, logout, current user, own password and API tokens."""
from __future__ import annotations

import hashlib

import marshmallow as ma
from flask import current_app, g, request, session
from flask.views import MethodView
from flask_login import login_user, logout_user
from marshmallow import validate
from sqlalchemy import select

from backend.api.common import Blueprint, Str
from backend.auth.decorators import (
    AUTHENTICATED,
    PUBLIC,
    current_user_required,
    require,
)
from backend.extensions import db, limiter
from backend.models.users import ApiToken
from backend.services import users as service

blp = Blueprint("auth", __name__, url_prefix="/api/v1/auth", description="Sessions and API tokens")


class LoginIn(ma.Schema):
    username = Str(64, required=True, min_len=1)
    password = Str(200, required=True, min_len=1)


class WarehouseRef(ma.Schema):
    id = ma.fields.Integer()
    code = ma.fields.String()
    name = ma.fields.String()


class MeOut(ma.Schema):
    id = ma.fields.Integer()
    username = ma.fields.String()
    display_name = ma.fields.String()
    locale = ma.fields.String()
    roles = ma.fields.List(ma.fields.String())
    permissions = ma.fields.Method("_perms")
    warehouses = ma.fields.List(ma.fields.Nested(WarehouseRef), metadata={"description": "Empty: all warehouses"})
    csrf_token = ma.fields.String(allow_none=True)
    auth = ma.fields.String()

    def _perms(self, user):
        return sorted(user.permissions)


def _me(user):
    sess = g.get("user_session")
    return {"id": user.id, "username": user.username, "display_name": user.display_name, "locale": user.locale,
            "roles": user.roles, "permissions": user.permissions, "warehouses": user.warehouses,
            "csrf_token": sess.csrf_token if sess else None, "auth": g.get("auth_source", "session"),
            "_user": user}


class _MeDump(MeOut):
    def _perms(self, obj):
        return sorted(obj["permissions"])


def _login_limit():
    return current_app.config["LOGIN_RATE_LIMIT"]


def _login_ip_limit():
    return current_app.config["LOGIN_IP_RATE_LIMIT"]


def _login_account_key() -> str:
    """The account a login tries (case and blanks folded as login does), hashed to bound the key."""
    try:
        body = request.get_json(silent=True)
    except RecursionError:  # absurdly nested JSON: the request is refused elsewhere; no account to count
        body = None
    name = body.get("username") if isinstance(body, dict) else None
    folded = name.strip().lower() if isinstance(name, str) else ""
    # surrogatepass: a lone surrogate ("\ud800") in the name must not break the key (the login answers)
    return "login-user:" + hashlib.sha256(folded.encode("utf-8", "surrogatepass")).hexdigest()[:32]


@blp.route("/login")
class Login(MethodView):
    # Per account: failed attempts only (wherever they come from), so guessing one password is slow but a
    # user's own logins on many devices do not count. Per client address: every attempt, with a more generous
    # limit, so one shared office address is not locked out by one account's failures.
    @limiter.limit(_login_limit, key_func=_login_account_key, deduct_when=lambda resp: resp.status_code == 401)
    @limiter.limit(_login_ip_limit, key_func=lambda: f"login-ip:{request.remote_addr}")
    @blp.arguments(LoginIn)
    @blp.response(200, _MeDump)
    @blp.errors(401, 429)
    @require(PUBLIC)
    def post(self, data):
        """Log in; sets the session cookie and returns the CSRF token for unsafe requests."""
        user, key, sess = service.login(data["username"], data["password"], request.remote_addr,
                                        request.headers.get("User-Agent"))
        session.clear()
        session.permanent = True
        session["k"] = key
        user._session_key = key
        login_user(user)
        g.user_session, g.auth_source = sess, "session"
        return _me(user)


@blp.route("/logout")
class Logout(MethodView):
    @blp.response(204)
    @require(AUTHENTICATED)
    def post(self):
        """End this session on the server (the cookie becomes worthless)."""
        if g.get("user_session") is not None:
            service.logout(g.user_session.key_hash)
        logout_user()
        session.clear()


@blp.route("/me")
class Me(MethodView):
    @blp.response(200, _MeDump)
    @blp.errors(401)
    @require(AUTHENTICATED)
    def get(self):
        """The current user with roles, permissions, allowed warehouses and CSRF token."""
        return _me(current_user_required())


class PasswordIn(ma.Schema):
    old_password = Str(200, required=True)
    new_password = Str(200, required=True, min_len=service.MIN_PASSWORD,
                       metadata={"description": "At least 8 characters, not one of the most common passwords, "
                                                "not the username."})


class PasswordChanged(ma.Schema):
    sessions_ended = ma.fields.Integer(metadata={"description": "Other login sessions of the user that ended"})
    tokens_revoked = ma.fields.Integer(metadata={"description": "API tokens of the user that were revoked"})


@blp.route("/password")
class Password(MethodView):
    @blp.arguments(PasswordIn)
    @blp.response(200, PasswordChanged)
    @blp.errors(422)
    @require(AUTHENTICATED)
    def post(self, data):
        """Change own password; every other session ends and every API token of the user is revoked."""
        sess = g.get("user_session")
        return service.change_password(current_user_required(), data["old_password"], data["new_password"],
                                       sess.key_hash if sess else None)


class TokenIn(ma.Schema):
    name = Str(100, required=True, min_len=1)
    expires_at = ma.fields.AwareDateTime(allow_none=True)


class TokenOut(ma.Schema):
    id = ma.fields.Integer()
    name = ma.fields.String()
    prefix = ma.fields.String()
    created_at = ma.fields.AwareDateTime()
    last_used_at = ma.fields.AwareDateTime(allow_none=True)
    expires_at = ma.fields.AwareDateTime(allow_none=True)
    revoked_at = ma.fields.AwareDateTime(allow_none=True)


class TokenCreated(TokenOut):
    token = ma.fields.String(metadata={"description": "Shown once; send as Authorization: Bearer …"})


@blp.route("/tokens")
class Tokens(MethodView):
    @blp.response(200, TokenOut(many=True))
    @require("token.manage")
    def get(self):
        """Own API tokens."""
        user = current_user_required()
        return db.session.scalars(select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id)).all()

    @blp.arguments(TokenIn)
    @blp.response(201, TokenCreated)
    @blp.errors(403)
    @require("token.manage")
    def post(self, data):
        """Create a personal API token (the secret is returned only now). Needs a login session: a request
        authenticated with a token is refused (403 `session_required`)."""
        tok, secret = service.create_token(current_user_required(), data["name"], data.get("expires_at"))
        tok.token = secret  # not a column: shown once in this response only
        return tok


@blp.route("/tokens/<int:token_id>")
class TokenItem(MethodView):
    @blp.response(204)
    @blp.errors(404)
    @require("token.manage")
    def delete(self, token_id):
        """Revoke a token."""
        service.revoke_token(current_user_required(), token_id)


__all__ = ["blp", "validate"]
