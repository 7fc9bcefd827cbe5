"""Restore, step one: a non-empty database is replaced only when forced, and then emptied."""
from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.engine import Connection

from backend.errors import Conflict
from backend.models.base import Base
from backend.services.backup.common import row_counts


def ensure_empty_or_forced(conn: Connection, force: bool) -> int:
    existing = sum(row_counts(conn).values())
    if existing and not force:
        raise Conflict(f"The database is not empty ({existing} rows); restore would replace everything. "
                       f"Pass --yes to confirm.",
                       zh=f"数据库不为空（{existing} 行）；恢复将替换全部数据。请加 --yes 确认。", code="database_not_empty", errors={"rows": existing})
    return existing


def wipe(conn: Connection) -> None:
    tables = list(reversed(Base.metadata.sorted_tables))
    if conn.dialect.name == "postgresql":
        conn.execute(text("TRUNCATE " + ", ".join(f'"{t.name}"' for t in tables) + " RESTART IDENTITY CASCADE"))
    else:
        for t in tables:
            conn.execute(t.delete())
