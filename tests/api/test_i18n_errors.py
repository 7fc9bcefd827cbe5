"""Error messages come in the language the caller asks for (zh-CN or en), English by default."""


def test_error_message_language_follows_accept_language(client):
    en = client.get("/api/v1/products")
    zh = client.get("/api/v1/products", headers={"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.5"})
    assert en.status_code == zh.status_code == 401
    assert en.get_json()["message"] == "Log in first."
    assert zh.get_json()["message"] == "请先登录。"
    assert zh.get_json()["code"] == en.get_json()["code"] == "unauthenticated"


def test_http_errors_are_translated_too(client):
    r = client.get("/api/v1/no-such-route", headers={"Accept-Language": "zh"})
    assert r.status_code == 404 and r.get_json()["message"] == "没有这个 API 接口。"


def test_domain_error_with_both_texts():
    from backend.errors import Conflict, ValidationFailed

    e = ValidationFailed("Too many rows.", zh="行数过多。")
    assert e.to_dict("zh-CN")["message"] == "行数过多。"
    assert e.to_dict("en")["message"] == "Too many rows."
    # a message without a zh-CN text stays English rather than showing the class's generic text
    assert Conflict("Order is closed.").to_dict("zh-CN")["message"] == "Order is closed."
    assert Conflict().to_dict("zh-CN")["message"] == "与当前状态冲突。"
