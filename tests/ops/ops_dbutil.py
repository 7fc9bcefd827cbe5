"""Table snapshots and wipes for backup round-trip tests (a module, not conftest: importing
``conftest`` by name is ambiguous when several conftest files are loaded)."""
from __future__ import annotations

from sqlalchemy import select

from backend.extensions import db
from backend.models.base import Base


def snapshot(exclude_audit_of: tuple[str, ...] = ("database",)) -> dict[str, list[tuple]]:
    """Every row of every table (audit rows about backups/restores left out)."""
    db.session.commit()
    out = {}
    with db.engine.connect() as conn:
        for t in Base.metadata.sorted_tables:
            rows = conn.execute(select(t).order_by(*(t.primary_key.columns or t.columns))).all()
            if t.name == "audit_log":
                rows = [r for r in rows if r._mapping["entity"] not in exclude_audit_of]
            out[t.name] = [tuple(r) for r in rows]
    return out


def wipe() -> None:
    """Empty every table (as between tests)."""
    from sqlalchemy import text

    db.session.remove()
    tables = [t.name for t in reversed(Base.metadata.sorted_tables)]
    if db.engine.dialect.name == "postgresql":
        db.session.execute(text("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE"))
    else:
        for t in tables:
            db.session.execute(text(f'DELETE FROM "{t}"'))
    db.session.commit()
    db.session.remove()
