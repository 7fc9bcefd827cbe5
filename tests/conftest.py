"""Fixtures: app on SQLite (default) or PostgreSQL (JXC_TEST_DB=postgres + TEST_DATABASE_URL), a clean
database per test, an HTTP client that logs in for real (session cookie + CSRF), and factories."""
from __future__ import annotations

import contextvars
import itertools
import os
from decimal import Decimal

import pytest

os.environ.setdefault("JXC_FAST_PASSWORD_HASH", "1")  # before backend imports: cheap argon2id params
from flask import has_app_context
from flask.testing import FlaskClient
from sqlalchemy import text

from backend.config import normalise_db_url
from backend.context import Actor, acting_as
from backend.dbadmin import fresh_app
from backend.extensions import db
from backend.models.base import Base

PASSWORD = "password123"

# Test files that start servers or a browser, or sweep many generated cases: the fast loop
# (`./test.sh -m "not slow"`) leaves them out; CI runs everything.
SLOW_FILES = {"test_schemathesis.py", "test_reports_schemathesis.py", "test_concurrency.py",
              "test_ledger_property.py", "test_crash_resend.py", "test_migrations_and_cli.py"}


# Single tests of that kind inside otherwise fast files (by function name).
SLOW_TESTS = {"test_real_photos_never_misread", "test_real_photos_without_barcodes_give_nothing"}  # photo sweeps


def pytest_collection_modifyitems(config, items):
    for item in items:
        if item.path.name in SLOW_FILES or "e2e" in item.path.parts or item.originalname in SLOW_TESTS:
            item.add_marker(pytest.mark.slow)
        if "e2e" in item.path.parts:
            item.add_marker(pytest.mark.e2e)
        if "unit" in item.path.parts:  # tests/unit/: pure rules and source checks, no app, no database
            item.add_marker(pytest.mark.nodb)
_seq = itertools.count(1)


def _database_url(tmp_path_factory) -> str:
    if os.environ.get("JXC_TEST_DB") == "postgres":
        url = os.environ.get("TEST_DATABASE_URL")
        if not url:
            pytest.exit("JXC_TEST_DB=postgres needs TEST_DATABASE_URL", returncode=2)
        url = normalise_db_url(url)
        worker = os.environ.get("PYTEST_XDIST_WORKER")
        if worker:  # one database per xdist worker: <db>_gw0, <db>_gw1 …
            url = _worker_database(url, worker)
        return url
    return "sqlite:///" + str(tmp_path_factory.mktemp("db") / "test.db")


def _worker_database(url: str, worker: str) -> str:
    from backend.dbadmin import side_database

    return side_database(url, worker)


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    return _database_url(tmp_path_factory)


class IsolatedClient(FlaskClient):
    """Each request gets its own app context (fresh ``g``, DB session), exactly as in production.

    Flask would otherwise reuse the test's app context, so ``g`` (and Flask-Login's cached user) and
    the SQLAlchemy session would leak from one request to the next. The test's own transaction is ended
    first so that it sees what the request committed.
    """

    def open(self, *args, **kwargs):
        if has_app_context():
            db.session.commit()
        return contextvars.Context().run(super().open, *args, **kwargs)


@pytest.fixture(scope="session")
def app(database_url, tmp_path_factory):
    app = fresh_app(database_url, BACKUP_DIR=str(tmp_path_factory.mktemp("backups")))  # never instance/backups
    app.test_client_class = IsolatedClient
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def _truncate_all():
    tables = [t.name for t in reversed(Base.metadata.sorted_tables)]
    db.session.rollback()
    if db.engine.dialect.name == "postgresql":
        db.session.execute(text("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE"))
    else:
        for t in tables:
            db.session.execute(text(f'DELETE FROM "{t}"'))
        db.session.execute(text("DELETE FROM sqlite_sequence")) if db.session.execute(
            text("SELECT 1 FROM sqlite_master WHERE name='sqlite_sequence'")).first() else None
    db.session.commit()


@pytest.fixture(autouse=True)
def _app_ctx(request):
    """Each test runs in an app context on an empty database — except a test marked ``nodb`` (pure rules:
    no app, no database; touching either fails)."""
    if request.node.get_closest_marker("nodb"):
        yield
        return
    app = request.getfixturevalue("app")
    config = dict(app.config)  # the app lives for the session: a setting a test changes must not leak
    with app.app_context():
        yield
        db.session.remove()
        _truncate_all()
        db.session.remove()
    app.config.clear()
    app.config.update(config)


@pytest.fixture
def client(app):
    return app.test_client()


class ApiClient:
    """Test client logged in through POST /api/v1/auth/login; sends X-CSRF-Token on unsafe methods."""

    def __init__(self, app, username: str | None = None, password: str = PASSWORD, token: str | None = None):
        self.http = app.test_client()
        self.csrf = None
        self.token = token
        self.user = None
        if username:
            r = self.http.post("/api/v1/auth/login", json={"username": username, "password": password})
            assert r.status_code == 200, r.get_json()
            self.user = r.get_json()
            self.csrf = self.user["csrf_token"]

    def _headers(self, method: str, headers: dict | None):
        h = dict(headers or {})
        if self.csrf and method in ("POST", "PUT", "PATCH", "DELETE"):
            h.setdefault("X-CSRF-Token", self.csrf)
        if self.token:
            h.setdefault("Authorization", f"Bearer {self.token}")
        return h

    def request(self, method: str, url: str, **kw):
        kw["headers"] = self._headers(method, kw.get("headers"))
        return self.http.open(url, method=method, **kw)

    def get(self, url, **kw):
        return self.request("GET", url, **kw)

    def post(self, url, **kw):
        return self.request("POST", url, **kw)

    def patch(self, url, **kw):
        return self.request("PATCH", url, **kw)

    def put(self, url, **kw):
        return self.request("PUT", url, **kw)

    def delete(self, url, **kw):
        return self.request("DELETE", url, **kw)


@pytest.fixture
def api_client_cls():
    """ApiClient for tests that build their own app (importing conftest is ambiguous under xdist)."""
    return ApiClient


@pytest.fixture
def make_user():
    """make_user("warehouse", warehouses=[wh]) → a committed User with password PASSWORD."""
    from backend.services.users import create_user

    def _make(role: str = "admin", username: str | None = None, warehouses=(), roles=None):
        with acting_as(Actor(None, "test", "cli")):
            u = create_user(username or f"{role}{next(_seq)}", PASSWORD, roles or [role],
                            warehouse_ids=[w.id if hasattr(w, "id") else w for w in warehouses])
        return u

    return _make


@pytest.fixture
def login(app, make_user):
    """login("manager") → an ApiClient for a fresh user with that role (or pass username=)."""

    def _login(role: str = "admin", username: str | None = None, warehouses=()):
        if username is None:
            username = make_user(role, warehouses=warehouses).username
        return ApiClient(app, username)

    return _login


@pytest.fixture
def admin(login):
    return login("admin")


@pytest.fixture
def make_warehouse():
    from backend.models.warehouses import Warehouse
    from backend.services import crud

    def _make(code: str | None = None, **kw):
        n = next(_seq)
        with acting_as(Actor(None, "test", "cli")):
            return crud.create(Warehouse, {"code": code or f"WH{n}", "name": kw.pop("name", f"Warehouse {n}"), **kw})

    return _make


@pytest.fixture
def make_product():
    from backend.services.catalog import create_product

    def _make(sku: str | None = None, **kw):
        n = next(_seq)
        data = {"sku": sku or f"SKU-{n:05d}", "name": kw.pop("name", f"Product {n}"),
                "purchase_price": Decimal(kw.pop("purchase_price", "10")),
                "sale_price": Decimal(kw.pop("sale_price", "15")), **kw}
        with acting_as(Actor(None, "test", "cli")):
            return create_product(data)

    return _make


@pytest.fixture
def make_supplier():
    from backend.models.partners import Supplier
    from backend.services import crud

    def _make(**kw):
        n = next(_seq)
        with acting_as(Actor(None, "test", "cli")):
            return crud.create(Supplier, {"code": kw.pop("code", f"S{n}"), "name": kw.pop("name", f"Supplier {n}"), **kw})

    return _make


@pytest.fixture
def make_customer():
    from backend.models.partners import Customer
    from backend.services import crud

    def _make(**kw):
        n = next(_seq)
        with acting_as(Actor(None, "test", "cli")):
            return crud.create(Customer, {"code": kw.pop("code", f"C{n}"), "name": kw.pop("name", f"Customer {n}"), **kw})

    return _make
