"""Login, sessions, CSRF, API tokens, throttling."""
from backend import create_app
from tests.conftest import PASSWORD, ApiClient


def test_wrong_password_is_401_with_the_error_shape(client, make_user):
    make_user("sales", username="amy")
    r = client.post("/api/v1/auth/login", json={"username": "amy", "password": "nope-nope"})
    assert r.status_code == 401
    body = r.get_json()
    assert body["code"] == "invalid_credentials" and body["status"] == 401 and body["message"]
    assert "errors" in body


def test_me_requires_login(client):
    r = client.get("/api/v1/auth/me")
    assert r.status_code == 401 and r.get_json()["code"] == "unauthenticated"


def test_me_lists_roles_permissions_and_warehouses(login, make_warehouse):
    wh = make_warehouse("W1")
    api = login("warehouse", warehouses=[wh])
    me = api.get("/api/v1/auth/me").get_json()
    assert me["roles"] == ["warehouse"]
    assert "stock.adjust" in me["permissions"] and "purchase.approve" not in me["permissions"]
    assert [w["code"] for w in me["warehouses"]] == ["W1"]
    assert me["csrf_token"]


def test_session_cookie_is_httponly_and_samesite_lax(client, make_user):
    make_user("admin", username="root1")
    r = client.post("/api/v1/auth/login", json={"username": "root1", "password": PASSWORD})
    cookie = r.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_unsafe_request_without_csrf_token_is_refused_and_changes_nothing(login):
    api = login("admin")
    r = api.post("/api/v1/suppliers", json={"code": "S1", "name": "x"}, headers={"X-CSRF-Token": "wrong"})
    assert r.status_code == 403 and r.get_json()["code"] == "csrf_failed"
    assert api.get("/api/v1/suppliers").get_json()["total"] == 0


def test_logout_revokes_the_session_on_the_server(app, make_user):
    make_user("admin", username="boss")
    api = ApiClient(app, "boss")
    cookie = api.http.get_cookie("jxc_session")
    assert api.post("/api/v1/auth/logout").status_code == 204
    replay = app.test_client()
    replay.set_cookie("jxc_session", cookie.value)
    assert replay.get("/api/v1/auth/me").status_code == 401


def test_password_change_ends_other_sessions(app, make_user):
    make_user("sales", username="sam")
    phone, laptop = ApiClient(app, "sam"), ApiClient(app, "sam")
    r = laptop.post("/api/v1/auth/password", json={"old_password": PASSWORD, "new_password": "n3w-password"})
    assert r.status_code == 200 and r.get_json() == {"sessions_ended": 1, "tokens_revoked": 0}
    assert laptop.get("/api/v1/auth/me").status_code == 200
    assert phone.get("/api/v1/auth/me").status_code == 401
    assert ApiClient(app, "sam", password="n3w-password").user["username"] == "sam"


def test_deactivated_user_loses_sessions_and_tokens(app, make_user, admin):
    u = make_user("sales", username="sally")
    sally = ApiClient(app, "sally")
    tok = sally.post("/api/v1/auth/tokens", json={"name": "script"}).get_json()["token"]
    r = admin.patch(f"/api/v1/users/{u.id}", json={"version": 1, "is_active": False})
    assert r.status_code == 200, r.get_json()
    assert sally.get("/api/v1/auth/me").status_code == 401
    assert ApiClient(app, token=tok).get("/api/v1/auth/me").status_code == 401
    r = app.test_client().post("/api/v1/auth/login", json={"username": "sally", "password": PASSWORD})
    assert r.status_code == 401


def test_admin_revokes_a_users_tokens_and_their_session_stays(app, make_user, admin):
    u = make_user("sales", username="sid")
    sid = ApiClient(app, "sid")
    toks = [sid.post("/api/v1/auth/tokens", json={"name": f"t{i}"}).get_json()["token"] for i in range(2)]
    other = ApiClient(app, token=admin.post("/api/v1/auth/tokens", json={"name": "mine"}).get_json()["token"])
    assert sid.post(f"/api/v1/users/{u.id}/revoke-tokens").status_code == 403  # admin only
    r = admin.post(f"/api/v1/users/{u.id}/revoke-tokens")
    assert r.status_code == 200 and r.get_json() == {"tokens_revoked": 2}
    assert all(ApiClient(app, token=tk).get("/api/v1/auth/me").status_code == 401 for tk in toks)
    assert sid.get("/api/v1/auth/me").status_code == 200  # the login session is not a token
    assert other.get("/api/v1/auth/me").status_code == 200  # nobody else's tokens
    assert admin.post(f"/api/v1/users/{u.id}/revoke-tokens").get_json() == {"tokens_revoked": 0}
    assert admin.post("/api/v1/users/999999/revoke-tokens").status_code == 404


def test_api_token_works_without_csrf_and_can_be_revoked(app, login):
    api = login("purchaser")
    created = api.post("/api/v1/auth/tokens", json={"name": "erp"})
    assert created.status_code == 201
    body = created.get_json()
    script = ApiClient(app, token=body["token"])
    assert script.post("/api/v1/suppliers", json={"code": "S9", "name": "Via token"}).status_code == 201
    listed = api.get("/api/v1/auth/tokens").get_json()
    assert listed[0]["prefix"] == body["token"][:10] and "token" not in listed[0]
    assert api.delete(f"/api/v1/auth/tokens/{body['id']}").status_code == 204
    assert script.get("/api/v1/auth/me").status_code == 401


def test_bad_bearer_token_is_401(app):
    assert ApiClient(app, token="jxc_forged").get("/api/v1/products").status_code == 401


def test_login_is_throttled(app, make_user, database_url):
    from backend.config import TestConfig

    cfg = {k: getattr(TestConfig, k) for k in dir(TestConfig) if k.isupper()}
    cfg.update(SQLALCHEMY_DATABASE_URI=database_url, RATELIMIT_ENABLED=True, LOGIN_RATE_LIMIT="3 per minute",
               RATELIMIT_STORAGE_URI="memory://")
    from backend.extensions import limiter

    try:
        throttled = create_app(cfg).test_client()
        make_user("sales", username="tim")
        codes = [throttled.post("/api/v1/auth/login", json={"username": "tim", "password": "bad-bad-bad"}).status_code
                 for _ in range(5)]
        assert codes[:3] == [401, 401, 401] and codes[3:] == [429, 429]
        r = throttled.post("/api/v1/auth/login", json={"username": "tim", "password": PASSWORD})
        assert r.status_code == 429 and r.get_json()["code"] == "rate_limited"
    finally:  # the limiter is a process-wide extension: give the other tests their disabled one back
        limiter.reset()
        limiter.init_app(app)
