"""Sync housekeeping: ``flask sync-prune`` (old op records and idempotency keys)."""
from __future__ import annotations

import click

from backend.context import Actor, acting_as
from backend.services import idempotency
from backend.sync import rejected


def register(app) -> None:
    @app.cli.command("sync-prune")
    @click.option("--days", default=30, show_default=True, type=int,
                  help="Keep op records at least this many days (minimum 30).")
    @click.option("--key-hours", default=24, show_default=True, type=int, help="Idempotency keys older than this.")
    def sync_prune(days, key_hours):
        """Delete applied/resolved/dismissed op records older than --days and expired Idempotency-Keys.
        Rejected ops are kept until a person resolves or dismisses them."""
        with acting_as(Actor(None, "cli", "cli")):
            n_ops = rejected.prune(days)
            n_keys = idempotency.prune(key_hours)
        click.echo(f"deleted {n_ops} op records and {n_keys} idempotency keys")
