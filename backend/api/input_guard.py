"""Request-wide input rule: no NUL characters in text.

PostgreSQL text cannot hold U+0000 and no field of ours has a use for it, so a NUL anywhere in the query
string, form fields or JSON body (keys or values) is a 422 ``validation_error`` before any schema runs,
on SQLite and PostgreSQL alike.
"""
from __future__ import annotations

from flask import request

from backend.errors import ValidationFailed

_MAX_DEPTH = 64


def _nul_paths(value, path: str, out: list[str], depth: int = 0) -> None:
    if len(out) >= 10 or depth > _MAX_DEPTH:
        return
    if isinstance(value, str):
        if "\x00" in value:
            out.append(path or "$")
    elif isinstance(value, dict):
        for k, v in value.items():
            p = f"{path}.{k}" if path else str(k)
            if isinstance(k, str) and "\x00" in k:
                out.append(p)
            _nul_paths(v, p, out, depth + 1)
    elif isinstance(value, list):
        for i, v in enumerate(value):
            _nul_paths(v, f"{path}[{i}]", out, depth + 1)


def install(app) -> None:
    @app.before_request
    def _reject_nul():
        if not request.path.startswith("/api/"):
            return
        bad: list[str] = []
        for where, md in (("query", request.args), ("form", request.form if request.mimetype in (
                "application/x-www-form-urlencoded", "multipart/form-data") else {})):
            for k, vs in (md.lists() if md else ()):
                if "\x00" in k or any("\x00" in v for v in vs):
                    bad.append(f"{where}.{k}")
        if request.is_json and request.content_length:
            _nul_paths(request.get_json(silent=True), "json", bad)
        if bad:
            raise ValidationFailed("Text must not contain NUL (\\u0000) characters.",
                                   errors={p: ["Contains a NUL character."] for p in bad})
