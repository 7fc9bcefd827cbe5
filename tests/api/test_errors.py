"""Bad input never gives a 500: every error has the same JSON shape and changes nothing."""
import pytest


def _shape(r, status, code=None):
    body = r.get_json()
    assert r.status_code == status, body
    assert set(body) >= {"code", "status", "message", "errors"}
    assert body["status"] == status
    if code:
        assert body["code"] == code
    return body


def test_malformed_json_is_400(admin):
    r = admin.post("/api/v1/products", data="{not json", content_type="application/json")
    _shape(r, 400, "malformed_json")


@pytest.mark.parametrize("payload,field", [
    ({"sku": 123, "name": "x"}, "sku"),
    ({"sku": "A", "name": "x", "sale_price": "abc"}, "sale_price"),
    ({"sku": "A", "name": "x", "sale_price": "-1"}, "sale_price"),
    ({"sku": "A", "name": "x", "sale_price": "NaN"}, "sale_price"),
    ({"sku": "A", "name": "x", "colour": "red"}, "colour"),
    ({"name": "x"}, "sku"),
])
def test_wrong_types_unknown_and_missing_fields_are_422(admin, payload, field):
    body = _shape(admin.post("/api/v1/products", json=payload), 422, "validation_error")
    assert field in str(body["errors"])
    assert admin.get("/api/v1/products").get_json()["total"] == 0


def test_a_json_array_instead_of_an_object_is_422(admin):
    _shape(admin.post("/api/v1/suppliers", json=[1, 2]), 422, "validation_error")


def test_unknown_ids_are_404(admin):
    _shape(admin.get("/api/v1/products/999999"), 404, "not_found")
    _shape(admin.patch("/api/v1/customers/999999", json={"version": 1, "name": "x"}), 404, "not_found")
    _shape(admin.get("/api/v1/no-such-thing"), 404, "not_found")


def test_wrong_method_is_405_json(admin):
    _shape(admin.put("/api/v1/products", json={}), 405, "method_not_allowed")


def test_bad_query_arguments_are_422(admin):
    _shape(admin.get("/api/v1/products?page=0"), 422, "validation_error")
    _shape(admin.get("/api/v1/products?sort=password_hash"), 422, "validation_error")
    _shape(admin.get("/api/v1/products?per_page=abc"), 422, "validation_error")


def test_oversized_body_is_413(admin, app):
    big = "x" * (app.config["MAX_CONTENT_LENGTH"] + 10)
    r = admin.post("/api/v1/products", data=big, content_type="application/json")
    _shape(r, 413, "payload_too_large")


def test_nul_characters_are_422_and_change_nothing(admin):
    """PostgreSQL text cannot hold U+0000: it is refused up front, the same on every database."""
    body = _shape(admin.post("/api/v1/suppliers", json={"code": "S\x00", "name": "x"}), 422, "validation_error")
    assert "json.code" in body["errors"]
    _shape(admin.post("/api/v1/products", json={"sku": "A1", "name": "ok", "tags": {"k\x00": 1}}), 422,
           "validation_error")
    _shape(admin.get("/api/v1/transfers?q=a%00b"), 422, "validation_error")
    assert admin.get("/api/v1/suppliers").get_json()["total"] == 0
    assert admin.get("/api/v1/products").get_json()["total"] == 0
