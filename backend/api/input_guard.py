"""Request-wide input rules, checked before any schema runs, on SQLite and PostgreSQL alike.

* No NUL characters in text (path, query string, form fields, JSON keys and values): PostgreSQL text
  cannot hold U+0000 and no field of ours has a use for it → 422 ``validation_error``.
* No lone surrogates (``"\\ud800"`` is valid JSON but not Unicode; it cannot be encoded to UTF-8 for
  the database or the answer) → 422 ``validation_error``.
* JSON nested deeper than ``MAX_JSON_DEPTH`` is refused from the raw text, before a parser recurses
  into it (Python's ``json`` raises ``RecursionError`` near 1,000 levels) → 400 ``malformed_json``.

``load_json`` applies the same rules to JSON that arrives inside another body (the multipart ``batch``
of a sync push).
"""
from __future__ import annotations

import json
import re

from flask import request

from backend.errors import BadRequest, ValidationFailed

MAX_JSON_DEPTH = 64  # no document of ours nests deeper than a handful of levels

_NOT_BRACKET = bytes(b for b in range(256) if b not in b'"[]{}')
_BAD_TEXT = re.compile("[\x00\ud800-\udfff]")


def too_deep(raw: bytes, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether a JSON text nests deeper than ``limit`` (or is unbalanced), without parsing it, with byte
    operations only: escapes are dropped (``\\\\`` first, then ``\\"``), then everything but quotes and
    brackets, then the strings (every other piece between quotes); each pass then removes the innermost
    ``[]``/``{}`` pairs (one or two levels), so text left after ``limit`` passes nests deeper."""
    if raw.count(b"[") + raw.count(b"{") <= limit:
        return False
    text = raw.replace(b"\\\\", b"").replace(b'\\"', b"").translate(None, _NOT_BRACKET)
    text = b"".join(text.split(b'"')[::2])
    for _ in range(limit):
        shorter = text.replace(b"[]", b"").replace(b"{}", b"")
        if len(shorter) == len(text):
            break
        text = shorter
    return bool(text)


def check_depth(raw: bytes | str, where: str = "json") -> None:
    if isinstance(raw, str):
        raw = raw.encode("utf-8", "surrogatepass")
    if too_deep(raw):
        raise BadRequest(f"The JSON is nested deeper than {MAX_JSON_DEPTH} levels.",
                         zh=f"JSON 嵌套超过 {MAX_JSON_DEPTH} 层。", code="malformed_json",
                         errors={where: [f"Nested deeper than {MAX_JSON_DEPTH} levels."]})


def _bad_text(value, path: str, out: dict[str, str], depth: int = 0) -> None:
    if len(out) >= 10 or depth > MAX_JSON_DEPTH:
        return
    if isinstance(value, str):
        m = _BAD_TEXT.search(value)
        if m:
            out[path or "$"] = _what(m.group())
    elif isinstance(value, dict):
        for k, v in value.items():
            p = f"{path}.{k}" if path else str(k)
            if isinstance(k, str) and (m := _BAD_TEXT.search(k)):
                out[p.encode("utf-8", "replace").decode()] = _what(m.group())
            _bad_text(v, p, out, depth + 1)
    elif isinstance(value, list):
        for i, v in enumerate(value):
            _bad_text(v, f"{path}[{i}]", out, depth + 1)


def _what(ch: str) -> str:
    return "Contains a NUL character." if ch == "\x00" else "Contains a lone surrogate (not valid Unicode)."


def _refuse(bad: dict[str, str]) -> None:
    if bad:
        # keys and paths may hold the offending characters themselves: answer them printable
        errors = {p.encode("utf-8", "backslashreplace").decode().replace("\x00", "\\x00"): [m]
                  for p, m in bad.items()}
        raise ValidationFailed("Text must not contain NUL (\\u0000) characters or lone surrogates.",
                               zh="文本不能包含 NUL（\\u0000）字符或不成对的代理字符。", errors=errors)


def check_text(value, where: str = "json") -> None:
    """422 if any string (key or value) in a parsed JSON value holds NUL or a lone surrogate."""
    bad: dict[str, str] = {}
    _bad_text(value, where, bad)
    _refuse(bad)


def load_json(raw: bytes | str, where: str = "json"):
    """Parse JSON that arrived inside another body, with the request-wide rules. ``ValueError`` if it is
    not JSON at all (the caller words that answer)."""
    check_depth(raw, where)
    try:
        value = json.loads(raw)
    except RecursionError:  # pragma: no cover - check_depth keeps far below the recursion limit
        raise ValueError("too deep") from None
    check_text(value, where)
    return value


def install(app) -> None:
    @app.before_request
    def _reject_bad_text():
        if not request.path.startswith("/api/"):
            return
        bad: dict[str, str] = {}
        if _BAD_TEXT.search(request.path):  # a path parameter (/barcodes/a%00b) reaches SQL as text
            bad["path"] = _what(_BAD_TEXT.search(request.path).group())
        for where, md in (("query", request.args), ("form", request.form if request.mimetype in (
                "application/x-www-form-urlencoded", "multipart/form-data") else {})):
            for k, vs in (md.lists() if md else ()):
                for s in (k, *vs):  # a part whose name does not parse comes as None: nothing to check
                    if isinstance(s, str) and (m := _BAD_TEXT.search(s)):
                        bad[f"{where}.{k}"] = _what(m.group())
        if request.is_json and request.get_data(cache=True):  # chunked bodies have no content_length
            check_depth(request.get_data(cache=True))
            _bad_text(request.get_json(silent=True), "json", bad)
        _refuse(bad)
