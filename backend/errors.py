"""Typed domain errors and the one JSON error shape ``{code, status, message, errors}``.

Services raise these; ``backend.api.errors`` maps them (and every HTTP exception) to JSON in one place.
"""
from __future__ import annotations

from typing import Any

from backend.messages_zh import NOUNS_ZH, ZH


class DomainError(Exception):
    """Base class: carries an HTTP status and a stable machine-readable code."""

    status = 400
    code = "bad_request"
    default_message = "Bad request."
    default_message_zh = "请求无效。"

    def __init__(self, message: str | None = None, *, zh: str | None = None, errors: Any = None,
                 code: str | None = None, **extra: Any):
        """``message`` in English, ``zh`` the same in zh-CN (every new message gives both)."""
        super().__init__(message or self.default_message)
        self.message = message or self.default_message
        self.message_zh = zh if zh is not None else (ZH.get(message) if message else self.default_message_zh)
        self.errors = errors if errors is not None else {}
        if code:
            self.code = code
        self.extra = extra

    def to_dict(self, lang: str = "en") -> dict:
        message = self.message_zh if lang == "zh-CN" and self.message_zh else self.message
        body = {"code": self.code, "status": self.status, "message": message, "errors": self.errors}
        body.update(self.extra)
        return body


class ValidationFailed(DomainError):
    status, code, default_message = 422, "validation_error", "The request is not valid."
    default_message_zh = "请求内容无效。"


class OutOfRange(ValidationFailed):
    """A number (given, or computed from what was given) that its column cannot hold."""

    code = "out_of_range"
    default_message = "A quantity or amount is too large (at most 99999999999999.9999 in magnitude)."
    default_message_zh = "数量或金额过大（绝对值最大为 99999999999999.9999）。"


class BadRequest(DomainError):
    status, code, default_message = 400, "bad_request", "Bad request."
    default_message_zh = "请求无效。"


class Unauthenticated(DomainError):
    status, code, default_message = 401, "unauthenticated", "Log in first."
    default_message_zh = "请先登录。"


class PermissionDenied(DomainError):
    status, code, default_message = 403, "forbidden", "You are not allowed to do this."
    default_message_zh = "您无权执行此操作。"


class NotFound(DomainError):
    status, code, default_message = 404, "not_found", "Not found."
    default_message_zh = "未找到。"


class Conflict(DomainError):
    status, code, default_message = 409, "conflict", "Conflict with the current state."
    default_message_zh = "与当前状态冲突。"


class InvalidTransition(Conflict):
    code, default_message = "invalid_transition", "This action is not allowed in the document's current state."
    default_message_zh = "单据当前状态不允许此操作。"


class StaleVersion(Conflict):
    code, default_message = "stale_version", "Someone else changed this record; reload and try again."
    default_message_zh = "记录已被他人修改，请刷新后重试。"


class InsufficientStock(Conflict):
    code, default_message = "insufficient_stock", "Not enough stock."
    default_message_zh = "库存不足。"


class PayloadTooLarge(DomainError):
    status, code, default_message = 413, "payload_too_large", "The upload is too large."
    default_message_zh = "上传内容过大。"


class UnsupportedMediaType(DomainError):
    status, code, default_message = 415, "unsupported_media_type", "Unsupported media type."
    default_message_zh = "不支持的媒体类型。"


class ServiceUnavailable(DomainError):
    """503: the server is busy (e.g. all image-decode slots are taken); ``Retry-After`` says when to retry."""

    status, code, default_message = 503, "busy", "The server is busy; try again shortly."
    default_message_zh = "服务器繁忙，请稍后重试。"

    def __init__(self, message: str | None = None, *, retry_after: int = 1, **kw: Any):
        super().__init__(message, **kw)
        self.headers = {"Retry-After": str(max(1, int(retry_after)))}


class RateLimited(DomainError):
    status, code, default_message = 429, "rate_limited", "Too many requests; slow down."
    default_message_zh = "请求过于频繁，请稍后再试。"


def not_found(what: str, obj_id: Any, **errors: Any) -> NotFound:
    """``NotFound`` for record ``what`` (an English noun such as "Transfer") with id ``obj_id``."""
    return NotFound(f"{what} {obj_id} not found.", zh=f"{NOUNS_ZH.get(what, what)} {obj_id} 不存在。",
                    errors=errors or {"id": obj_id})


def check_version(obj: Any, expected: int | None) -> None:
    """Optimistic lock: refuse a write made against an older version of ``obj``."""
    if expected is None:
        raise ValidationFailed("version is required.", errors={"version": ["Missing data for required field."]})
    if int(expected) != int(obj.version):
        raise StaleVersion(errors={"version": {"expected": int(expected), "current": int(obj.version)}})
