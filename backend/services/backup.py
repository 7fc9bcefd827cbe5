"""Backup and restore.

Formats:
- ``portable`` (default, both engines): gzip'd JSON lines — a header (format, version, Alembic revision),
  then per table a column list and one JSON array per row, then a footer with row counts. Values are
  decoded by the target column's type, so Decimal, dates, datetimes (UTC), binary and JSON columns
  round-trip exactly, and a SQLite backup restores into PostgreSQL (and back).
- ``native``: SQLite → a consistent online copy through sqlite3's backup API (gzip'd);
  PostgreSQL → ``pg_dump --format=custom`` (needs pg_dump / pg_restore on PATH).

A restore refuses a non-empty database unless ``force``, checks the header and the Alembic revision, and
runs in one transaction; PostgreSQL sequences are reset afterwards.
"""
from __future__ import annotations

import base64
import gzip
import hashlib
import json
import os
import re
import shutil
import sqlite3
import subprocess
import tempfile
from collections.abc import Iterator
from datetime import UTC, date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

from flask import current_app
from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Integer,
    LargeBinary,
    Numeric,
    Time,
    TypeDecorator,
    func,
    inspect,
    select,
    text,
)
from sqlalchemy.engine import Connection

from backend.errors import Conflict, NotFound, ValidationFailed
from backend.extensions import db
from backend.models.audit import AuditLog
from backend.models.base import Base, utcnow
from backend.services.uow import transaction

FORMAT = "jxc-backup"
VERSION = 1
BATCH = 500
NAME_RE = re.compile(r"^jxc-[A-Za-z0-9._-]{1,200}$")
SUFFIX = {"portable": ".jsonl.gz", "sqlite": ".sqlite3.gz", "pg_dump": ".pgdump"}


class BackupError(ValidationFailed):
    """The backup file cannot be used (wrong format, damaged, other schema revision …)."""

    code = "backup_invalid"


# ---------------------------------------------------------------- helpers

def backup_dir() -> Path:
    d = Path(current_app.config.get("BACKUP_DIR") or Path(current_app.instance_path) / "backups")
    d.mkdir(parents=True, exist_ok=True)
    return d


def dialect() -> str:
    return db.engine.dialect.name


def alembic_revision(conn: Connection) -> str | None:
    """The database's Alembic revision (None when it was not built by migrations)."""
    if not inspect(conn).has_table("alembic_version"):
        return None
    revs = sorted(r[0] for r in conn.execute(text("SELECT version_num FROM alembic_version")))
    return ",".join(revs) or None


def row_counts(conn: Connection) -> dict[str, int]:
    return {t.name: conn.execute(select(func.count()).select_from(t)).scalar_one()
            for t in Base.metadata.sorted_tables}


def _base_type(col):
    t = col.type
    while isinstance(t, TypeDecorator):
        t = t.impl_instance if hasattr(t, "impl_instance") else t.impl
    return t


def _encode(v: Any) -> Any:
    if isinstance(v, Decimal):
        return str(v)
    if isinstance(v, datetime):
        if v.tzinfo is not None:
            v = v.astimezone(UTC)
        return v.isoformat()
    if isinstance(v, (date, time)):
        return v.isoformat()
    if isinstance(v, (bytes, bytearray, memoryview)):
        return base64.b64encode(bytes(v)).decode()
    return v


def _decoder(col):
    t = _base_type(col)
    if isinstance(t, JSON):
        return lambda v: v
    if isinstance(t, DateTime):
        return datetime.fromisoformat
    if isinstance(t, Date):
        return date.fromisoformat
    if isinstance(t, Time):
        return time.fromisoformat
    if isinstance(t, Numeric) and getattr(t, "asdecimal", True):
        return lambda v: Decimal(str(v))
    if isinstance(t, LargeBinary):
        return base64.b64decode
    if isinstance(t, Boolean):
        return bool
    if isinstance(t, Integer):
        return int
    return lambda v: v


def _open_text(path: Path, mode: str) -> IO[str]:
    if path.suffix == ".gz":
        return gzip.open(path, mode + "t", encoding="utf-8", newline="\n")
    return open(path, mode, encoding="utf-8", newline="\n")


def _sniff(path: Path) -> str:
    """portable, sqlite or pg_dump, from the file's first bytes."""
    with open(path, "rb") as f:
        head = f.read(16)
    if head.startswith(b"PGDMP"):
        return "pg_dump"
    if head.startswith(b"\x1f\x8b"):
        try:
            with gzip.open(path, "rb") as g:
                head = g.read(16)
        except (OSError, EOFError) as exc:
            raise BackupError("The backup file is damaged (bad gzip data).") from exc
    if head.startswith(b"SQLite format 3\x00"):
        return "sqlite"
    if head.lstrip().startswith(b"{"):
        return "portable"
    raise BackupError("This is not a JXC backup file.", errors={"file": ["Unknown format."]})


def _new_name(fmt: str) -> str:
    return f"jxc-{utcnow().strftime('%Y%m%d-%H%M%S')}-{os.urandom(3).hex()}{SUFFIX[fmt]}"


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _pg_conninfo() -> tuple[str, dict]:
    url = db.engine.url
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    plain = url.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env


def native_tools_available() -> bool:
    return bool(shutil.which("pg_dump") and shutil.which("pg_restore"))


# ---------------------------------------------------------------- backup

def _dump_portable(out: Path) -> dict:
    counts: dict[str, int] = {}
    with db.engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            conn = conn.execution_options(isolation_level="REPEATABLE READ")
        with conn.begin():  # one snapshot for every table (WAL on SQLite, REPEATABLE READ on PostgreSQL)
            if conn.dialect.name == "postgresql":
                conn.execute(text("SET TRANSACTION READ ONLY"))
            header = {"format": FORMAT, "version": VERSION, "created_at": utcnow().isoformat(),
                      "dialect": conn.dialect.name, "alembic_revision": alembic_revision(conn),
                      "tables": [t.name for t in Base.metadata.sorted_tables]}
            with gzip.open(out, "wt", encoding="utf-8", newline="\n", compresslevel=6) as f:
                f.write(json.dumps(header, ensure_ascii=False) + "\n")
                for table in Base.metadata.sorted_tables:
                    cols = [c.name for c in table.columns]
                    f.write(json.dumps({"table": table.name, "columns": cols}, ensure_ascii=False) + "\n")
                    pk = list(table.primary_key.columns) or list(table.columns)
                    result = conn.execution_options(yield_per=1000).execute(select(table).order_by(*pk))
                    n = 0
                    for row in result:
                        f.write(json.dumps([_encode(v) for v in row], ensure_ascii=False,
                                           separators=(",", ":")) + "\n")
                        n += 1
                    counts[table.name] = n
                f.write(json.dumps({"end": True, "rows": counts}) + "\n")
    return {**header, "rows": counts}


def _dump_sqlite(out: Path) -> dict:
    path = db.engine.url.database
    if not path or path == ":memory:":
        raise Conflict("An in-memory database cannot be backed up natively; use the portable format.")
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "copy.sqlite3"
        src, dst = sqlite3.connect(path), sqlite3.connect(copy)
        try:
            src.backup(dst)  # consistent online copy, even while the app writes
        finally:
            src.close()
        try:
            has_alembic = dst.execute("SELECT 1 FROM sqlite_master WHERE name='alembic_version'").fetchone()
            rev = dst.execute("SELECT version_num FROM alembic_version").fetchone()[0] if has_alembic else None
            counts = {t.name: dst.execute(f'SELECT count(*) FROM "{t.name}"').fetchone()[0]
                      for t in Base.metadata.sorted_tables}
        finally:
            dst.close()
        with open(copy, "rb") as s, gzip.open(out, "wb", compresslevel=6) as d:
            shutil.copyfileobj(s, d, 1 << 20)
    return {"format": "sqlite", "version": VERSION, "created_at": utcnow().isoformat(), "dialect": "sqlite",
            "alembic_revision": rev, "rows": counts}


def _dump_pg(out: Path) -> dict:
    if not native_tools_available():
        raise Conflict("pg_dump is not installed; use the portable format.", code="tool_missing")
    uri, env = _pg_conninfo()
    r = subprocess.run(["pg_dump", "--format=custom", "--no-owner", "--no-acl", f"--file={out}", uri],
                       env=env, capture_output=True, text=True, timeout=3600, check=False)
    if r.returncode != 0:
        out.unlink(missing_ok=True)
        raise Conflict("pg_dump failed.", code="backup_failed", errors={"stderr": r.stderr[-1000:]})
    with db.engine.connect() as conn:
        rev, counts = alembic_revision(conn), row_counts(conn)
    return {"format": "pg_dump", "version": VERSION, "created_at": utcnow().isoformat(), "dialect": "postgresql",
            "alembic_revision": rev, "rows": counts}


def create_backup(output: str | Path | None = None, fmt: str = "portable", note: str | None = None) -> dict:
    """Write a backup (to ``output`` or a new file in the backup directory); returns its metadata."""
    if fmt not in ("portable", "native"):
        raise ValidationFailed("Unknown backup format.", errors={"format": ["portable or native"]})
    kind = "portable" if fmt == "portable" else ("sqlite" if dialect() == "sqlite" else "pg_dump")
    if output is None:
        out = backup_dir() / _new_name(kind)
    else:
        out = Path(output).expanduser().resolve()
        out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(out.name + ".partial")
    try:
        meta = {"portable": _dump_portable, "sqlite": _dump_sqlite, "pg_dump": _dump_pg}[kind](partial)
        partial.replace(out)  # a backup appears only when complete
    finally:
        partial.unlink(missing_ok=True)
    meta = {"name": out.name, "format": kind, "size": out.stat().st_size, "sha256": _sha256(out),
            "created_at": meta["created_at"], "dialect": meta["dialect"],
            "alembic_revision": meta["alembic_revision"], "rows": sum(meta["rows"].values()),
            "tables": meta["rows"], "note": note, "path": str(out)}
    if out.parent == backup_dir().resolve() or out.parent == backup_dir():
        (out.parent / (out.name + ".meta.json")).write_text(json.dumps(meta, ensure_ascii=False))
    _audit("backup", {"name": out.name, "format": kind, "rows": meta["rows"], "note": note})
    return meta


def _audit(action: str, details: dict) -> None:
    from backend.context import current_actor, current_request_id

    actor = current_actor()
    with transaction() as session:
        session.add(AuditLog(user_id=actor.user_id if actor else None, username=actor.username if actor else None,
                             source=actor.source if actor else "cli", entity="database", entity_id="-",
                             action=action, changes={"details": details}, request_id=current_request_id()))


# ---------------------------------------------------------------- list / download

def list_backups() -> list[dict]:
    """Backups in the backup directory, newest first."""
    out = []
    d = backup_dir()
    for p in d.iterdir():
        if not p.is_file() or not NAME_RE.match(p.name) or p.name.endswith((".meta.json", ".partial")):
            continue
        meta_file = d / (p.name + ".meta.json")
        meta = {}
        if meta_file.exists():
            try:
                meta = json.loads(meta_file.read_text())
            except ValueError:
                meta = {}
        st = p.stat()
        meta.update({"name": p.name, "size": st.st_size})
        meta.setdefault("created_at", datetime.fromtimestamp(st.st_mtime, UTC).isoformat())
        meta.setdefault("format", next((k for k, s in SUFFIX.items() if p.name.endswith(s)), "unknown"))
        meta.pop("path", None)
        out.append(meta)
    out.sort(key=lambda m: (m["created_at"], m["name"]), reverse=True)
    return out


def backup_path(name: str) -> Path:
    """The file of a backup by name (404 for anything else, including path tricks)."""
    if not NAME_RE.match(name or "") or name.endswith((".meta.json", ".partial")):
        raise NotFound(f"No backup named {name!r}.", zh=f"没有名为 {name!r} 的备份。", errors={"name": name})
    p = backup_dir() / name
    if not p.is_file():
        raise NotFound(f"No backup named {name!r}.", zh=f"没有名为 {name!r} 的备份。", errors={"name": name})
    return p


def delete_backup(name: str) -> None:
    p = backup_path(name)
    p.unlink()
    (p.parent / (name + ".meta.json")).unlink(missing_ok=True)
    _audit("delete_backup", {"name": name})


def prune(keep: int) -> list[str]:
    """Delete all but the newest ``keep`` backups in the backup directory."""
    removed = []
    for meta in list_backups()[keep:]:
        p = backup_dir() / meta["name"]
        p.unlink(missing_ok=True)
        (p.parent / (meta["name"] + ".meta.json")).unlink(missing_ok=True)
        removed.append(meta["name"])
    return removed


# ---------------------------------------------------------------- restore

def _lines(f: IO[str]) -> Iterator[tuple[int, Any]]:
    for n, line in enumerate(f, 1):
        if not line.strip():
            continue
        try:
            yield n, json.loads(line)
        except ValueError as exc:
            raise BackupError(f"The backup file is damaged (line {n} is not JSON).",
                              zh=f"备份文件已损坏（第 {n} 行不是 JSON）。") from exc


def _check_revision(backup_rev: str | None, current_rev: str | None) -> None:
    if backup_rev != current_rev:
        raise BackupError(
            f"The backup is from schema revision {backup_rev or 'none'}, the database is at "
            f"{current_rev or 'none'}; restore it with the matching JXC version (or run init-db first).",
            zh=f"备份的数据库结构版本为 {backup_rev or 'none'}，当前数据库为 {current_rev or 'none'}；"
               f"请用对应版本的 JXC 恢复（或先运行 init-db）。",
            code="revision_mismatch", errors={"backup": backup_rev, "database": current_rev})


def _wipe(conn: Connection) -> None:
    tables = list(reversed(Base.metadata.sorted_tables))
    if conn.dialect.name == "postgresql":
        conn.execute(text("TRUNCATE " + ", ".join(f'"{t.name}"' for t in tables) + " RESTART IDENTITY CASCADE"))
    else:
        for t in tables:
            conn.execute(t.delete())


def reset_sequences(conn: Connection) -> None:
    """PostgreSQL: point every serial/identity sequence past the restored ids."""
    if conn.dialect.name != "postgresql":
        return
    for t in Base.metadata.sorted_tables:
        for col in t.primary_key.columns:
            if not isinstance(_base_type(col), Integer):
                continue
            seq = conn.execute(text("SELECT pg_get_serial_sequence(:t, :c)"), {"t": t.name, "c": col.name}).scalar()
            if seq:
                conn.execute(text(f'SELECT setval(:s, COALESCE((SELECT MAX("{col.name}") FROM "{t.name}"), 0) + 1, '
                                  f"false)"), {"s": seq})


def _ensure_empty_or_forced(conn: Connection, force: bool) -> int:
    existing = sum(row_counts(conn).values())
    if existing and not force:
        raise Conflict(f"The database is not empty ({existing} rows); restore would replace everything. "
                       f"Pass --yes to confirm.",
                       zh=f"数据库不为空（{existing} 行）；恢复将替换全部数据。请加 --yes 确认。", code="database_not_empty", errors={"rows": existing})
    return existing


def _restore_portable(path: Path, force: bool) -> dict:
    tables = {t.name: t for t in Base.metadata.sorted_tables}
    counts: dict[str, int] = {}
    with _open_text(path, "r") as f, transaction() as session:
        conn = session.connection()
        lines = _lines(f)
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
        _check_revision(header.get("alembic_revision"), alembic_revision(conn))
        unknown = [t for t in header.get("tables", []) if t not in tables]
        if unknown:
            raise BackupError("The backup has tables this version does not know.", errors={"tables": unknown})
        existing = _ensure_empty_or_forced(conn, force)
        if conn.dialect.name == "sqlite":
            conn.exec_driver_sql("PRAGMA defer_foreign_keys = ON")
        if existing:
            _wipe(conn)
        table, cols, decoders, batch, footer = None, [], [], [], None

        def flush_batch():
            if batch:
                conn.execute(table.insert(), batch)
                batch.clear()

        try:
            for n, item in lines:
                if isinstance(item, list):
                    if table is None or len(item) != len(cols):
                        raise BackupError(f"The backup file is damaged (line {n}).", zh=f"备份文件已损坏（第 {n} 行）。")
                    batch.append({c: (None if v is None else dec(v)) for c, dec, v in zip(cols, decoders, item)})
                    counts[table.name] += 1
                    if len(batch) >= BATCH:
                        flush_batch()
                elif isinstance(item, dict) and "table" in item:
                    flush_batch()
                    table = tables.get(item["table"])
                    if table is None:
                        raise BackupError(f"Unknown table {item['table']!r} in the backup.",
                                          zh=f"备份中有未知的数据表 {item['table']!r}。")
                    missing = [c for c in item.get("columns", []) if c not in table.c]
                    if missing:
                        raise BackupError(f"Table {table.name} has unknown columns.", zh=f"数据表 {table.name} 有未知的列。",
                                          errors={"columns": missing})
                    cols = list(item["columns"])
                    decoders = [_decoder(table.c[c]) for c in cols]
                    counts[table.name] = 0
                elif isinstance(item, dict) and item.get("end"):
                    flush_batch()
                    footer = item
                    break
                else:
                    raise BackupError(f"The backup file is damaged (line {n}).", zh=f"备份文件已损坏（第 {n} 行）。")
        except (OSError, EOFError, UnicodeDecodeError) as exc:
            raise BackupError("The backup file is truncated or damaged.") from exc
        except (ValueError, TypeError, ArithmeticError) as exc:
            raise BackupError(f"The backup file has a bad value: {exc}"[:300]) from exc
        if footer is None or footer.get("rows") != counts:
            raise BackupError("The backup file is incomplete (no matching end record); nothing was restored.",
                              code="backup_truncated")
        reset_sequences(conn)
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
        opener = gzip.open if path.suffix == ".gz" or _is_gzip(path) else open
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
                _check_revision(rev, alembic_revision(conn))
                existing = _ensure_empty_or_forced(conn, force)
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


def _is_gzip(path: Path) -> bool:
    with open(path, "rb") as f:
        return f.read(2) == b"\x1f\x8b"


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
    uri, env = _pg_conninfo()
    rev = _pg_dump_revision(path, env)
    with db.engine.connect() as conn:
        _check_revision(rev, alembic_revision(conn))
        existing = _ensure_empty_or_forced(conn, force)
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
    kind = _sniff(p)
    result = {"portable": _restore_portable, "sqlite": _restore_sqlite, "pg_dump": _restore_pg}[kind](p, force)
    _audit("restore", {"file": p.name, "format": kind, "rows": result["rows"]})
    return result
