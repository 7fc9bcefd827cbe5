"""``db://``: a storage for the ``limits`` library (Flask-Limiter) in the application's own database.

Without Redis, throttling state in process memory is exact for one worker process only; in the database
it is shared by every worker (``./run.sh`` runs several) and survives restarts. Fixed windows: each
``incr`` is one atomic upsert on its own short transaction (never the request's), so a login attempt
counted on one worker is seen by the next attempt on any other. Only throttled routes (login, photo
scan) touch it. docs/operations.md (the Redis row).
"""
from __future__ import annotations

import random
import time
from typing import Any

from limits.storage import Storage
from sqlalchemy import delete, func, select, text
from sqlalchemy.exc import SQLAlchemyError

from backend.extensions import db
from backend.models.throttle import RateLimitCounter
from backend.services.uow import write_intent

T = RateLimitCounter.__table__
# One statement: a new or ended window starts at ``amount``, a running one adds ``amount``.
_INCR = text(
    "INSERT INTO rate_limit_counters (key, count, expires_at) VALUES (:key, :amount, :now + :expiry) "
    "ON CONFLICT (key) DO UPDATE SET "
    "count = CASE WHEN rate_limit_counters.expires_at <= :now THEN :amount "
    "ELSE rate_limit_counters.count + :amount END, "
    "expires_at = CASE WHEN rate_limit_counters.expires_at <= :now THEN :now + :expiry "
    "ELSE rate_limit_counters.expires_at END "
    "RETURNING count")


def _engine():
    return db.engine


class DatabaseStorage(Storage):
    STORAGE_SCHEME = ["db"]  # noqa: RUF012 (the limits registry reads the class attribute)

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False, **options: Any) -> None:
        super().__init__(uri, wrap_exceptions, **options)

    @property
    def base_exceptions(self) -> type[Exception] | tuple[type[Exception], ...]:
        return SQLAlchemyError

    def _write(self, stmt, params: dict | None = None, returns: bool = False) -> int:
        """The statement on its own short transaction: the RETURNING value, or the rows it touched."""
        with write_intent(), _engine().begin() as conn:  # BEGIN IMMEDIATE on SQLite: no lock upgrade
            res = conn.execute(stmt, params or {})
            return int(res.scalar_one() if returns else (res.rowcount or 0))

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        now = time.time()
        if random.random() < 0.01:  # now and then, forget ended windows (their keys never come back)
            self._write(delete(T).where(T.c.expires_at < now - 3600))
        return self._write(_INCR, {"key": key, "amount": amount, "now": now, "expiry": expiry}, returns=True)

    def get(self, key: str) -> int:
        with _engine().connect() as conn:
            n = conn.scalar(select(T.c.count).where(T.c.key == key, T.c.expires_at > time.time()))
        return int(n or 0)

    def get_expiry(self, key: str) -> float:
        with _engine().connect() as conn:
            at = conn.scalar(select(T.c.expires_at).where(T.c.key == key))
        return float(at) if at is not None else time.time()

    def check(self) -> bool:
        try:
            with _engine().connect() as conn:
                conn.scalar(select(func.count()).select_from(T))
            return True
        except SQLAlchemyError:
            return False

    def reset(self) -> int | None:
        return self._write(delete(T))

    def clear(self, key: str) -> None:
        self._write(delete(T).where(T.c.key == key))

