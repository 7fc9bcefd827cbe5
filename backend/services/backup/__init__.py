"""Backup and restore.

Formats:
- ``portable`` (default, both engines): gzip'd JSON lines — a header (format, version, Alembic revision),
  then per table a column list and one JSON array per row, then a footer with row counts. Values are
  decoded by the target column's type, so Decimal, dates, datetimes (UTC), binary and JSON columns
  round-trip exactly, and a SQLite backup restores into PostgreSQL (and back).
- ``native``: SQLite → a consistent online copy through sqlite3's backup API (gzip'd);
  PostgreSQL → ``pg_dump --format=custom`` (needs pg_dump / pg_restore on PATH).

Modules: ``common`` (formats, directory, revisions, audit), ``read`` (write a backup; list, fetch, prune),
``truncate`` (empty the database before a forced restore), ``load`` (restore any format) and ``sequences``
(PostgreSQL sequences after a restore).
"""
from __future__ import annotations

from backend.services.backup.common import (
    BackupError,
    alembic_revision,
    backup_dir,
    native_tools_available,
    row_counts,
)
from backend.services.backup.load import restore_backup
from backend.services.backup.read import (
    _dump_sqlite,  # the copy step alone: tests/ops/test_ops_backup.py runs it under a writer's lock
    backup_path,
    create_backup,
    delete_backup,
    list_backups,
    prune,
)
from backend.services.backup.sequences import reset_sequences

__all__ = ["BackupError", "_dump_sqlite", "alembic_revision", "backup_dir", "backup_path", "create_backup",
           "delete_backup", "list_backups", "native_tools_available", "prune", "reset_sequences",
           "restore_backup", "row_counts"]
