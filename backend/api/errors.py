"""One place that turns every error into ``{code, status, message, errors}``."""
from __future__ import annotations

import decimal
import logging

from flask import jsonify
from sqlalchemy.exc import StatementError
from werkzeug.exceptions import HTTPException

from backend.errors import DomainError, OutOfRange
from backend.i18n import HTTP_ZH, request_lang

log = logging.getLogger(__name__)

HTTP_CODES = {
    400: "bad_request", 401: "unauthenticated", 403: "forbidden", 404: "not_found",
    405: "method_not_allowed", 406: "not_acceptable", 409: "conflict", 412: "precondition_failed",
    413: "payload_too_large", 415: "unsupported_media_type", 422: "validation_error",
    428: "precondition_required", 429: "rate_limited", 500: "internal_error", 503: "unavailable",
}


def _json(body: dict, status: int, headers=None):
    resp = jsonify(body)
    resp.status_code = status
    for k, v in (headers or {}).items():
        resp.headers[k] = v
    return resp


def http_error_response(error: HTTPException):
    """Werkzeug/webargs/limiter HTTP exceptions → our shape."""
    status = error.code or 500
    data = getattr(error, "data", None) or {}
    errors = data.get("errors") or data.get("messages") or {}
    message = data.get("message") or error.description or error.name
    code = HTTP_CODES.get(status, "error")
    if status == 400 and isinstance(errors, dict) and "json" in errors and errors["json"] == ["Invalid JSON body."]:
        code, message = "malformed_json", "The request body is not valid JSON."
    if status == 422:
        message = data.get("message") or "The request is not valid."
    if status == 429:
        message = "Too many requests; try again later."
    if status >= 500:
        message = "Internal server error."
    headers = dict(data.get("headers") or {})
    if status == 429 and hasattr(error, "get_headers"):
        headers.update({k: v for k, v in error.get_headers() if k.lower() == "retry-after"})
    if request_lang() == "zh-CN" and code in HTTP_ZH:
        message = HTTP_ZH[code]
    return _json({"code": code, "status": status, "message": str(message), "errors": errors}, status, headers)


def domain_error_response(error: DomainError):
    return _json(error.to_dict(request_lang()), error.status, getattr(error, "headers", None))


def database_error_response(error: Exception):
    """A value the database could not hold is the client's doing (422), not a server error.

    ``StatementError`` wraps what a column type refused while binding (``Qty`` → ``OutOfRange``);
    PostgreSQL's own overflow (SQLSTATE 22003, e.g. ``quantity = quantity + :dq``) is the same answer."""
    orig = getattr(error, "orig", None)
    if isinstance(orig, DomainError):
        return domain_error_response(orig)
    if getattr(orig, "sqlstate", None) == "22003" or getattr(orig, "pgcode", None) == "22003":
        return domain_error_response(OutOfRange())
    return unexpected_error_response(error)


def decimal_error_response(error: Exception):
    """Decimal arithmetic beyond the context's 28 digits: quantity × price far past any column."""
    return domain_error_response(OutOfRange())


def unexpected_error_response(error: Exception):
    log.exception("unhandled error", exc_info=error)
    message = HTTP_ZH["internal_error"] if request_lang() == "zh-CN" else "Internal server error."
    return _json({"code": "internal_error", "status": 500, "message": message, "errors": {}}, 500)


def register_error_handlers(app) -> None:
    app.register_error_handler(DomainError, domain_error_response)
    app.register_error_handler(HTTPException, http_error_response)
    app.register_error_handler(StatementError, database_error_response)
    app.register_error_handler(decimal.InvalidOperation, decimal_error_response)
    app.register_error_handler(decimal.Overflow, decimal_error_response)
    if not app.config.get("PROPAGATE_EXCEPTIONS_IN_TESTS"):
        app.register_error_handler(Exception, unexpected_error_response)
