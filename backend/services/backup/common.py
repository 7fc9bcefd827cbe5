"""What backup and restore share: the file formats, the backup directory, schema revisions, the audit entry."""
from __future__ import annotations

import gzip
import os
import re
import shutil
from pathlib import Path
from typing import IO

from flask import current_app
from sqlalchemy import TypeDecorator, func, inspect, select, text
from sqlalchemy.engine import Connection

from backend.context import current_actor, current_request_id
from backend.errors import ValidationFailed
from backend.extensions import db
from backend.models.audit import AuditLog
from backend.models.base import Base
from backend.services.uow import transaction

FORMAT = "jxc-backup"
VERSION = 1
NAME_RE = re.compile(r"^jxc-[A-Za-z0-9._-]{1,200}$")
SUFFIX = {"portable": ".jsonl.gz", "sqlite": ".sqlite3.gz", "pg_dump": ".pgdump"}


class BackupError(ValidationFailed):
    """The backup file cannot be used (wrong format, damaged, other schema revision …)."""

    code = "backup_invalid"


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


def base_type(col):
    t = col.type
    while isinstance(t, TypeDecorator):
        t = t.impl_instance if hasattr(t, "impl_instance") else t.impl
    return t


def open_text(path: Path, mode: str) -> IO[str]:
    if path.suffix == ".gz":
        return gzip.open(path, mode + "t", encoding="utf-8", newline="\n")
    return open(path, mode, encoding="utf-8", newline="\n")


def is_gzip(path: Path) -> bool:
    with open(path, "rb") as f:
        return f.read(2) == b"\x1f\x8b"


def sniff(path: Path) -> str:
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


def pg_conninfo() -> tuple[str, dict]:
    url = db.engine.url
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    plain = url.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env


def native_tools_available() -> bool:
    return bool(shutil.which("pg_dump") and shutil.which("pg_restore"))


def check_revision(backup_rev: str | None, current_rev: str | None) -> None:
    if backup_rev != current_rev:
        raise BackupError(
            f"The backup is from schema revision {backup_rev or 'none'}, the database is at "
            f"{current_rev or 'none'}; restore it with the matching JXC version (or run init-db first).",
            zh=f"备份的数据库结构版本为 {backup_rev or 'none'}，当前数据库为 {current_rev or 'none'}；"
               f"请用对应版本的 JXC 恢复（或先运行 init-db）。",
            code="revision_mismatch", errors={"backup": backup_rev, "database": current_rev})


def audit(action: str, details: dict) -> None:
    actor = current_actor()
    with transaction() as session:
        session.add(AuditLog(user_id=actor.user_id if actor else None, username=actor.username if actor else None,
                             source=actor.source if actor else "cli", entity="database", entity_id="-",
                             action=action, changes={"details": details}, request_id=current_request_id()))
