"""Backup: write the database to a file (portable JSON lines, a SQLite copy or pg_dump); list, fetch, prune."""
from __future__ import annotations

import base64
import gzip
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import tempfile
from datetime import UTC, date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import select, text

from backend.errors import Conflict, NotFound, ValidationFailed
from backend.extensions import db
from backend.models.base import Base, utcnow
from backend.services.backup.common import (
    FORMAT,
    NAME_RE,
    SUFFIX,
    VERSION,
    alembic_revision,
    audit,
    backup_dir,
    dialect,
    native_tools_available,
    pg_conninfo,
    row_counts,
)


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


def _new_name(fmt: str) -> str:
    return f"jxc-{utcnow().strftime('%Y%m%d-%H%M%S')}-{os.urandom(3).hex()}{SUFFIX[fmt]}"


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


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
    uri, env = pg_conninfo()
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
    audit("backup", {"name": out.name, "format": kind, "rows": meta["rows"], "note": note})
    return meta


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
    audit("delete_backup", {"name": name})


def prune(keep: int) -> list[str]:
    """Delete all but the newest ``keep`` backups in the backup directory."""
    removed = []
    for meta in list_backups()[keep:]:
        p = backup_dir() / meta["name"]
        p.unlink(missing_ok=True)
        (p.parent / (meta["name"] + ".meta.json")).unlink(missing_ok=True)
        removed.append(meta["name"])
    return removed
