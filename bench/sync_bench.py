"""Sync benchmark: push 10,000 ops in batches of 200 through POST /api/v1/sync/push (ops/s), and time a full
first GET /api/v1/sync/pull (snapshot) over 10,000 products, on SQLite (temp file) and on PostgreSQL
(BENCH_DATABASE_URL, else TEST_DATABASE_URL with "_syncbench" appended to the database name).

    .venv/bin/python bench/sync_bench.py [--ops 10000] [--batch 200] [--products 10000] [--devices 1,4]
                                         [--only sqlite|postgres] [--no-write]

The requests go through the whole Flask app in-process (auth, CSRF, JSON, services, the batch path for runs
of plannable ops — see docs/sync-protocol.md) without a network hop. ``--one-by-one`` turns the batch path
off (SYNC_BATCH_PATH=False) for an A/B in the same run. The op mix is half ``stock.adjust`` (an adjustment document + a ledger move each) and
half ``barcode.assign``. With ``--devices N`` the ops are split over N phones pushing at the same time
(threads). A replay of every batch is timed too (all ``duplicate``). Writes the "## Sync" section of
docs/benchmarks.md (replacing an older one) unless --no-write.
"""
from __future__ import annotations

import argparse
import os
import platform
import re
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _pg_url() -> str | None:
    from backend.dbadmin import side_database

    url = os.environ.get("BENCH_DATABASE_URL")
    if url:
        return url
    url = os.environ.get("TEST_DATABASE_URL")
    return side_database(url, "syncbench") if url else None


def _app(url: str, batch_path: bool = True):
    from backend.dbadmin import fresh_app

    return fresh_app(url, TESTING=False, SYNC_BATCH_PATH=batch_path,
                     SQLALCHEMY_ENGINE_OPTIONS={"pool_size": 10, "max_overflow": 10}
                     if url.startswith("postgresql") else {})


def _login(app, username: str):
    c = app.test_client()
    r = c.post("/api/v1/auth/login", json={"username": username, "password": "password123"})
    assert r.status_code == 200, r.get_json()
    return c, r.get_json()["csrf_token"]


def _seed_products(n: int, with_stock_wh=None, stock_products: int = 0):
    """Bulk-insert n products with one barcode each (fast setup; not what is measured)."""
    from decimal import Decimal

    from sqlalchemy import insert, select

    from backend.context import Actor, acting_as
    from backend.extensions import db
    from backend.models.base import utcnow
    from backend.models.catalog import Barcode, Product
    from backend.services import ledger

    now = utcnow()
    db.session.execute(insert(Product), [
        {"sku": f"B-{i:06d}", "name": f"商品 {i}", "unit": "pcs", "purchase_price": Decimal(10),
         "sale_price": Decimal(15), "tax_rate": Decimal("0.13"), "reorder_point": 0, "reorder_qty": 0,
         "is_active": True, "version": 1, "created_at": now, "updated_at": now} for i in range(n)])
    ids = list(db.session.scalars(select(Product.id).order_by(Product.id)))
    db.session.execute(insert(Barcode), [{"code": f"20{pid:010d}", "product_id": pid, "symbology": "code128",
                                          "quantity": Decimal(1), "kind": "internal"} for pid in ids])
    db.session.commit()
    if with_stock_wh is not None:
        with acting_as(Actor(None, "bench", "cli")):
            ledger.post([ledger.MoveSpec(pid, with_stock_wh, Decimal(1000), "opening", unit_cost=Decimal(10))
                         for pid in ids[:stock_products]])
        db.session.commit()
    return ids


def bench_push(url: str, n_ops: int, batch: int, devices: int, batch_path: bool = True) -> dict:
    from sqlalchemy import func, select

    from backend.context import Actor, acting_as
    from backend.extensions import db
    from backend.models.sync import SyncOp
    from backend.models.warehouses import Warehouse
    from backend.services.stock import verify_ledger
    from backend.services.users import create_user

    app = _app(url, batch_path)
    with app.app_context():
        with acting_as(Actor(None, "bench", "cli")):
            wh = Warehouse(code="WH1", name="主仓库")
            db.session.add(wh)
            db.session.commit()
            for k in range(devices):
                create_user(f"phone{k}", "password123", ["warehouse"])
            db.session.commit()
        wh_id = wh.id
        product_ids = _seed_products(200, with_stock_wh=wh_id, stock_products=200)
    per_device = n_ops // devices
    outboxes = []
    for k in range(devices):
        ops = []
        for i in range(per_device):
            pid = product_ids[(i * 7 + k) % len(product_ids)]
            if i % 2 == 0:
                t, p = "stock.adjust", {"warehouse_id": wh_id, "reason": "found",
                                        "lines": [{"product_id": pid, "quantity": "1"}]}
            else:
                t, p = "barcode.assign", {"product_id": pid, "code": f"SB{k:02d}{i:08d}"}
            ops.append({"op_id": str(uuid.uuid4()), "seq": i + 1, "type": t, "payload": p,
                        "client_time": "2026-11-28T08:00:00+00:00"})
        outboxes.append(ops)
    clients = [_login(app, f"phone{k}") for k in range(devices)]
    errors = []

    def run(k, replay=False):
        c, csrf = clients[k]
        ops = outboxes[k]
        try:
            for i in range(0, len(ops), batch):
                r = c.post("/api/v1/sync/push", json={"device_id": f"bench-{k}", "ops": ops[i:i + batch]},
                           headers={"X-CSRF-Token": csrf})
                body = r.get_json()
                assert r.status_code == 200, body
                want = {"duplicate"} if replay else {"applied"}
                bad = [x for x in body["results"] if x["status"] not in want]
                assert not bad, bad[:3]
        except BaseException as exc:
            errors.append(exc)

    def timed(replay=False):
        threads = [threading.Thread(target=run, args=(k, replay)) for k in range(devices)]
        t0 = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        return time.perf_counter() - t0

    elapsed = timed()
    assert not errors, errors[:2]
    replay = timed(replay=True)
    assert not errors, errors[:2]
    with app.app_context():
        n = db.session.scalar(select(func.count()).select_from(SyncOp))
        assert n == per_device * devices, n
        assert verify_ledger() == []
        db.session.remove()
        db.engine.dispose()
    total = per_device * devices
    return {"ops": total, "seconds": elapsed, "ops_s": total / elapsed, "replay_s": total / replay}


def bench_pull(url: str, n_products: int) -> dict:
    from backend.context import Actor, acting_as
    from backend.extensions import db
    from backend.models.warehouses import Warehouse
    from backend.services.users import create_user

    app = _app(url)
    with app.app_context():
        with acting_as(Actor(None, "bench", "cli")):
            db.session.add(Warehouse(code="WH1", name="主仓库"))
            create_user("puller", "password123", ["warehouse"])
            db.session.commit()
        _seed_products(n_products)
    c, _ = _login(app, "puller")
    out = {}
    for limit in (1000, 5000):
        t0 = time.perf_counter()
        cursor, pages, rows, size = None, 0, 0, 0
        while True:
            r = c.get(f"/api/v1/sync/pull?limit={limit}" + (f"&cursor={cursor}" if cursor else ""))
            assert r.status_code == 200
            body = r.get_json()
            pages, rows, size = pages + 1, rows + len(body["changes"]), size + len(r.data)
            cursor = body["cursor"]
            if not body["has_more"]:
                break
        out[limit] = {"seconds": time.perf_counter() - t0, "pages": pages, "rows": rows, "mb": size / 1e6}
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--ops", type=int, default=10000)
    ap.add_argument("--batch", type=int, default=200)
    ap.add_argument("--products", type=int, default=10000)
    ap.add_argument("--devices", default="1,4")
    ap.add_argument("--only", choices=("sqlite", "postgres"))
    ap.add_argument("--no-write", action="store_true")
    ap.add_argument("--one-by-one", action="store_true", help="also time the one-by-one path (1 device)")
    args = ap.parse_args()
    import logging

    logging.disable(logging.WARNING)
    targets = []
    if args.only != "postgres":
        tmp = tempfile.mkdtemp()
        targets.append(("SQLite (WAL, file)", f"sqlite:///{tmp}/sync_bench.db"))
    if args.only != "sqlite":
        pg = _pg_url()
        if pg:
            targets.append(("PostgreSQL", pg))
        else:
            print("PostgreSQL skipped: set BENCH_DATABASE_URL or TEST_DATABASE_URL")
    devices = [int(x) for x in args.devices.split(",")]
    rows = []
    for name, url in targets:
        for d in devices:
            res = bench_push(url, args.ops, args.batch, d)
            print(f"{name}: push {res['ops']} ops, {d} device(s), batches of {args.batch}: {res['seconds']:.1f} s = "
                  f"{res['ops_s']:.0f} ops/s (replay {res['replay_s']:.0f} ops/s)", flush=True)
            rows.append((name, "push", d, res))
        if args.one_by_one:
            n = min(args.ops, 2000)
            res = bench_push(url, n, args.batch, 1, batch_path=False)
            print(f"{name}: one by one (batch path off), {n} ops: {res['ops_s']:.0f} ops/s "
                  f"(replay {res['replay_s']:.0f} ops/s)", flush=True)
            rows.append((name, "one-by-one", 1, res))
        pull = bench_pull(url, args.products)
        for limit, p in pull.items():
            print(f"{name}: first pull of {args.products} products (+ barcodes), limit {limit}: {p['seconds']:.2f} s, "
                  f"{p['pages']} pages, {p['rows']} rows, {p['mb']:.1f} MB", flush=True)
        rows.append((name, "pull", None, pull))
    if not args.no_write:
        _write(rows, args)


def _write(rows, args) -> None:
    cpu = platform.processor() or platform.machine()
    lines = ["## Sync", "",
             f"`bench/sync_bench.py` on this machine ({os.cpu_count()} CPUs, {cpu}, Python "
             f"{platform.python_version()}). Reproduce:", "",
             "    .venv/bin/python bench/sync_bench.py            # TEST_DATABASE_URL or BENCH_DATABASE_URL for PostgreSQL",
             "",
             f"Push: {args.ops:,} ops in batches of {args.batch} through `POST /api/v1/sync/push` in-process (whole app:",
             "auth, JSON, the batch path: a run of ops planned in memory by the services and written with",
             "multi-row statements, see docs/sync-protocol.md). Mix: half `stock.adjust`",
             "(adjustment document + ledger move), half `barcode.assign`. *N devices* = the ops split over N phones",
             "pushing at the same time. *Replay* = the same batches again (every op answered `duplicate`).",
             "*one by one* = the same with the batch path off (`SYNC_BATCH_PATH=False`: a savepoint and the",
             "ORM path per op), at most 2,000 ops. Target ≥ 1,000 ops/s on PostgreSQL: see *Sync: analysis* below.",
             "",
             "| database | devices | ops | time | ops/s | replay ops/s |", "|---|---:|---:|---:|---:|---:|"]
    for name, kind, d, res in rows:
        if kind in ("push", "one-by-one"):
            label = f"{d}" if kind == "push" else f"{d} (one by one)"
            lines.append(f"| {name} | {label} | {res['ops']:,} | {res['seconds']:.1f} s | **{res['ops_s']:,.0f}** | "
                         f"{res['replay_s']:,.0f} |")
    lines += ["", f"First pull (no cursor: full snapshot) of {args.products:,} products and their {args.products:,} "
              "barcodes, following `has_more` to the end:", "",
              "| database | page limit | pages | rows | JSON | time |", "|---|---:|---:|---:|---:|---:|"]
    for name, kind, _d, res in rows:
        if kind == "pull":
            for limit, p in res.items():
                lines.append(f"| {name} | {limit} | {p['pages']} | {p['rows']:,} | {p['mb']:.1f} MB | "
                             f"**{p['seconds']:.2f} s** |")
    lines.append("")
    path = ROOT / "docs" / "benchmarks.md"
    text = path.read_text() if path.exists() else "# Benchmarks\n"
    section = "\n".join(lines)
    if re.search(r"^## Sync\n", text, re.MULTILINE):
        text = re.sub(r"^## Sync\n.*?(?=^## |\Z)", section + "\n", text, flags=re.MULTILINE | re.DOTALL)
    else:
        text = text.rstrip("\n") + "\n\n" + section
    path.write_text(text)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
