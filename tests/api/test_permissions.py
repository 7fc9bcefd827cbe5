"""Every route declares a permission, and each role gets exactly what its permissions allow."""
import re
from decimal import Decimal as D

import pytest

from backend.auth.permissions import PERMISSIONS, ROLE_PERMISSIONS, ROLES
from backend.auth.web import declared_permission
from tests.factories import ok as _ok

UNDECLARED_OK = {"api-docs.openapi_json", "api-docs.openapi_swagger_ui", "static"}


def _routes(app):
    for rule in app.url_map.iter_rules():
        if rule.endpoint in UNDECLARED_OK:
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield rule, method, declared_permission(app, rule.endpoint, method)


def _url(rule) -> str:
    return re.sub(r"<(?:(\w+):)?(\w+)>", lambda m: "1" if m.group(1) in ("int", None) and m.group(1) else "x", rule.rule)


def test_every_route_declares_its_permission(app):
    missing = [f"{m} {r.rule}" for r, m, perm in _routes(app) if perm is None]
    assert not missing, f"routes without @require(...): {missing}"
    unknown = [f"{m} {r.rule}: {p}" for r, m, p in _routes(app) if p not in PERMISSIONS and p not in ("public", "authenticated")]
    assert not unknown


def test_openapi_documents_the_permission_of_each_operation(app):
    spec = app.test_client().get("/api/openapi.json").get_json()
    ops = [(path, m, op) for path, item in spec["paths"].items() for m, op in item.items() if m != "parameters"]
    assert ops and all("x-permission" in op for _, _, op in ops), [f"{m} {p}" for p, m, op in ops if "x-permission" not in op]


@pytest.mark.parametrize("role", ROLES)
def test_role_gets_403_exactly_where_it_lacks_the_permission_and_nothing_changes(app, login, role):
    from backend.extensions import db
    from backend.models.audit import AuditLog

    api = login(role)
    wrong = []
    for rule, method, perm in _routes(app):
        if perm in ("public", "authenticated") or rule.rule.endswith("/logout"):
            continue
        before = db.session.query(AuditLog).count()
        r = api.request(method, _url(rule), json={})
        body = r.get_json(silent=True) or {}
        forbidden = r.status_code == 403 and body.get("code") == "forbidden"
        allowed = perm in ROLE_PERMISSIONS[role]
        if allowed == forbidden or r.status_code >= 500:
            wrong.append(f"{method} {rule.rule} ({perm}) → {r.status_code} {body.get('code')}")
        if forbidden and db.session.query(AuditLog).count() != before:
            wrong.append(f"{method} {rule.rule}: a forbidden request changed data")
    assert not wrong, wrong


def test_unauthenticated_requests_get_401_everywhere(app, client):
    wrong = []
    for rule, method, perm in _routes(app):
        if perm == "public":
            continue
        r = client.open(_url(rule), method=method, json={})
        if r.status_code != 401:
            wrong.append(f"{method} {rule.rule} → {r.status_code}")
    assert not wrong, wrong


ROLE_TABLE = [
    # (role, method, path, expected status) — the business intent, spelled out
    ("sales", "POST", "/api/v1/products", 403),
    ("purchaser", "POST", "/api/v1/products", 201),
    ("warehouse", "PATCH", "/api/v1/products/1", 403),  # warehouse staff cannot change prices
    ("finance", "POST", "/api/v1/suppliers", 403),
    ("purchaser", "POST", "/api/v1/suppliers", 201),
    ("sales", "POST", "/api/v1/customers", 201),
    ("purchaser", "POST", "/api/v1/customers", 403),
    ("manager", "GET", "/api/v1/users", 403),
    ("admin", "GET", "/api/v1/users", 200),
    ("warehouse", "GET", "/api/v1/audit", 403),
    ("manager", "GET", "/api/v1/audit", 200),
    ("warehouse", "POST", "/api/v1/warehouses", 403),
]

_BODIES = {"/api/v1/products": {"sku": "T-1", "name": "t"}, "/api/v1/suppliers": {"code": "S-T", "name": "t"},
           "/api/v1/customers": {"code": "C-T", "name": "t"}, "/api/v1/warehouses": {"code": "W-T", "name": "t"},
           "/api/v1/products/1": {"version": 1, "sale_price": "1"}}


@pytest.mark.parametrize("role,method,path,status", ROLE_TABLE)
def test_role_table(login, make_product, role, method, path, status):
    make_product()
    r = login(role).request(method, path, json=_BODIES.get(path) if method != "GET" else None)
    assert r.status_code == status, r.get_json()


def test_roles_only_use_known_permissions():
    assert all(p in PERMISSIONS for perms in ROLE_PERMISSIONS.values() for p in perms)


# ---------------------------------------------------------------- role × field: costs (cost.view)
# Every representation that can carry a cost (JSON, CSV/XLSX exports, PDFs, sync pull) shows it exactly
# when the role has cost.view; without it the key/column is absent (not null). See docs/security.md.

PO_PRICE, PURCHASE_PRICE = "43.21", "87.65"  # distinctive strings to look for in files and PDFs
# names that are costs wherever they appear (sales prices and quantities are not)
COST_NAMES = {"purchase_price", "avg_cost", "unit_cost", "cost", "cost_total", "total_value", "stock_value",
              "margin", "margin_pct", "cogs", "in_transit_value", "opening_value", "average_value", "variance_value",
              "ordered_amount", "received_amount", "returned_amount", "open_amount"}


def _paths(data, prefix=""):
    """Every key path of a JSON value, list indices as ``*`` (``lines.*.unit_price``)."""
    out = set()
    if isinstance(data, dict):
        for k, v in data.items():
            p = f"{prefix}{k}"
            out.add(p)
            out |= _paths(v, p + ".")
    elif isinstance(data, list):
        for v in data:
            out |= _paths(v, prefix + "*.")
    return out




@pytest.fixture
def cost_world(login, make_warehouse, make_product, make_supplier, make_customer):
    """A world where every cost-carrying document exists: a received PO, a purchase return, a shipped sales
    order, an adjustment, a shipped transfer; made by admins through the API."""
    boss, approvers = login("admin"), [login("manager"), login("admin")]
    w1, w2 = make_warehouse(), make_warehouse()
    p = make_product(purchase_price=PURCHASE_PRICE, sale_price="99", reorder_point=D(1000))
    s, c = make_supplier(), make_customer()
    po = _ok(boss.post("/api/v1/purchase-orders", json={"supplier_id": s.id, "warehouse_id": w1.id, "lines": [
        {"product_id": p.id, "quantity": "20", "unit_price": PO_PRICE, "tax_rate": "0"}]}), 201)
    po = _ok(boss.post(f"/api/v1/purchase-orders/{po['id']}/submit", json={"version": po["version"]}))
    for a in approvers:
        if po["status"] == "submitted":
            po = _ok(a.post(f"/api/v1/purchase-orders/{po['id']}/approve", json={"version": po["version"]}))
    gr = _ok(boss.post(f"/api/v1/purchase-orders/{po['id']}/receive", json={"version": po["version"], "lines": [
        {"line_id": po["lines"][0]["id"], "quantity": "10"}]}), 201)
    pr = _ok(boss.post(f"/api/v1/purchase-orders/{po['id']}/returns", json={
        "version": gr["order"]["version"], "lines": [{"receipt_line_id": gr["lines"][0]["id"], "quantity": "1"}]}), 201)
    so = _ok(boss.post("/api/v1/sales-orders", json={"customer_id": c.id, "warehouse_id": w1.id, "lines": [
        {"product_id": p.id, "quantity": "2", "unit_price": "99", "tax_rate": "0"}]}), 201)
    so = _ok(boss.post(f"/api/v1/sales-orders/{so['id']}/submit", json={"version": so["version"]}))
    for a in approvers:
        if so["status"] == "submitted":
            so = _ok(a.post(f"/api/v1/sales-orders/{so['id']}/approve", json={"version": so["version"]}))
    dn = _ok(boss.post(f"/api/v1/sales-orders/{so['id']}/ship", json={"version": so["version"]}), 201)
    adj = _ok(boss.post("/api/v1/adjustments", json={"warehouse_id": w1.id, "reason": "damage", "lines": [
        {"product_id": p.id, "quantity": "-1"}]}), 201)
    tr = _ok(boss.post("/api/v1/transfers", json={"from_warehouse_id": w1.id, "to_warehouse_id": w2.id,
                                                  "lines": [{"product_id": p.id, "quantity": "1"}]}), 201)
    tr = _ok(boss.post(f"/api/v1/transfers/{tr['id']}/ship", json={"version": tr["version"]}))
    code = p.barcodes[0].code
    json_routes = {  # url → cost key paths it carries for a role with cost.view
        f"/api/v1/products/{p.id}": {"purchase_price", "stock.*.avg_cost", "stock.*.value"},
        "/api/v1/products": {"items.*.purchase_price"},
        f"/api/v1/barcodes/{code}": {"product.purchase_price"},
        "/api/v1/stock": {"items.*.avg_cost", "items.*.value", "total_value"},
        "/api/v1/stock/moves": {"items.*.unit_cost", "items.*.value"},
        "/api/v1/alerts/low-stock": {"items.*.avg_cost", "items.*.value"},
        f"/api/v1/purchase-orders/{po['id']}": {"subtotal", "total", "lines.*.unit_price", "lines.*.amount",
                                                 "lines.*.total", "receipts.*.total", "returns.*.total"},
        "/api/v1/purchase-orders": {"items.*.total", "items.*.subtotal"},
        f"/api/v1/purchase-receipts/{gr['id']}": {"amount", "total", "lines.*.unit_price", "lines.*.amount"},
        "/api/v1/purchase-receipts": {"items.*.total", "items.*.lines.*.unit_price"},
        f"/api/v1/purchase-returns/{pr['id']}": {"amount", "total", "lines.*.unit_price", "lines.*.total"},
        f"/api/v1/sales-orders/{so['id']}": {"margin"},
        f"/api/v1/shipments/{dn['id']}": {"cost_total", "lines.*.unit_cost", "lines.*.cost"},
        f"/api/v1/adjustments/{adj['id']}": {"total_value", "lines.*.unit_cost", "lines.*.value"},
        f"/api/v1/transfers/{tr['id']}": {"lines.*.unit_cost"},
        "/api/v1/reports/sales?group_by=product": {"rows.*.cost", "rows.*.margin", "totals.cost"},
        "/api/v1/reports/purchases": {"rows.*.ordered_amount", "rows.*.received_amount", "totals.net_amount"},
        "/api/v1/reports/inventory": {"rows.*.value", "rows.*.avg_cost", "rows.*.cogs", "totals.value"},
        "/api/v1/dashboard": {"today.cost", "today.margin", "stock_value", "trend.*.margin"},
    }
    files = {  # url → text that shows a cost (price, header) in the file
        "/api/v1/export/products?format=csv": ["purchase_price", PURCHASE_PRICE],
        "/api/v1/export/products?format=xlsx": ["purchase_price", PURCHASE_PRICE],
        "/api/v1/reports/inventory?format=csv&lang=en": ["Average cost", PO_PRICE],
        "/api/v1/reports/inventory?format=xlsx&lang=en": ["Average cost"],
        "/api/v1/reports/purchases?format=csv&lang=en": [",Ordered,", "864.20"],
        f"/api/v1/purchase-orders/{po['id']}/pdf": [PO_PRICE, "864.20"],
        f"/api/v1/purchase-receipts/{gr['id']}/pdf": [PO_PRICE, "432.10"],
        f"/api/v1/purchase-returns/{pr['id']}/pdf": [PO_PRICE],
    }
    return {"json": json_routes, "files": files, "po": po, "tr": tr}


def _file_text(r) -> str:
    if r.mimetype == "application/pdf":
        from tests.purchasing.test_purchase_pdf import _inflate, _pdf_text

        pages = b"".join(_inflate(s) for s in re.findall(rb"stream\r?\n(.*?)\s*endstream", r.data, re.DOTALL))
        return _pdf_text(pages)
    if r.data[:2] == b"PK":  # xlsx: the shared strings and the sheet
        import io
        import zipfile

        with zipfile.ZipFile(io.BytesIO(r.data)) as z:
            return " ".join(z.read(n).decode() for n in z.namelist() if n.startswith("xl/"))
    return r.data.decode("utf-8-sig")


@pytest.mark.parametrize("role", ROLES)
def test_role_sees_cost_fields_exactly_when_it_has_cost_view(login, cost_world, role):
    sees = "cost.view" in ROLE_PERMISSIONS[role]
    api, wrong, checked = login(role), [], 0
    for url, expected in cost_world["json"].items():
        r = api.get(url)
        if r.status_code == 403:
            continue
        paths = _paths(_ok(r))
        checked += 1
        if sees and not expected <= paths:
            wrong.append(f"{url}: missing {sorted(expected - paths)}")
        leaked = {p for p in paths if p in expected or p.rsplit(".", 1)[-1] in COST_NAMES}
        if not sees and leaked:
            wrong.append(f"{url}: shows {sorted(leaked)}")
    for url, needles in cost_world["files"].items():
        r = api.get(url)
        if r.status_code == 403:
            continue
        assert r.status_code == 200, (url, r.status_code)
        text, checked = _file_text(r), checked + 1
        found = [n for n in needles if n in text]
        if sees and found != needles:
            wrong.append(f"{url}: missing {sorted(set(needles) - set(found))}")
        if not sees and found:
            wrong.append(f"{url}: shows {found}")
    assert checked >= 8 and not wrong, wrong


@pytest.mark.parametrize("role", ROLES)
def test_pulled_records_carry_costs_only_with_cost_view(login, cost_world, role):
    sees = "cost.view" in ROLE_PERMISSIONS[role]
    body = _ok(login(role).get("/api/v1/sync/pull?limit=5000"))
    by = {}
    for ch in body["changes"]:
        by.setdefault(ch["entity"], []).append(ch["data"])
    assert ("purchase_price" in by["product"][0]) is sees
    if "purchase.view" in ROLE_PERMISSIONS[role]:
        po = by["purchase_order"][0]
        assert {"subtotal", "total"} <= set(po) if sees else not {"subtotal", "tax_total", "total"} & set(po)
        assert ("unit_price" in po["lines"][0]) is sees and ("amount" in po["lines"][0]) is sees
        assert po["lines"][0]["quantity"] == "20.0000"  # the quantities to receive against stay
    if "transfer.view" in ROLE_PERMISSIONS[role]:
        assert ("unit_cost" in by["transfer"][0]["lines"][0]) is sees


def test_sorting_by_a_cost_is_refused_without_cost_view(login, cost_world):
    wh = login("warehouse")
    for url in ("/api/v1/products?sort=-purchase_price", "/api/v1/stock?sort=value",
                "/api/v1/purchase-orders?sort=total", "/api/v1/purchase-receipts?sort=-total"):
        r = wh.get(url)
        assert r.status_code == 422 and r.get_json()["errors"]["sort"], url
        assert login("purchaser").get(url).status_code == 200
