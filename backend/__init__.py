"""JXC application factory."""
from __future__ import annotations

import logging
import os
from pathlib import Path

from flask import Flask, g, request
from werkzeug.routing import IntegerConverter

from backend.api.smorest import api
from backend.config import Config, normalise_db_url
from backend.extensions import db, limiter, login_manager, migrate
from backend.uploads import API_CSP
from backend.web import docs_csp

# 'wasm-unsafe-eval' lets the page compile WebAssembly (the barcode decoder in pwa/vendor/, our own file);
# it allows no JS eval.
CSP = ("default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; "
       "media-src 'self' blob:; connect-src 'self'; worker-src 'self'; manifest-src 'self'; "
       "frame-ancestors 'none'; base-uri 'self'; form-action 'self'")


class Int32Converter(IntegerConverter):
    """``<int:…>`` limited to the 32-bit ids the database uses."""

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", 2**31 - 1)
        super().__init__(map, *args, **kwargs)


def create_app(config: type | dict | None = None) -> Flask:
    """Build the app. ``config`` is a Config class or a dict of overrides."""
    app = Flask(__name__, static_folder=None)
    # ids are 32-bit: larger numbers in a URL are a 404, not a database overflow
    app.url_map.converters["int"] = Int32Converter
    _configure(app, config)
    _init_database(app)
    _init_http_api(app)
    app.after_request(_security_headers)

    from backend.cli import register_cli
    from backend.web import register_web

    register_cli(app)
    register_web(app)
    return app


def _configure(app: Flask, config: type | dict | None) -> None:
    app.config.from_object(Config)
    if isinstance(config, dict):
        app.config.update(config)
    elif config is not None:
        app.config.from_object(config)
    app.config["SQLALCHEMY_DATABASE_URI"] = normalise_db_url(app.config["SQLALCHEMY_DATABASE_URI"])
    from backend.deployment import apply_production_settings

    apply_production_settings(app)  # refuses a broken production set-up; TRUSTED_PROXIES (ProxyFix)
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    if uri.startswith("sqlite"):  # a file does not drop connections: no ping (a statement) per checkout
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {
            k: v for k, v in app.config["SQLALCHEMY_ENGINE_OPTIONS"].items() if k != "pool_pre_ping"}
    if uri.startswith("sqlite:///") and ":memory:" not in uri:
        Path(uri[len("sqlite:///"):]).parent.mkdir(parents=True, exist_ok=True)
    logging.basicConfig(level=os.environ.get("LOG_LEVEL", "INFO"))


def _init_database(app: Flask) -> None:
    db.init_app(app)
    with app.app_context():
        engine = db.engine
        if engine.dialect.name == "sqlite":
            from backend.services.uow import install_sqlite_pragmas

            install_sqlite_pragmas(engine, app.config["SQLITE_BUSY_TIMEOUT_MS"])
    import backend.models
    import backend.services.audit  # noqa: F401  (session listeners)

    migrate.init_app(app, db, directory=str(Path(__file__).resolve().parent.parent / "migrations"),
                     render_as_batch=True, compare_type=True)


def _init_http_api(app: Flask) -> None:
    login_manager.init_app(app)
    import backend.auth.throttle_storage  # noqa: F401  (registers the db:// rate-limit storage)

    limiter.init_app(app)
    api.init_app(app, spec_kwargs={"components": {"securitySchemes": {
        "session": {"type": "apiKey", "in": "cookie", "name": app.config["SESSION_COOKIE_NAME"]},
        "bearer": {"type": "http", "scheme": "bearer"}}},
        "security": [{"session": []}, {"bearer": []}]})

    from backend.api.common import DecimalString

    api.register_field(DecimalString, "string", "decimal")
    api.register_converter(Int32Converter, lambda _c: {"type": "integer", "minimum": 0, "maximum": 2**31 - 1})
    from backend.api import register_blueprints
    from backend.api.errors import register_error_handlers
    from backend.auth.web import install_auth

    install_auth(app)
    from backend.api.input_guard import install as install_input_guard

    install_input_guard(app)  # after auth: a forbidden caller gets 401/403, not 422
    from backend.api.idempotency import install as install_idempotency

    install_idempotency(app)  # Idempotency-Key on POST (after auth: keys are per user)
    register_blueprints(api)
    register_error_handlers(app)


def _security_headers(resp):
    resp.headers.setdefault("X-Request-ID", getattr(g, "request_id", ""))
    resp.headers.setdefault("X-Content-Type-Options", "nosniff")
    resp.headers.setdefault("Referrer-Policy", "same-origin")
    if request.path.startswith("/api/v1"):
        resp.headers.setdefault("Cache-Control", "no-store")
    if request.path == "/api/docs" or request.path.startswith("/api/docs/"):
        # Swagger UI: its own files only; the one inline initialiser allowed by its hash
        resp.headers.setdefault("Content-Security-Policy", docs_csp(resp))
        resp.headers.setdefault("X-Frame-Options", "DENY")
    elif request.path == "/api" or request.path.startswith("/api/"):
        # JSON and files: nothing in a response may load, run or be framed (docs/security.md)
        resp.headers.setdefault("Content-Security-Policy", API_CSP)
        resp.headers.setdefault("X-Frame-Options", "DENY")
    else:
        # The PWA loads only its own scripts; camera/photo blobs and data: images for previews.
        resp.headers.setdefault("Content-Security-Policy", CSP)
        resp.headers.setdefault("X-Frame-Options", "DENY")
    return resp


__all__ = ["create_app", "db"]
