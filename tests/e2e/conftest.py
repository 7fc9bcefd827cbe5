"""E2E fixtures: the real app served over HTTP on a free port (werkzeug, threaded) with a temp SQLite
database, and headless Debian Chromium driven by Playwright at a phone viewport (390×844).

The module is skipped when /usr/bin/chromium or Playwright is missing. The root conftest's per-test
database truncation is switched off here: this suite shares one live server per session and each
test uses its own user/device instead.
"""
from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from e2e_helpers import CHROMIUM, CHROMIUM_ARGS, PASSWORD, VIEWPORT, chromium_available

# seeded catalog: (sku, name, name_en, barcodes [(code, pack qty)])
PRODUCTS = [
    ("E2E-001", "十字螺丝刀", "Phillips screwdriver", [("6901234567892", "1"), ("16901234567899", "12")]),
    ("E2E-002", "卷尺", "Tape measure", [("6900000000014", "1")]),
    ("E2E-003", "劳保手套", "Work gloves", [("6900000000021", "1")]),
]


@pytest.fixture(autouse=True)
def _app_ctx():
    """Overrides the root conftest's per-test database reset: the live server's data is session-wide."""
    yield


class LiveServer:
    def __init__(self, app, url, data):
        self.app, self.url, self.data = app, url, data

    def user(self, role="warehouse", warehouses=None):
        """A fresh user (its own outbox history on the server)."""
        from backend.context import Actor, acting_as
        from backend.services.users import create_user

        LiveServer._n = getattr(LiveServer, "_n", 0) + 1
        name = f"{role}{LiveServer._n}"
        with self.app.app_context(), acting_as(Actor(None, "e2e", "cli")):
            create_user(name, PASSWORD, [role], warehouse_ids=warehouses or [])
        return name

    def approved_po(self, warehouse: str, lines: list[tuple[str, str]]) -> dict:
        """A purchase order created and submitted by one manager and approved by another."""
        a, b = self.client(self.user("manager")), self.client(self.user("manager"))
        r = a.post("/api/v1/purchase-orders", json={
            "supplier_id": self.data["supplier"], "warehouse_id": self.data["warehouses"][warehouse],
            "lines": [{"product_id": self.data["products"][sku], "quantity": q} for sku, q in lines]})
        assert r.status_code == 201, r.get_json()
        po = r.get_json()
        po = a.post(f"/api/v1/purchase-orders/{po['id']}/submit", json={"version": po["version"]}).get_json()
        r = b.post(f"/api/v1/purchase-orders/{po['id']}/approve", json={"version": po["version"]})
        assert r.status_code == 200 and r.get_json()["status"] == "approved", r.get_json()
        return r.get_json()

    def client(self, username):
        """A logged-in API client on the app (the same database the browser writes to)."""
        return _Api(self.app, username)


class _Api:
    """Flask test client logged in through the real endpoint (session cookie + X-CSRF-Token)."""

    def __init__(self, app, username):
        self.http = app.test_client()
        r = self.http.post("/api/v1/auth/login", json={"username": username, "password": PASSWORD})
        assert r.status_code == 200, r.get_json()
        self.csrf = r.get_json()["csrf_token"]

    def get(self, url, **kw):
        r = self.http.get(url, **kw)
        assert r.status_code == 200, (url, r.status_code, r.get_json())
        return r.get_json()

    def post(self, url, json=None):
        return self.http.post(url, json=json, headers={"X-CSRF-Token": self.csrf})


@pytest.fixture(scope="session")
def live_server(tmp_path_factory):
    if not chromium_available():
        pytest.skip("Chromium or Playwright not installed")
    from werkzeug.serving import make_server

    from backend import create_app
    from backend.config import TestConfig
    from backend.context import Actor, acting_as
    from backend.extensions import db
    from backend.models.base import Base
    from backend.models.warehouses import Warehouse
    from backend.services import crud
    from backend.services.catalog import create_product

    path = tmp_path_factory.mktemp("e2e") / "e2e.db"
    cfg = {k: getattr(TestConfig, k) for k in dir(TestConfig) if k.isupper()}
    cfg.update(SQLALCHEMY_DATABASE_URI=f"sqlite:///{path}", TESTING=False, RATELIMIT_ENABLED=False)
    app = create_app(cfg)
    data = {"products": {}, "warehouses": {}}
    with app.app_context():
        Base.metadata.create_all(db.engine)
        with acting_as(Actor(None, "e2e", "cli")):
            from backend.models.partners import Customer, Supplier

            data["supplier"] = crud.create(Supplier, {"code": "S-E2E", "name": "五金供应商"}).id
            data["customer"] = crud.create(Customer, {"code": "C-E2E", "name": "建材商店"}).id
            for code in ("WH1", "WH2"):
                data["warehouses"][code] = crud.create(Warehouse, {"code": code, "name": f"仓库 {code}"}).id
            for sku, name, name_en, codes in PRODUCTS:
                p = create_product({"sku": sku, "name": name, "name_en": name_en, "unit": "个",
                                    "purchase_price": Decimal(5), "sale_price": Decimal("9.9"),
                                    "barcodes": [{"code": c, "quantity": Decimal(q)} for c, q in codes]})
                data["products"][sku] = p.id
        db.session.remove()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield LiveServer(app, f"http://127.0.0.1:{server.server_port}", data)
    server.shutdown()
    thread.join(5)
    with app.app_context():
        db.engine.dispose()


@pytest.fixture(scope="session")
def browser(live_server):
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=15000)  # generous: CI machines and parallel suites can be slow
    pw = sync_playwright().start()
    b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
    yield b
    b.close()
    pw.stop()


@pytest.fixture
def context(browser, live_server):
    ctx = browser.new_context(base_url=live_server.url, viewport=VIEWPORT, device_scale_factor=2, is_mobile=True,
                              has_touch=True, locale="zh-CN", service_workers="allow")
    ctx.set_default_timeout(15000)
    yield ctx
    ctx.close()


@pytest.fixture
def page(context):
    p = context.new_page()
    p.errors = []
    p.on("pageerror", lambda e: p.errors.append(str(e)))
    yield p


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Remember each phase's report on the test item (fixtures take failure screenshots with it)."""
    outcome = yield
    setattr(item, f"rep_{outcome.get_result().when}", outcome.get_result())
