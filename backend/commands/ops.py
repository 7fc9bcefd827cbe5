"""Operations commands: backup, restore, webhooks-deliver."""
from __future__ import annotations

import sys

import click
from flask.cli import with_appcontext

from backend.commands import delivery_loop
from backend.context import Actor, acting_as
from backend.errors import DomainError
from backend.services import backup, webhooks  # importing webhooks installs the outbox listener (every entry point)


def _fail(exc: DomainError) -> None:
    click.echo(f"error: {exc.message} {exc.errors or ''}", err=True)
    sys.exit(1)


@click.command("backup")
@click.option("--output", "-o", type=click.Path(dir_okay=False), default=None,
              help="File to write (default: a new file in instance/backups).")
@click.option("--format", "fmt", type=click.Choice(["portable", "native"]), default="portable",
              show_default=True, help="portable: JSON lines for any engine; native: SQLite copy or pg_dump.")
@click.option("--keep", type=int, default=None, help="Afterwards keep only the newest N backups in instance/backups.")
@with_appcontext
def backup_cmd(output, fmt, keep):
    """Back up the database (safe while the app runs)."""
    try:
        with acting_as(Actor(None, "cli", "cli")):
            meta = backup.create_backup(output, fmt)
            removed = backup.prune(keep) if keep else []
    except DomainError as exc:
        _fail(exc)
    click.echo(f"backup written: {meta['path']} ({meta['format']}, {meta['rows']} rows, {meta['size']} bytes, "
               f"revision {meta['alembic_revision'] or 'none'})")
    for name in removed:
        click.echo(f"pruned old backup {name}")


@click.command("restore")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--yes", is_flag=True, help="Replace a database that already has data.")
@with_appcontext
def restore_cmd(file, yes):
    """Restore a backup file (portable, SQLite or pg_dump format) in one transaction."""
    try:
        with acting_as(Actor(None, "cli", "cli")):
            result = backup.restore_backup(file, force=yes)
    except DomainError as exc:
        _fail(exc)
    click.echo(f"restored {result['rows']} rows from {file} ({result['format']}"
               f"{', replaced ' + str(result['replaced_rows']) + ' rows' if result.get('replaced_rows') else ''})")


@click.command("webhooks-deliver")
@click.option("--once", is_flag=True, help="Send what is due now, then exit.")
@click.option("--interval", type=float, default=5.0, show_default=True, help="Seconds between polls.")
@click.option("--batch", type=int, default=100, show_default=True, help="Deliveries per round.")
@with_appcontext
def webhooks_deliver_cmd(once, interval, batch):
    """Deliver queued webhook events (signed POSTs, retries with exponential backoff)."""
    total = delivery_loop(webhooks.deliver_due, batch, once, interval, {"delivered": 0, "retry": 0, "failed": 0, "skipped": 0})
    click.echo("webhooks: " + ", ".join(f"{k} {v}" for k, v in total.items()))


def register(app) -> None:
    for cmd in (backup_cmd, restore_cmd, webhooks_deliver_cmd):
        app.cli.add_command(cmd)
