"""What one import may cost (bytes, rows, columns, time) and the time budget checked while it runs."""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from flask import current_app, has_app_context

from backend.errors import ValidationFailed


def config_value(name: str, default):
    return current_app.config.get(name, default) if has_app_context() else default


def limits() -> tuple[int, int]:
    """(max upload bytes, max data rows) for an import."""
    return int(config_value("IMPORT_MAX_BYTES", 5 * 1024 * 1024)), int(config_value("IMPORT_MAX_ROWS", 5000))


@dataclass(frozen=True)
class Limits:
    """What one import may cost (config ``IMPORT_*``; see docs/operations.md)."""

    max_bytes: int
    max_rows: int  # data rows (non-empty)
    max_sheet_rows: int  # rows read, empty ones included
    max_columns: int
    max_line_chars: int  # characters of one CSV record
    max_unpacked_bytes: int  # sum of the uncompressed sizes of an .xlsx's zip members
    time_limit_seconds: float

    @classmethod
    def current(cls) -> Limits:
        max_bytes, max_rows = limits()
        return cls(max_bytes, max_rows, int(config_value("IMPORT_MAX_SHEET_ROWS", 20000)),
                   int(config_value("IMPORT_MAX_COLUMNS", 64)), int(config_value("IMPORT_MAX_LINE_CHARS", 20000)),
                   int(config_value("IMPORT_MAX_XLSX_UNPACKED_BYTES", 32 * 1024 * 1024)),
                   float(config_value("IMPORT_TIME_LIMIT_SECONDS", 120)))


def too_large(limit: str, value: Any, en: str, zh: str, **more: Any) -> ValidationFailed:
    """422 ``import_too_large``: ``errors`` names the limit and its value."""
    return ValidationFailed(en, zh=zh, code="import_too_large", errors={"limit": limit, "value": value, **more})


class Deadline:
    """A time budget for one import, checked while the file is read and while rows are applied (the work
    stops even when the client has gone away)."""

    def __init__(self, seconds: float):
        self.seconds = seconds
        self.end = time.monotonic() + seconds

    def check(self) -> None:
        if time.monotonic() > self.end:
            raise too_large("time_limit_seconds", self.seconds,
                            f"The import took longer than its time limit of {self.seconds:g} s; "
                            "split the file and import the parts.",
                            f"导入超过时间限制（{self.seconds:g} 秒），请拆分文件后分别导入。")
