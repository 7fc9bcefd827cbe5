"""Server messages in zh-CN and en: which language a request wants, and the text in it.

Errors carry both texts (``DomainError(message, zh=...)``); the response's ``message`` is in the language
the caller asked for with ``Accept-Language`` (the PWA sends its UI language), English when it asks for
none, so scripts and logs read the same as before.
"""
from __future__ import annotations

from flask import g, has_request_context, request

LANGS = ("zh-CN", "en")

# zh-CN texts of the generic HTTP errors, by error code.
HTTP_ZH = {
    "bad_request": "请求无效。",
    "malformed_json": "请求正文不是有效的 JSON。",
    "unauthenticated": "请先登录。",
    "forbidden": "您无权执行此操作。",
    "not_found": "未找到。",
    "method_not_allowed": "不支持此请求方法。",
    "not_acceptable": "无法提供所请求的格式。",
    "conflict": "与当前状态冲突。",
    "precondition_failed": "前提条件不满足。",
    "payload_too_large": "上传内容过大。",
    "unsupported_media_type": "不支持的媒体类型。",
    "validation_error": "请求内容无效。",
    "precondition_required": "缺少前提条件。",
    "rate_limited": "请求过于频繁，请稍后再试。",
    "internal_error": "服务器内部错误。",
    "unavailable": "服务暂时不可用，请稍后再试。",
}


def request_lang() -> str:
    """'zh-CN' or 'en' for the current request ('en' outside a request)."""
    if not has_request_context():
        return "en"
    cached: str | None = getattr(g, "_jxc_lang", None)
    if cached:
        return cached
    best = request.accept_languages.best_match(["en", "zh-CN", "zh"])
    lang = "zh-CN" if best in ("zh-CN", "zh") else "en"
    g._jxc_lang = lang
    return lang


def pick(en: str, zh: str | None) -> str:
    """The text in the request's language (English when no zh-CN text exists)."""
    return zh if zh and request_lang() == "zh-CN" else en
