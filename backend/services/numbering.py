"""Gap-tolerant counters with a guarded increment (safe with many workers)."""
from __future__ import annotations

from sqlalchemy import insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError

from backend.extensions import db
from backend.models.base import utcnow
from backend.models.catalog import Counter


def next_value(name: str) -> int:
    """Increment counter ``name`` inside the caller's transaction and return the new value."""
    return reserve(name, 1)


def reserve(name: str, n: int) -> int:
    """Take the next ``n`` values of counter ``name`` (inside the caller's transaction); returns the last."""
    for _ in range(3):
        row = db.session.execute(
            update(Counter).where(Counter.name == name).values(value=Counter.value + n).returning(Counter.value)
        ).first()
        if row is not None:
            return int(row[0])
        try:
            with db.session.begin_nested():
                db.session.execute(insert(Counter).values(name=name, value=n))
            return n
        except IntegrityError:  # another transaction created it first: increment theirs
            continue
    raise RuntimeError(f"counter {name} unavailable")


def lock_counters(names: list[str]) -> dict[str, int]:
    """Create (at 0) and lock counters up front, in name order, and return their values: a command that
    takes other locks before it numbers its documents takes the counter first, the way commands that
    number first do (no deadlock). The caller may then set the values it used (it holds the lock)."""
    names = sorted(set(names))
    ins = pg_insert if db.session.get_bind().dialect.name == "postgresql" else sqlite_insert
    db.session.execute(ins(Counter).values([{"name": n, "value": 0} for n in names]).on_conflict_do_nothing())
    return dict(db.session.execute(select(Counter.name, Counter.value).where(Counter.name.in_(names))
                                   .order_by(Counter.name).with_for_update()).all())


def document_number(prefix: str) -> str:
    """E.g. ``PO-20261128-0001``: per prefix and UTC day."""
    day = utcnow().strftime("%Y%m%d")
    return f"{prefix}-{day}-{next_value(f'doc:{prefix}:{day}'):04d}"


def peek(name: str) -> int:
    return int(db.session.scalar(select(Counter.value).where(Counter.name == name)) or 0)
