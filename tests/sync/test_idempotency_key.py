"""Idempotency-Key on ordinary POST endpoints."""
import json

from sqlalchemy import func, select

from backend.extensions import db
from backend.models.catalog import Barcode, Product
from backend.services import catalog, idempotency


def _post(api, url, body, key):
    return api.post(url, json=body, headers={"Idempotency-Key": key})


def test_a_replayed_key_returns_the_first_response_and_creates_nothing_more(login):
    api = login("admin")
    body = {"sku": "IK-1", "name": "幂等"}
    first = _post(api, "/api/v1/products", body, "k-1")
    assert first.status_code == 201
    again = _post(api, "/api/v1/products", dict(reversed(list(body.items()))), "k-1")  # key order is irrelevant
    assert again.status_code == 201 and again.headers.get("Idempotent-Replayed") == "true"
    assert again.get_json() == first.get_json()
    assert db.session.scalar(select(func.count()).select_from(Product).where(Product.sku == "IK-1")) == 1
    # another user's key of the same name is independent
    other = _post(login("admin"), "/api/v1/products", {"sku": "IK-2", "name": "x"}, "k-1")
    assert other.status_code == 201 and "Idempotent-Replayed" not in other.headers


def test_the_same_key_with_another_body_is_a_422(login):
    api = login("admin")
    assert _post(api, "/api/v1/products", {"sku": "IK-1", "name": "a"}, "k-2").status_code == 201
    r = _post(api, "/api/v1/products", {"sku": "IK-9", "name": "b"}, "k-2")
    assert r.status_code == 422 and r.get_json()["code"] == "idempotency_key_reused"
    r = api.post("/api/v1/products/1/barcodes", json={"sku": "IK-1", "name": "a"}, headers={"Idempotency-Key": "k-2"})
    assert r.status_code == 422 and r.get_json()["code"] == "idempotency_key_reused"  # another path


def test_errors_are_replayed_too(login, make_product):
    p = make_product(sku="TAKEN")
    api = login("admin")
    first = _post(api, "/api/v1/products", {"sku": "TAKEN", "name": "dup"}, "k-3")
    assert first.status_code == 409
    catalog.update_product(p.id, p.version, {"sku": "FREED"})  # the conflict is gone now …
    again = _post(api, "/api/v1/products", {"sku": "TAKEN", "name": "dup"}, "k-3")
    assert again.status_code == 409 and again.get_json() == first.get_json()  # … the answer is not
    invalid = _post(api, "/api/v1/products", {"sku": "", "name": "x"}, "k-4")
    assert invalid.status_code == 422
    assert _post(api, "/api/v1/products", {"sku": "", "name": "x"}, "k-4").get_json() == invalid.get_json()


def test_the_same_key_while_the_first_request_is_running_is_a_409(login):
    api = login("admin")
    body = {"sku": "IK-5", "name": "slow"}
    fp = idempotency.fingerprint("POST", "/api/v1/products", b"", json.dumps(body).encode(), True)
    idempotency.begin(api.user["id"], "k-5", "POST", "/api/v1/products", fp)  # the first one is still running
    r = _post(api, "/api/v1/products", body, "k-5")
    assert r.status_code == 409 and r.get_json()["code"] == "idempotency_in_progress"
    assert db.session.scalar(select(func.count()).select_from(Product).where(Product.sku == "IK-5")) == 0


def test_a_server_error_releases_the_key_so_a_retry_runs(login, make_product, monkeypatch):
    p = make_product()
    api = login("admin")
    real = catalog._add_barcode

    def boom(*a, **kw):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(catalog, "_add_barcode", boom)
    r = _post(api, f"/api/v1/products/{p.id}/barcodes", {"code": "4006381333931"}, "k-6")
    assert r.status_code == 500
    monkeypatch.setattr(catalog, "_add_barcode", real)
    r = _post(api, f"/api/v1/products/{p.id}/barcodes", {"code": "4006381333931"}, "k-6")
    assert r.status_code == 201 and "Idempotent-Replayed" not in r.headers
    assert _post(api, f"/api/v1/products/{p.id}/barcodes", {"code": "4006381333931"}, "k-6").status_code == 201
    assert db.session.scalar(select(func.count()).select_from(Barcode).where(Barcode.code == "4006381333931")) == 1


def test_a_key_that_is_too_long_is_refused_and_get_requests_ignore_keys(login):
    api = login("admin")
    r = _post(api, "/api/v1/products", {"sku": "IK-7", "name": "x"}, "k" * 300)
    assert r.status_code == 422 and r.get_json()["code"] == "invalid_idempotency_key"
    assert api.get("/api/v1/products", headers={"Idempotency-Key": "k-8"}).status_code == 200
