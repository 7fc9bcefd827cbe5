"""The flask-smorest ``Api`` object of the app: its errors use our stable string codes (see
backend.api.errors) and are documented with the one error payload (backend.api.error_schema)."""
from __future__ import annotations

from flask_smorest import Api as _SmorestApi

from backend.api.error_schema import ErrorSchema
from backend.api.errors import http_error_response


class Api(_SmorestApi):
    ERROR_SCHEMA = ErrorSchema

    def handle_http_exception(self, error):
        return http_error_response(error)


api = Api()
