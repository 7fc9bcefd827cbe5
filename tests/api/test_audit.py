"""Every change is audited in the same transaction; the log is read-only."""

from tests.factories import ok


def test_create_update_delete_are_audited_with_before_after_user_and_request_id(admin):
    r = admin.post("/api/v1/suppliers", json={"code": "S1", "name": "Old"}, headers={"X-Request-ID": "req-123"})
    sid = r.get_json()["id"]
    admin.patch(f"/api/v1/suppliers/{sid}", json={"version": 1, "name": "New"})
    admin.delete(f"/api/v1/suppliers/{sid}?version=2")
    rows = admin.get(f"/api/v1/audit?entity=suppliers&entity_id={sid}").get_json()["items"]
    assert [x["action"] for x in rows] == ["delete", "update", "create"]
    create, update = rows[2], rows[1]
    assert create["request_id"] == "req-123" and create["username"] == admin.user["username"]
    assert create["changes"]["after"]["name"] == "Old"
    assert update["changes"] == {"before": {"name": "Old"}, "after": {"name": "New"}}


def test_failed_writes_leave_no_audit_record(admin):
    admin.post("/api/v1/suppliers", json={"code": "S1", "name": "A"})
    before = admin.get("/api/v1/audit").get_json()["total"]
    assert admin.post("/api/v1/suppliers", json={"code": "S1", "name": "dup"}).status_code == 409
    assert admin.get("/api/v1/audit").get_json()["total"] == before


def test_password_hashes_never_reach_the_audit_log(admin):
    admin.post("/api/v1/users", json={"username": "zoe", "password": "secret-pass-1", "roles": ["sales"]})
    rows = admin.get("/api/v1/audit?entity=users").get_json()["items"]
    assert rows and all("password_hash" not in str(r["changes"]) for r in rows)


def test_audit_is_readable_by_managers_only_and_has_no_write_routes(login):
    assert login("manager").get("/api/v1/audit").status_code == 200
    sales = login("sales")
    assert sales.get("/api/v1/audit").status_code == 403
    admin = login("admin")
    assert admin.delete("/api/v1/audit").status_code == 405
    assert admin.patch("/api/v1/audit/1", json={}).status_code in (404, 405)


def test_audit_rows_cannot_be_changed_in_code(admin):
    import pytest

    from backend.extensions import db
    from backend.models.audit import AppendOnlyViolation, AuditLog

    admin.post("/api/v1/suppliers", json={"code": "S1", "name": "A"})
    row = db.session.query(AuditLog).first()
    row.action = "forged"
    with pytest.raises(AppendOnlyViolation):
        db.session.flush()
    db.session.rollback()


def test_the_facets_list_the_entities_and_users_in_the_log_for_audit_viewers_only(login, make_product):
    admin = login("admin")
    ok(admin.post("/api/v1/warehouses", json={"code": "F1", "name": "Facet"}), 201)
    got = ok(admin.get("/api/v1/audit/facets"))
    assert "warehouses" in got["entities"]
    assert {"id": admin.user["id"], "username": admin.user["username"]} in got["users"]
    assert login("sales").get("/api/v1/audit/facets").status_code == 403


def test_one_record_is_read_by_id_and_an_unknown_id_is_404(login):
    admin = login("admin")
    ok(admin.post("/api/v1/warehouses", json={"code": "R1", "name": "Rec"}), 201)
    first = ok(admin.get("/api/v1/audit?entity=warehouses"))["items"][0]
    assert ok(admin.get(f"/api/v1/audit/{first['id']}")) == first
    r = admin.get("/api/v1/audit/999999")
    assert r.status_code == 404 and r.get_json()["code"] == "not_found"
    assert login("sales").get(f"/api/v1/audit/{first['id']}").status_code == 403
