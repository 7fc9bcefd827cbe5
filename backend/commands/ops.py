"""Operations commands: backup, restore, webhooks-deliver."""
from __future__ import annotations

import sys
import time

import click

from backend.context import Actor, acting_as


def register(app) -> None:
    import backend.services.webhooks  # noqa: F401  (the outbox listener must be installed for every entry point)

    @app.cli.command("backup")
    @click.option("--output", "-o", type=click.Path(dir_okay=False), default=None,
                  help="File to write (default: a new file in instance/backups).")
    @click.option("--format", "fmt", type=click.Choice(["portable", "native"]), default="portable",
                  show_default=True, help="portable: JSON lines for any engine; native: SQLite copy or pg_dump.")
    @click.option("--keep", type=int, default=None, help="Afterwards keep only the newest N backups in instance/backups.")
    def backup_cmd(output, fmt, keep):
        """Back up the database (safe while the app runs)."""
        from backend.errors import DomainError
        from backend.services import backup

        try:
            with acting_as(Actor(None, "cli", "cli")):
                meta = backup.create_backup(output, fmt)
                removed = backup.prune(keep) if keep else []
        except DomainError as exc:
            click.echo(f"error: {exc.message} {exc.errors or ''}", err=True)
            sys.exit(1)
        click.echo(f"backup written: {meta['path']} ({meta['format']}, {meta['rows']} rows, {meta['size']} bytes, "
                   f"revision {meta['alembic_revision'] or 'none'})")
        for name in removed:
            click.echo(f"pruned old backup {name}")

    @app.cli.command("restore")
    @click.argument("file", type=click.Path(exists=True, dir_okay=False))
    @click.option("--yes", is_flag=True, help="Replace a database that already has data.")
    def restore_cmd(file, yes):
        """Restore a backup file (portable, SQLite or pg_dump format) in one transaction."""
        from backend.errors import DomainError
        from backend.services import backup

        try:
            with acting_as(Actor(None, "cli", "cli")):
                result = backup.restore_backup(file, force=yes)
        except DomainError as exc:
            click.echo(f"error: {exc.message} {exc.errors or ''}", err=True)
            sys.exit(1)
        click.echo(f"restored {result['rows']} rows from {file} ({result['format']}"
                   f"{', replaced ' + str(result['replaced_rows']) + ' rows' if result.get('replaced_rows') else ''})")

    @app.cli.command("webhooks-deliver")
    @click.option("--once", is_flag=True, help="Send what is due now, then exit.")
    @click.option("--interval", type=float, default=5.0, show_default=True, help="Seconds between polls.")
    @click.option("--batch", type=int, default=100, show_default=True, help="Deliveries per round.")
    def webhooks_deliver_cmd(once, interval, batch):
        """Deliver queued webhook events (signed POSTs, retries with exponential backoff)."""
        from backend.extensions import db
        from backend.services.webhooks import deliver_due

        total = {"delivered": 0, "retry": 0, "failed": 0, "skipped": 0}
        try:
            while True:
                counts = deliver_due(batch)
                db.session.remove()
                for k, v in counts.items():
                    total[k] += v
                busy = sum(counts.values()) >= batch
                if once and not busy:
                    break
                if not busy:
                    time.sleep(interval)
        except KeyboardInterrupt:
            pass
        click.echo("webhooks: " + ", ".join(f"{k} {v}" for k, v in total.items()))
