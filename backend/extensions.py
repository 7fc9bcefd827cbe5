"""Extensions, created once and bound to the app in ``create_app`` (the smorest ``Api`` is in
backend/api/smorest.py: it belongs to the HTTP layer)."""
from __future__ import annotations

from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy

from backend.models.base import Base

db = SQLAlchemy(metadata=Base.metadata)  # models subclass backend.models.base.Base
migrate = Migrate()
login_manager = LoginManager()
limiter = Limiter(key_func=get_remote_address, default_limits=[], headers_enabled=True)
