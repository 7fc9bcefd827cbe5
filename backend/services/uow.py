"""Unit of work: one transaction per command, write lock taken up front on SQLite.

Service functions are decorated with ``@command``; nested commands join the outer transaction, so
e.g. a sync op and the record of its outcome commit together.
"""
from __future__ import annotations

import contextvars
import functools
from contextlib import contextmanager

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm.exc import StaleDataError

from backend.errors import StaleVersion
from backend.extensions import db

_depth: contextvars.ContextVar[int] = contextvars.ContextVar("jxc_tx_depth", default=0)
_write_intent: contextvars.ContextVar[bool] = contextvars.ContextVar("jxc_write_intent", default=False)


def in_command() -> bool:
    return _depth.get() > 0


@contextmanager
def transaction():
    """Open (or join) the command's transaction; commit at the outermost level, roll back on error."""
    depth = _depth.get()
    if depth:
        t = _depth.set(depth + 1)
        try:
            yield db.session
        finally:
            _depth.reset(t)
        return
    session = db.session()  # the real Session behind the scoped proxy
    # End any read transaction (e.g. the one that loaded the user) so that the write transaction
    # starts fresh with BEGIN IMMEDIATE on SQLite instead of upgrading a read lock (SQLITE_BUSY).
    if session.in_transaction():
        session.commit()
    t_depth, t_write = _depth.set(1), _write_intent.set(True)
    try:
        try:
            yield session
            session.commit()
        except StaleDataError as exc:
            session.rollback()
            raise StaleVersion() from exc
        except BaseException:
            session.rollback()
            raise
    finally:
        _depth.reset(t_depth)
        _write_intent.reset(t_write)


def command(fn):
    """Decorator: run the service function as one transaction (or inside the caller's)."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        with transaction():
            return fn(*args, **kwargs)

    return wrapper


def install_sqlite_pragmas(engine: Engine, busy_timeout_ms: int) -> None:
    """WAL, busy timeout, foreign keys; BEGIN IMMEDIATE for write commands (no 'database is locked')."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):
        dbapi_conn.isolation_level = None  # we emit BEGIN ourselves (pysqlite's own is broken)
        cur = dbapi_conn.cursor()
        cur.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
        cur.execute("PRAGMA foreign_keys = ON")
        try:
            cur.execute("PRAGMA journal_mode = WAL")
        except Exception:  # in-memory databases cannot use WAL
            pass
        cur.execute("PRAGMA synchronous = NORMAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        conn.exec_driver_sql("BEGIN IMMEDIATE" if _write_intent.get() else "BEGIN")
