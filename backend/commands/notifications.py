"""Notification commands: notifications-deliver (the Web Push worker), notifications-low-stock (daily)."""
from __future__ import annotations

import click
from flask.cli import with_appcontext

from backend.commands import delivery_loop
from backend.context import Actor, acting_as
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
    total = delivery_loop(notifications.deliver_due, batch, once, interval, {"sent": 0, "pending": 0, "failed": 0, "skipped": 0})
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
