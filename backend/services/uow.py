"""Unit of work: one transaction per command, write lock taken up front on SQLite.

Service functions are decorated with ``@command``; nested commands join the outer transaction, so
e.g. a sync op and the record of its outcome commit together.
"""
from __future__ import annotations

import contextvars
import fcntl
import functools
import os
import threading
from contextlib import contextmanager, nullcontext

from flask import has_request_context
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
def write_intent():
    """Connections begun inside start as writers (BEGIN IMMEDIATE on SQLite), e.g. a side transaction."""
    t = _write_intent.set(True)
    try:
        yield
    finally:
        _write_intent.reset(t)


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
    # In a request the session lives for that request only: what it loaded stays loaded across the
    # commits (the user is not reloaded inside the write lock, the answer is not re-read to serialise
    # it). Rows that must be current are read with populate_existing (``access.lock``, the ledger),
    # versioned rows are checked at UPDATE. Elsewhere (CLI, workers) commits expire as usual.
    keep = has_request_context()
    # End any read transaction (e.g. the one that loaded the user) so that the write transaction
    # starts fresh with BEGIN IMMEDIATE on SQLite instead of upgrading a read lock (SQLITE_BUSY).
    if session.in_transaction():
        _commit(session, keep)
    t_depth, t_write = _depth.set(1), _write_intent.set(True)
    try:
        with _writer_gate(session):
            try:
                yield session
                _commit(session, keep)
            except StaleDataError as exc:
                session.rollback()
                raise StaleVersion() from exc
            except BaseException:
                session.rollback()
                raise
    finally:
        _depth.reset(t_depth)
        _write_intent.reset(t_write)


class _Gate:
    """SQLite has one writer at a time, and a writer that finds the lock taken polls for it with growing
    sleeps (up to 100 ms each) in SQLite's busy handler: under 8 concurrent writers the tail was seconds
    long. Write commands of this host queue here instead — a lock per process (its threads) and an
    ``flock`` on a file beside the database (its processes) — and get the lock as soon as the holder
    commits. Other writers (CLI, the webhook worker) still meet SQLite's own busy timeout."""

    _init = threading.Lock()

    def __init__(self, path: str) -> None:
        self.path, self.pid, self.fd, self.lock = path, -1, -1, threading.Lock()

    def _mine(self) -> tuple[int, threading.Lock]:
        if self.pid != os.getpid():  # a forked worker: its own lock and file handle (flock is per handle)
            with self._init:
                if self.pid != os.getpid():
                    self.fd, self.lock = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600), threading.Lock()
                    self.pid = os.getpid()
        return self.fd, self.lock

    @contextmanager
    def hold(self):
        fd, lock = self._mine()
        with lock:
            fcntl.flock(fd, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)


_gates: dict[str, _Gate] = {}


def _writer_gate(session):
    bind = session.get_bind()
    path = bind.url.database if bind.dialect.name == "sqlite" else None
    if not path or path == ":memory:" or path.startswith("file:"):
        return nullcontext()
    gate = _gates.get(path) or _gates.setdefault(path, _Gate(path + ".writer-lock"))
    return gate.hold()


def _commit(session, keep_loaded: bool) -> None:
    if not keep_loaded:
        session.commit()
        return
    expire = session.expire_on_commit
    session.expire_on_commit = False
    try:
        session.commit()
    finally:
        session.expire_on_commit = expire


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
