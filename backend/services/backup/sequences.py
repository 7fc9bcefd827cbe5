"""Restore, last step: PostgreSQL sequences point past the restored ids."""
from __future__ import annotations

from sqlalchemy import Integer, text
from sqlalchemy.engine import Connection

from backend.models.base import Base
from backend.services.backup.common import base_type


def reset_sequences(conn: Connection) -> None:
    """PostgreSQL: point every serial/identity sequence past the restored ids."""
    if conn.dialect.name != "postgresql":
        return
    for t in Base.metadata.sorted_tables:
        for col in t.primary_key.columns:
            if not isinstance(base_type(col), Integer):
                continue
            seq = conn.execute(text("SELECT pg_get_serial_sequence(:t, :c)"), {"t": t.name, "c": col.name}).scalar()
            if seq:
                conn.execute(text(f'SELECT setval(:s, COALESCE((SELECT MAX("{col.name}") FROM "{t.name}"), 0) + 1, '
                                  f"false)"), {"s": seq})
