"""Ledger benchmark: post 100,000 moves through ``ledger.post`` (moves/s) and time GET /api/v1/stock over
10,000 products, on SQLite (temp file) and on PostgreSQL (BENCH_DATABASE_URL or TEST_DATABASE_URL).

    .venv/bin/python bench/ledger_bench.py [--moves 100000] [--products 10000] [--batch 10] [--no-write]

Writes the figures into the "## Ledger" section of docs/benchmarks.md (replacing an older one).
"""
from __future__ import annotations

import argparse
import os
import platform
import re
import statistics
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _pg_url() -> str | None:
    from backend.dbadmin import side_database

    url = os.environ.get("BENCH_DATABASE_URL") or os.environ.get("TEST_DATABASE_URL")
    return side_database(url, "bench") if url else None


def run(url: str, n_moves: int, n_products: int, batch: int) -> dict:
    from sqlalchemy import func, insert, select

    from backend.context import Actor, acting_as
    from backend.dbadmin import fresh_app
    from backend.extensions import db
    from backend.models.base import utcnow
    from backend.models.catalog import Product
    from backend.models.ledger import StockMove
    from backend.models.warehouses import Warehouse
    from backend.services import ledger
    from backend.services.ledger import MoveSpec
    from backend.services.stock import verify_ledger
    from backend.services.users import create_token, create_user

    app = fresh_app(url)
    out = {"db": db_name(url)}
    with app.app_context():
        now = utcnow()
        db.session.execute(insert(Warehouse), [{"code": f"W{i}", "name": f"W{i}", "is_active": True, "version": 1,
                                                "created_at": now, "updated_at": now} for i in (1, 2)])
        db.session.execute(insert(Product), [
            {"sku": f"B-{i:06d}", "name": f"Bench product {i}", "unit": "pcs", "category": f"cat{i % 20}",
             "purchase_price": Decimal(3), "sale_price": Decimal(5), "tax_rate": Decimal("0.13"),
             "reorder_point": Decimal(i % 7), "reorder_qty": Decimal(10), "is_active": True, "version": 1,
             "created_at": now, "updated_at": now} for i in range(n_products)])
        db.session.commit()
        pids = list(db.session.scalars(select(Product.id).order_by(Product.id)))
        wids = list(db.session.scalars(select(Warehouse.id).order_by(Warehouse.id)))
        with acting_as(Actor(None, "bench", "cli")):
            user = create_user("bench", "password123", ["admin"])
            token = create_token(user, "bench")[1]
        receipts = int(n_moves * 0.6)

        def pair(i):
            return pids[i % len(pids)], wids[(i // len(pids)) % 2]

        def spec(i):
            if i < receipts:
                return MoveSpec(*pair(i), Decimal(5), "receipt", unit_cost=Decimal(2 + i % 5))
            return MoveSpec(*pair(i - receipts), Decimal(-1), "shipment")  # a pair that received 5

        t0 = time.perf_counter()
        with acting_as(Actor(user.id, "bench", "cli")):
            for start in range(0, n_moves, batch):
                ledger.post([spec(i) for i in range(start, min(start + batch, n_moves))])
        dt = time.perf_counter() - t0
        out.update(moves=n_moves, batch=batch, seconds=round(dt, 1), moves_per_s=round(n_moves / dt))
        assert db.session.scalar(select(func.count()).select_from(StockMove)) == n_moves
        t0 = time.perf_counter()
        assert verify_ledger() == []
        out["check_ledger_s"] = round(time.perf_counter() - t0, 2)

        client = app.test_client()
        hdr = {"Authorization": f"Bearer {token}"}

        def timed(path, runs=5):
            times = []
            for _ in range(runs):
                t = time.perf_counter()
                r = client.get(path, headers=hdr)
                times.append(time.perf_counter() - t)
                assert r.status_code == 200, r.get_json()
            return round(statistics.median(times) * 1000), r.get_json()

        out["stock_50_ms"], body = timed("/api/v1/stock?per_page=50")
        out["stock_rows"] = body["total"]
        out["stock_500_ms"], _ = timed("/api/v1/stock?per_page=500")
        out["stock_last_page_ms"], _ = timed(f"/api/v1/stock?per_page=50&page={body['total'] // 50}")
        out["stock_below_rp_ms"], _ = timed("/api/v1/stock?below_reorder_point=true&per_page=50")
        out["low_stock_ms"], _ = timed("/api/v1/alerts/low-stock?per_page=50")
        db.session.remove()
        db.engine.dispose()
    return out


NOTE = ('Where the time goes: per move the ORM path costs ~4 statements (ensure level, lock, guarded update, '
        'insert) plus one commit per batch; throughput is bound by Python/SQLAlchemy overhead and, on PostgreSQL, '
        'by round trips and the commit fsync. The lock query loads the level row only (no eager load of product, '
        'barcodes, warehouse, locations) and the level is not written twice: 199 → 301 moves/s on PostgreSQL in an '
        'A/B run of 5,000 moves; the earlier full run (85 moves/s PostgreSQL, 202 SQLite) had both costs and '
        'load from other suites. Room left: a bulk path (one `INSERT … SELECT` of moves and one '
        '`UPDATE … FROM` of levels per batch) for imports.')


def db_name(url: str) -> str:
    return "PostgreSQL" if url.startswith("postgresql") else "SQLite (file, WAL)"


def write_markdown(results: list[dict], args) -> None:
    path = ROOT / "docs" / "benchmarks.md"
    lines = ["## Ledger", "",
             (f"`bench/ledger_bench.py` — {args.moves:,} moves posted through `ledger.post` in batches of "
             f"{args.batch} (one transaction per batch, like a {args.batch}-line document: ensure level, "
             f"`SELECT … FOR UPDATE`, guarded `UPDATE`, insert move), over {args.products:,} products × 2 "
             "warehouses (60 % receipts, 40 % issues); then `GET /api/v1/stock` (median of 5, Flask test "
             "client, bearer token) with every (product, warehouse) stocked."),
             (f"Machine: {platform.machine()}, {os.cpu_count()} CPU, Python {platform.python_version()}, "
             f"run {time.strftime('%Y-%m-%d')}, load average {os.getloadavg()[0]:.1f} at the end."), "",
             ("| database | moves | time | moves/s | check-ledger | stock rows | GET /stock 50/page | 500/page | "
              "last page | below reorder point | low-stock alerts |"),
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in results:
        lines.append(f"| {r['db']} | {r['moves']:,} | {r['seconds']} s | {r['moves_per_s']:,} | "
                     f"{r['check_ledger_s']} s | {r['stock_rows']:,} | {r['stock_50_ms']} ms | "
                     f"{r['stock_500_ms']} ms | {r['stock_last_page_ms']} ms | {r['stock_below_rp_ms']} ms | "
                     f"{r['low_stock_ms']} ms |")
    lines += ["", NOTE]
    section = "\n".join(lines) + "\n"
    text = path.read_text() if path.exists() else "# Benchmarks\n"
    pat = re.compile(r"^## Ledger\n.*?(?=^## |\Z)", re.DOTALL | re.MULTILINE)
    text = pat.sub(section + "\n", text) if pat.search(text) else text.rstrip("\n") + "\n\n" + section
    path.parent.mkdir(exist_ok=True)
    path.write_text(text)
    print(section)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--moves", type=int, default=100_000)
    ap.add_argument("--products", type=int, default=10_000)
    ap.add_argument("--batch", type=int, default=10)
    ap.add_argument("--no-write", action="store_true")
    ap.add_argument("--only", choices=("sqlite", "postgres"))
    args = ap.parse_args()
    urls = []
    if args.only != "postgres":
        urls.append("sqlite:///" + os.path.join(tempfile.mkdtemp(prefix="jxc_bench_"), "bench.db"))
    pg = _pg_url()
    if pg and args.only != "sqlite":
        urls.append(pg)
    results = []
    for url in urls:
        r = run(url, args.moves, args.products, args.batch)
        print(r, flush=True)
        results.append(r)
    if not args.no_write:
        write_markdown(results, args)


if __name__ == "__main__":
    main()
