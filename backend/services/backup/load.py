"""Restore: load a backup file (any format) into the database, in one transaction.

A restore refuses a non-empty database unless ``force`` (``truncate``), checks the header and the Alembic
revision, and resets PostgreSQL sequences afterwards (``sequences``). Portable files are decoded by the
target column's type (``DECODERS``), so a SQLite backup restores into PostgreSQL (and back).
"""
from __future__ import annotations

import base64
import gzip
import json
import shutil
import sqlite3
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Integer,
    LargeBinary,
    Numeric,
    Table,
    Time,
)
from sqlalchemy.engine import Connection

from backend.errors import Conflict, NotFound
from backend.extensions import db
from backend.models.base import Base
from backend.services.backup.common import (
    FORMAT,
    VERSION,
    BackupError,
    alembic_revision,
    audit,
    base_type,
    check_revision,
    dialect,
    is_gzip,
    native_tools_available,
    open_text,
    pg_conninfo,
    row_counts,
    sniff,
)
from backend.services.backup.sequences import reset_sequences
from backend.services.backup.truncate import ensure_empty_or_forced, wipe
from backend.services.uow import transaction

BATCH = 500


def _identity(v):
    return v


def _decimal(v) -> Decimal:
    return Decimal(str(v))


# The first matching column type decodes a JSON value (order matters: JSON before everything else).
DECODERS: tuple[tuple[type, Callable[[Any], Any]], ...] = (
    (JSON, _identity),
    (DateTime, datetime.fromisoformat),
    (Date, date.fromisoformat),
    (Time, time.fromisoformat),
    (Numeric, _decimal),  # only when asdecimal (see _decoder)
    (LargeBinary, base64.b64decode),
    (Boolean, bool),
    (Integer, int),
)


def _decoder(col) -> Callable[[Any], Any]:
    t = base_type(col)
    for kind, decode in DECODERS:
        if isinstance(t, kind) and (kind is not Numeric or getattr(t, "asdecimal", True)):
            return decode
    return _identity


def _lines(f: IO[str]) -> Iterator[tuple[int, Any]]:
    for n, line in enumerate(f, 1):
        if not line.strip():
            continue
        try:
            yield n, json.loads(line)
        except ValueError as exc:
            raise BackupError(f"The backup file is damaged (line {n} is not JSON).",
                              zh=f"备份文件已损坏（第 {n} 行不是 JSON）。") from exc


def _damaged(n: int) -> BackupError:
    return BackupError(f"The backup file is damaged (line {n}).", zh=f"备份文件已损坏（第 {n} 行）。")


def _read_header(lines: Iterator[tuple[int, Any]], conn: Connection, tables: dict[str, Table]) -> dict:
    """The portable header, checked: format, version, schema revision, known tables."""
    try:
        _, header = next(lines)
    except (StopIteration, UnicodeDecodeError, OSError, EOFError) as exc:
        raise BackupError("The backup file is empty or damaged.") from exc
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise BackupError("This is not a JXC backup file.", errors={"format": header.get("format")
                                                                    if isinstance(header, dict) else None})
    if header.get("version") != VERSION:
        raise BackupError(f"Backup format version {header.get('version')} is not supported (need {VERSION}).",
                          zh=f"不支持备份格式版本 {header.get('version')}（需要 {VERSION}）。",
                          code="unsupported_version")
    check_revision(header.get("alembic_revision"), alembic_revision(conn))
    unknown = [t for t in header.get("tables", []) if t not in tables]
    if unknown:
        raise BackupError("The backup has tables this version does not know.", errors={"tables": unknown})
    return header


class _PortableLoader:
    """Streams the records after the header into the tables, ``BATCH`` rows per INSERT, counting rows."""

    def __init__(self, conn: Connection, tables: dict[str, Table]):
        self.conn, self.tables = conn, tables
        self.table: Table | None = None
        self.cols: list[str] = []
        self.decoders: list[Callable[[Any], Any]] = []
        self.batch: list[dict] = []
        self.counts: dict[str, int] = {}

    def flush(self) -> None:
        if self.batch:
            self.conn.execute(self.table.insert(), self.batch)
            self.batch.clear()

    def row(self, n: int, item: list) -> None:
        if self.table is None or len(item) != len(self.cols):
            raise _damaged(n)
        self.batch.append({c: (None if v is None else dec(v)) for c, dec, v in zip(self.cols, self.decoders, item)})
        self.counts[self.table.name] += 1
        if len(self.batch) >= BATCH:
            self.flush()

    def start_table(self, item: dict) -> None:
        self.flush()
        table = self.tables.get(item["table"])
        if table is None:
            raise BackupError(f"Unknown table {item['table']!r} in the backup.",
                              zh=f"备份中有未知的数据表 {item['table']!r}。")
        missing = [c for c in item.get("columns", []) if c not in table.c]
        if missing:
            raise BackupError(f"Table {table.name} has unknown columns.", zh=f"数据表 {table.name} 有未知的列。",
                              errors={"columns": missing})
        self.table, self.cols = table, list(item["columns"])
        self.decoders = [_decoder(table.c[c]) for c in self.cols]
        self.counts[table.name] = 0

    def load(self, lines: Iterator[tuple[int, Any]]) -> dict | None:
        """Load every record; returns the footer (None when the file ends without one)."""
        try:
            for n, item in lines:
                if isinstance(item, list):
                    self.row(n, item)
                elif isinstance(item, dict) and "table" in item:
                    self.start_table(item)
                elif isinstance(item, dict) and item.get("end"):
                    self.flush()
                    return item
                else:
                    raise _damaged(n)
        except (OSError, EOFError, UnicodeDecodeError) as exc:
            raise BackupError("The backup file is truncated or damaged.") from exc
        except (ValueError, TypeError, ArithmeticError) as exc:
            raise BackupError(f"The backup file has a bad value: {exc}"[:300]) from exc
        return None


def _restore_portable(path: Path, force: bool) -> dict:
    tables = {t.name: t for t in Base.metadata.sorted_tables}
    with open_text(path, "r") as f, transaction() as session:
        conn = session.connection()
        lines = _lines(f)
        header = _read_header(lines, conn, tables)
        existing = ensure_empty_or_forced(conn, force)
        if conn.dialect.name == "sqlite":
            conn.exec_driver_sql("PRAGMA defer_foreign_keys = ON")
        if existing:
            wipe(conn)
        loader = _PortableLoader(conn, tables)
        footer = loader.load(lines)
        if footer is None or footer.get("rows") != loader.counts:
            raise BackupError("The backup file is incomplete (no matching end record); nothing was restored.",
                              code="backup_truncated")
        reset_sequences(conn)
    counts = loader.counts
    return {"format": "portable", "rows": sum(counts.values()), "tables": counts,
            "alembic_revision": header.get("alembic_revision"), "source_dialect": header.get("dialect"),
            "replaced_rows": existing}


def _restore_sqlite(path: Path, force: bool) -> dict:
    if dialect() != "sqlite":
        raise BackupError("A native SQLite backup restores only into SQLite; use a portable backup to move "
                          "between engines.", code="wrong_engine")
    target = db.engine.url.database
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "restore.sqlite3"
        opener = gzip.open if path.suffix == ".gz" or is_gzip(path) else open
        try:
            with opener(path, "rb") as s, open(copy, "wb") as d:
                shutil.copyfileobj(s, d, 1 << 20)
        except (OSError, EOFError) as exc:
            raise BackupError("The backup file is truncated or damaged.") from exc
        src = sqlite3.connect(copy)
        try:
            if src.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
                raise BackupError("The SQLite backup fails its integrity check.")
            has_alembic = src.execute("SELECT 1 FROM sqlite_master WHERE name='alembic_version'").fetchone()
            rev = src.execute("SELECT version_num FROM alembic_version").fetchone()[0] if has_alembic else None
            with db.engine.connect() as conn:
                check_revision(rev, alembic_revision(conn))
                existing = ensure_empty_or_forced(conn, force)
            db.session.remove()
            db.engine.dispose()
            dst = sqlite3.connect(target)
            try:
                src.backup(dst)  # one atomic page copy into the live file
            finally:
                dst.close()
            counts = {t.name: src.execute(f'SELECT count(*) FROM "{t.name}"').fetchone()[0]
                      for t in Base.metadata.sorted_tables
                      if src.execute("SELECT 1 FROM sqlite_master WHERE name=?", (t.name,)).fetchone()}
        except sqlite3.DatabaseError as exc:
            raise BackupError(f"The SQLite backup cannot be read: {exc}", zh=f"无法读取 SQLite 备份：{exc}") from exc
        finally:
            src.close()
    return {"format": "sqlite", "rows": sum(counts.values()), "tables": counts, "alembic_revision": rev,
            "replaced_rows": existing}


def _pg_dump_revision(path: Path, env: dict) -> str | None:
    r = subprocess.run(["pg_restore", "--data-only", "--table=alembic_version", "--file=-", str(path)],
                       env=env, capture_output=True, text=True, timeout=600, check=False)
    if r.returncode != 0:
        raise BackupError("pg_restore cannot read this file.", errors={"stderr": r.stderr[-500:]})
    lines = r.stdout.splitlines()
    for i, line in enumerate(lines):
        if line.startswith("COPY ") and "alembic_version" in line:
            vals = []
            for row in lines[i + 1:]:
                if row == "\\.":
                    break
                vals.append(row.strip())
            return ",".join(sorted(vals)) or None
    return None


def _restore_pg(path: Path, force: bool) -> dict:
    if dialect() != "postgresql":
        raise BackupError("A pg_dump backup restores only into PostgreSQL; use a portable backup to move "
                          "between engines.", code="wrong_engine")
    if not native_tools_available():
        raise Conflict("pg_restore is not installed.", code="tool_missing")
    uri, env = pg_conninfo()
    rev = _pg_dump_revision(path, env)
    with db.engine.connect() as conn:
        check_revision(rev, alembic_revision(conn))
        existing = ensure_empty_or_forced(conn, force)
    db.session.remove()
    db.engine.dispose()
    r = subprocess.run(["pg_restore", "--clean", "--if-exists", "--single-transaction", "--exit-on-error",
                        "--no-owner", "--no-acl", f"--dbname={uri}", str(path)],
                       env=env, capture_output=True, text=True, timeout=3600, check=False)
    if r.returncode != 0:
        raise Conflict("pg_restore failed; the database was left unchanged.", code="restore_failed",
                       errors={"stderr": r.stderr[-1000:]})
    with db.engine.begin() as conn:
        reset_sequences(conn)
        counts = row_counts(conn)
    return {"format": "pg_dump", "rows": sum(counts.values()), "tables": counts, "alembic_revision": rev,
            "replaced_rows": existing}


def restore_backup(path: str | Path, force: bool = False) -> dict:
    """Restore a backup file (any format); refuses a non-empty database unless ``force``."""
    p = Path(path).expanduser()
    if not p.is_file():
        raise NotFound(f"No such file: {p}", zh=f"文件不存在：{p}")
    kind = sniff(p)
    result = {"portable": _restore_portable, "sqlite": _restore_sqlite, "pg_dump": _restore_pg}[kind](p, force)
    audit("restore", {"file": p.name, "format": kind, "rows": result["rows"]})
    return result
