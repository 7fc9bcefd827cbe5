"""Inventory commands: check-ledger."""
from __future__ import annotations

import sys

import click


def register(app) -> None:
    @app.cli.command("check-ledger")
    @click.option("--quiet", is_flag=True, help="Only print problems.")
    def check_ledger(quiet):
        """Verify on-hand = sum of moves and value = sum of move values (≈ quantity × average) for every level.

        Exits 1 on any mismatch.
        """
        from sqlalchemy import func, select

        from backend.extensions import db
        from backend.models.ledger import StockLevel
        from backend.services.stock import verify_ledger

        bad = verify_ledger()
        for b in bad:
            click.echo(f"MISMATCH product {b['product_id']} warehouse {b['warehouse_id']}: "
                       + "; ".join(b["problems"]), err=True)
        if bad:
            click.echo(f"ledger check FAILED: {len(bad)} level(s) inconsistent", err=True)
            sys.exit(1)
        if not quiet:
            n = db.session.scalar(select(func.count()).select_from(StockLevel))
            click.echo(f"ledger OK: {n} stock level(s) match their moves")
