"""Extensions, created once and bound to the app in ``create_app``."""
from __future__ import annotations

from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_smorest import Api as _SmorestApi
from flask_sqlalchemy import SQLAlchemy

from backend.models.base import Base


class Api(_SmorestApi):
    """flask-smorest Api whose errors use our stable string codes (see backend.api.errors)."""

    from backend.api.error_schema import ErrorSchema as ERROR_SCHEMA

    def handle_http_exception(self, error):
        from backend.api.errors import http_error_response

        return http_error_response(error)


db = SQLAlchemy(metadata=Base.metadata)  # models subclass backend.models.base.Base
migrate = Migrate()
login_manager = LoginManager()
api = Api()
limiter = Limiter(key_func=get_remote_address, default_limits=[], headers_enabled=True)
