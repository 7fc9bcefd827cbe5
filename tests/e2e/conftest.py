"""E2E fixtures: the real app served over HTTP on a free port (werkzeug, threaded) with a temp SQLite
database, and headless Debian Chromium driven by Playwright at a phone viewport (390×844).

The module is skipped when /usr/bin/chromium or Playwright is missing. The root conftest's per-test
database truncation is switched off here: this suite shares one live server per session and each
test uses its own user/device instead.
"""
from __future__ import annotations

import os
import threading
from decimal import Decimal

import pytest

CHROMIUM = os.environ.get("JXC_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-dev-shm-usage"]
VIEWPORT = {"width": 390, "height": 844}
PASSWORD = "password123"

# seeded catalog: (sku, name, name_en, barcodes [(code, pack qty)])
PRODUCTS = [
    ("E2E-001", "十字螺丝刀", "Phillips screwdriver", [("6901234567892", "1"), ("16901234567899", "12")]),
    ("E2E-002", "卷尺", "Tape measure", [("6900000000017", "1")]),
    ("E2E-003", "劳保手套", "Work gloves", [("6900000000024", "1")]),
]


def chromium_available() -> bool:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return False
    return os.path.exists(CHROMIUM)


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
            for code in ("WH1", "WH2"):
                data["warehouses"][code] = crud.create(Warehouse, {"code": code, "name": f"仓库 {code}"}).id
            for sku, name, name_en, codes in PRODUCTS:
                p = create_product({"sku": sku, "name": name, "name_en": name_en, "unit": "个",
                                    "purchase_price": Decimal("5"), "sale_price": Decimal("9.9"),
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
    from playwright.sync_api import sync_playwright

    pw = sync_playwright().start()
    b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
    yield b
    b.close()
    pw.stop()


@pytest.fixture
def context(browser, live_server):
    ctx = browser.new_context(base_url=live_server.url, viewport=VIEWPORT, device_scale_factor=2, is_mobile=True,
                              has_touch=True, locale="zh-CN", service_workers="allow")
    ctx.set_default_timeout(10000)
    yield ctx
    ctx.close()


@pytest.fixture
def page(context):
    p = context.new_page()
    p.errors = []
    p.on("pageerror", lambda e: p.errors.append(str(e)))
    yield p


def login(page, username, password=PASSWORD):
    """Open the app and log in through the form; waits for the home screen."""
    page.goto("/")
    page.get_by_test_id("username").fill(username)
    page.get_by_test_id("password").fill(password)
    page.get_by_test_id("login-submit").click()
    page.locator('#app[data-view="home"][data-ready="1"]').wait_for()


def wait_sw_ready(page):
    """Wait until the service worker is active and controls the page (app shell precached)."""
    page.evaluate("() => navigator.serviceWorker.ready.then(() => true)")
    if not page.evaluate("() => !!navigator.serviceWorker.controller"):
        page.wait_for_function("() => !!navigator.serviceWorker.controller")


def outbox_rows(page):
    """Rows of the IndexedDB outbox, read straight from IndexedDB."""
    return page.evaluate("""() => new Promise((resolve, reject) => {
      const r = indexedDB.open('jxc');
      r.onsuccess = () => {
        const tx = r.result.transaction('outbox', 'readonly');
        const q = tx.objectStore('outbox').getAll();
        q.onsuccess = () => { r.result.close(); resolve(q.result); };
        q.onerror = () => reject(q.error);
      };
      r.onerror = () => reject(r.error);
    })""")
