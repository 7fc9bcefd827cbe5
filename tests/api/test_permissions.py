"""Every route declares a permission, and each role gets exactly what its permissions allow."""
import re

import pytest

from backend.auth.permissions import PERMISSIONS, ROLE_PERMISSIONS, ROLES
from backend.auth.web import declared_permission

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
