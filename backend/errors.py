"""Typed domain errors and the one JSON error shape ``{code, status, message, errors}``.

Services raise these; ``backend.api.errors`` maps them (and every HTTP exception) to JSON in one place.
"""
from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """Base class: carries an HTTP status and a stable machine-readable code."""

    status = 400
    code = "bad_request"
    default_message = "Bad request."

    def __init__(self, message: str | None = None, *, errors: Any = None, code: str | None = None, **extra: Any):
        super().__init__(message or self.default_message)
        self.message = message or self.default_message
        self.errors = errors if errors is not None else {}
        if code:
            self.code = code
        self.extra = extra

    def to_dict(self) -> dict:
        body = {"code": self.code, "status": self.status, "message": self.message, "errors": self.errors}
        body.update(self.extra)
        return body


class ValidationFailed(DomainError):
    status, code, default_message = 422, "validation_error", "The request is not valid."


class BadRequest(DomainError):
    status, code, default_message = 400, "bad_request", "Bad request."


class Unauthenticated(DomainError):
    status, code, default_message = 401, "unauthenticated", "Log in first."


class PermissionDenied(DomainError):
    status, code, default_message = 403, "forbidden", "You are not allowed to do this."


class NotFound(DomainError):
    status, code, default_message = 404, "not_found", "Not found."


class Conflict(DomainError):
    status, code, default_message = 409, "conflict", "Conflict with the current state."


class InvalidTransition(Conflict):
    code, default_message = "invalid_transition", "This action is not allowed in the document's current state."


class StaleVersion(Conflict):
    code, default_message = "stale_version", "Someone else changed this record; reload and try again."


class InsufficientStock(Conflict):
    code, default_message = "insufficient_stock", "Not enough stock."


class PayloadTooLarge(DomainError):
    status, code, default_message = 413, "payload_too_large", "The upload is too large."


class UnsupportedMediaType(DomainError):
    status, code, default_message = 415, "unsupported_media_type", "Unsupported media type."


class RateLimited(DomainError):
    status, code, default_message = 429, "rate_limited", "Too many requests; slow down."


def check_version(obj: Any, expected: int | None) -> None:
    """Optimistic lock: refuse a write made against an older version of ``obj``."""
    if expected is None:
        raise ValidationFailed("version is required.", errors={"version": ["Missing data for required field."]})
    if int(expected) != int(obj.version):
        raise StaleVersion(errors={"version": {"expected": int(expected), "current": int(obj.version)}})
