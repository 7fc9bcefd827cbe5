"""Count the SQL statements a block sends to the database (SQLAlchemy ``before_cursor_execute``).

Speed is measured in bench/; tests assert statement counts instead, so a hot path that grows a query
fails CI on any machine."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event

from backend.extensions import db


@contextmanager
def count_statements() -> Iterator[list[str]]:
    """Yield the list the statements are appended to: every query, not the transaction control (SQLite's
    explicit ``BEGIN``; psycopg begins implicitly), so both databases count alike."""
    seen: list[str] = []

    def _on_execute(_conn, _cursor, statement, _params, _context, _executemany):
        if not statement.lstrip().upper().startswith(("BEGIN", "COMMIT", "ROLLBACK")):
            seen.append(statement)

    engine = db.engine
    event.listen(engine, "before_cursor_execute", _on_execute)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", _on_execute)
