"""Core commands: init-db, create-user, seed-demo, check-config."""
from __future__ import annotations

import sys

import click
from flask_migrate import upgrade

from backend.auth.permissions import ROLES
from backend.context import Actor, acting_as


def register(app) -> None:
    @app.cli.command("init-db")
    def init_db():
        """Create or upgrade the database schema (Alembic migrations)."""
        upgrade()
        click.echo("database is at the latest migration")

    @app.cli.command("create-user")
    @click.argument("username")
    @click.option("--role", "roles", multiple=True, required=True, type=click.Choice(ROLES))
    @click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
    @click.option("--display-name", default="")
    def create_user_cmd(username, roles, password, display_name):
        """Create a user with one or more roles."""
        from backend.errors import DomainError
        from backend.services.users import create_user

        try:
            with acting_as(Actor(None, "cli", "cli")):
                user = create_user(username, password, list(roles), display_name=display_name)
        except DomainError as exc:
            click.echo(f"error: {exc.message} {exc.errors}", err=True)
            sys.exit(1)
        click.echo(f"created user {user.username} ({', '.join(user.roles)})")

    @app.cli.command("seed-demo")
    @click.option("--if-empty", is_flag=True, help="Only seed when there are no users yet.")
    def seed_demo_cmd(if_empty):
        """Load a realistic demo shop (products, warehouses, partners, one user per role)."""
        from backend.seed import DEMO_PASSWORD, seed_demo

        with acting_as(Actor(None, "seed", "cli")):
            done = seed_demo(only_if_empty=if_empty)
        if done:
            click.echo(f"demo data loaded; every demo user's password is {DEMO_PASSWORD}")
        else:
            click.echo("database already has users; demo data not loaded")

    @app.cli.command("check-config")
    def check_config_cmd():
        """Check the production set-up (docs/operations.md checklist); exit 1 when something is wrong."""
        from backend.deployment import check_config

        rep = check_config(app)
        click.echo(f"JXC configuration check (JXC_ENV={app.config.get('ENV_NAME')})")
        for line in rep.ok:
            click.echo(f"  ok       {line}")
        for line in rep.warnings:
            click.echo(f"  warning  {line}")
        for line in rep.problems:
            click.echo(f"  PROBLEM  {line}")
        if rep.problems:
            click.echo(f"{len(rep.problems)} problem(s): not ready for production", err=True)
            sys.exit(1)
        click.echo("ready for production" + (f" ({len(rep.warnings)} warning(s))" if rep.warnings else ""))
