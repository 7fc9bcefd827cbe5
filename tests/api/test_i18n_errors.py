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


def _domain_error_names() -> set[str]:
    """Names of every DomainError subclass defined in the backend."""
    import importlib
    import pkgutil

    import backend
    from backend.errors import DomainError

    for m in pkgutil.walk_packages(backend.__path__, "backend."):
        importlib.import_module(m.name)
    seen, todo = set(), [DomainError]
    while todo:
        cls = todo.pop()
        seen.add(cls.__name__)
        todo.extend(cls.__subclasses__())
    return seen


def _raises_without_zh(kind):
    """(place, text) of every DomainError built with a message of ``kind`` (ast.Constant / ast.JoinedStr)
    and no ``zh=``."""
    import ast
    import pathlib

    names = _domain_error_names()
    root = pathlib.Path(__file__).resolve().parents[2] / "backend"
    for path in sorted(root.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Call) and node.args):
                continue
            f = node.func
            name = f.id if isinstance(f, ast.Name) else getattr(f, "attr", None)
            if name in names and isinstance(node.args[0], kind) and not any(k.arg == "zh" for k in node.keywords):
                yield f"{path.relative_to(root.parent)}:{node.lineno}", node.args[0]


def test_every_fixed_error_message_has_a_zh_text():
    import ast

    from backend.messages_zh import ZH

    missing = [(where, arg.value) for where, arg in _raises_without_zh(ast.Constant)
               if isinstance(arg.value, str) and arg.value not in ZH]
    assert not missing, "give these zh= or add them to backend/messages_zh.py: " + repr(missing)


def test_every_formatted_error_message_gives_its_zh_text():
    import ast

    missing = [(where, ast.unparse(arg)) for where, arg in _raises_without_zh(ast.JoinedStr)]
    assert not missing, "give these zh=: " + repr(missing)


def test_catalogued_message_is_served_in_zh(client):
    r = client.post("/api/v1/auth/login", json={"username": "nobody", "password": "x" * 12},
                    headers={"Accept-Language": "zh-CN"})
    assert r.status_code == 401
    assert r.get_json()["message"] == "用户名或密码错误。"
