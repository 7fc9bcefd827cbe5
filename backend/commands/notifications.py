"""Notification commands: notifications-deliver (the Web Push worker), notifications-low-stock (daily)."""
from __future__ import annotations

import time

import click
from flask.cli import with_appcontext

from backend.context import Actor, acting_as
from backend.extensions import db
from backend.services import notifications
from backend.services.notifications.digest import low_stock_digest


@click.command("notifications-deliver")
@click.option("--once", is_flag=True, help="Send what is due now, then exit.")
@click.option("--interval", type=float, default=3.0, show_default=True, help="Seconds between polls.")
@click.option("--batch", type=int, default=100, show_default=True, help="Notifications per round.")
@with_appcontext
def notifications_deliver_cmd(once, interval, batch):
    """Send queued notifications by Web Push (VAPID keys are made on the first run and kept)."""
    notifications.public_key()  # first start: make and keep the VAPID key pair
    total = {"sent": 0, "pending": 0, "failed": 0, "skipped": 0}
    try:
        while True:
            counts = notifications.deliver_due(batch)
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
    click.echo("notifications: " + ", ".join(f"{k} {v}" for k, v in total.items()))


@click.command("notifications-low-stock")
@with_appcontext
def notifications_low_stock_cmd():
    """Queue the daily low-stock digest for every subscribed user who sees stock."""
    with acting_as(Actor(None, "low-stock-digest", "cli")):
        n = low_stock_digest()
    click.echo(f"low-stock digest: {n} notification(s) queued")


def register(app) -> None:
    for cmd in (notifications_deliver_cmd, notifications_low_stock_cmd):
        app.cli.add_command(cmd)
