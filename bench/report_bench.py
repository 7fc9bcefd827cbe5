"""Reports benchmark: time the sales and inventory reports over a generated dataset (default 10,000 products,
200,000 stock moves over a year), on SQLite (temp file) and PostgreSQL (BENCH_DATABASE_URL or
TEST_DATABASE_URL; the database ``<name>_repbench`` is created).

    .venv/bin/python bench/report_bench.py [--products 10000] [--moves 200000] [--repeat 3] [--no-write] [--sqlite-only]

The data is bulk-inserted (not posted through ``ledger.post``: that is the ledger benchmark): sales orders with
lines, shipments with lines and their ``shipment`` moves, sales returns with ``return_in`` moves, and
``receipt`` moves for the rest. Writes the "## Reports" section of docs/benchmarks.md (replacing an older one).
"""
from __future__ import annotations

import argparse
import os
import platform
import random
import re
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

LINES_PER_ORDER = 4


def _pg_url() -> str | None:
    from backend.dbadmin import side_database

    url = os.environ.get("BENCH_DATABASE_URL") or os.environ.get("TEST_DATABASE_URL")
    return side_database(url, "repbench") if url else None


def _chunks(rows, n=5000):
    for i in range(0, len(rows), n):
        yield rows[i:i + n]


def generate(n_products: int, n_moves: int, seed: int = 7) -> dict:
    """Insert the dataset into the current app's database; returns counts."""
    from sqlalchemy import insert

    from backend.extensions import db
    from backend.models.base import utcnow
    from backend.models.catalog import Product
    from backend.models.ledger import StockLevel, StockMove
    from backend.models.partners import Customer
    from backend.models.sales import (
        SalesOrder,
        SalesOrderLine,
        SalesReturn,
        SalesReturnLine,
        Shipment,
        ShipmentLine,
    )
    from backend.models.warehouses import Warehouse

    rnd = random.Random(seed)
    now = utcnow()
    stamp = {"version": 1, "created_at": now, "updated_at": now}

    def put(model, rows):
        for chunk in _chunks(rows):
            db.session.execute(insert(model), chunk)

    put(Warehouse, [{"id": i, "code": f"W{i}", "name": f"仓库 {i}", "is_active": True, **stamp} for i in (1, 2, 3)])
    put(Customer, [{"id": i, "code": f"C{i:04d}", "name": f"客户 {i}", "payment_terms_days": 30, "is_active": True,
                    "credit_limit": 0, **stamp} for i in range(1, 201)])
    cost = {p: Decimal(rnd.randint(100, 5000)) / 100 for p in range(1, n_products + 1)}
    put(Product, [{"id": p, "sku": f"R-{p:06d}", "name": f"报表商品 {p}", "unit": "pcs", "category": f"类别{p % 50}",
                   "purchase_price": cost[p], "sale_price": cost[p] * Decimal("1.4"), "tax_rate": Decimal("0.13"),
                   "reorder_point": 0, "reorder_qty": 0, "is_active": True, **stamp} for p in cost])
    # 40 % of the moves are sales: orders of 4 lines, each shipped; 1 in 40 shipment lines partly returned
    n_ship = int(n_moves * 0.4) // LINES_PER_ORDER * LINES_PER_ORDER
    n_orders = n_ship // LINES_PER_ORDER
    n_ret = n_ship // 40
    n_rec = n_moves - n_ship - n_ret
    start = now - timedelta(days=365)
    level: dict = {}
    moves, so, sol, dn, dnl, sr, srl = [], [], [], [], [], [], []

    def move(pid, wid, q, unit_cost, kind, doc_type, doc_id, line_id, at):
        lv = level.setdefault((pid, wid), [Decimal(0), Decimal(0)])
        value = (q * unit_cost).quantize(Decimal("0.0001"))
        lv[0] += q
        lv[1] += value
        moves.append({"product_id": pid, "warehouse_id": wid, "quantity": q, "unit_cost": unit_cost, "value": value,
                      "balance_after": lv[0], "kind": kind, "doc_type": doc_type, "doc_id": doc_id,
                      "doc_line_id": line_id, "created_at": at})

    # receipts first (a year ago … now), so shipments have stock; plenty of quantity
    for i in range(n_rec):
        pid, wid = rnd.randint(1, n_products), rnd.randint(1, 3)
        at = start + timedelta(seconds=rnd.randint(0, 365 * 86400 // 2))
        move(pid, wid, Decimal(rnd.randint(20, 200)), cost[pid], "receipt", "goods_receipt", i + 1, i + 1, at)
    line_id = 0
    for o in range(1, n_orders + 1):
        wid, cid = rnd.randint(1, 3), rnd.randint(1, 200)
        at = start + timedelta(seconds=rnd.randint(365 * 86400 // 2, 365 * 86400 - 60))
        so.append({"id": o, "number": f"SO-B-{o:06d}", "customer_id": cid, "warehouse_id": wid, "status": "shipped",
                   "approval_level": 0, "subtotal": 0, "discount_total": 0, "net_total": 0, "tax_total": 0, "total": 0,
                   **stamp})
        dn.append({"id": o, "number": f"DN-B-{o:06d}", "order_id": o, "customer_id": cid, "warehouse_id": wid,
                   "shipped_at": at, "cost_total": 0, "created_at": now, "updated_at": now})
        for n in range(LINES_PER_ORDER):
            line_id += 1
            pid, q = rnd.randint(1, n_products), Decimal(rnd.randint(1, 5))
            price = (cost[pid] * Decimal("1.4")).quantize(Decimal("0.01"))
            sol.append({"id": line_id, "order_id": o, "line_no": n + 1, "product_id": pid, "quantity": q,
                        "unit_price": price, "discount_rate": Decimal("0.05") if n == 0 else 0,
                        "tax_rate": Decimal("0.13"), "gross_amount": 0, "discount_amount": 0, "net_amount": 0,
                        "tax_amount": 0, "total_amount": 0, "shipped_qty": q, "invoiced_qty": 0, "returned_qty": 0})
            dnl.append({"id": line_id, "shipment_id": o, "order_line_id": line_id, "product_id": pid, "quantity": q,
                        "unit_cost": cost[pid], "cost": q * cost[pid], "returned_qty": 0})
            move(pid, wid, -q, cost[pid], "shipment", "shipment", o, line_id, at)
            if line_id % 40 == 0 and len(srl) < n_ret:
                r = len(sr) + 1
                sr.append({"id": r, "number": f"SR-B-{r:06d}", "order_id": o, "customer_id": cid, "warehouse_id": wid,
                           "returned_at": at + timedelta(days=1), "cost_total": 0, "created_at": now,
                           "updated_at": now})
                srl.append({"id": r, "return_id": r, "shipment_line_id": line_id, "order_line_id": line_id,
                            "product_id": pid, "quantity": Decimal(1), "unit_cost": cost[pid], "cost": cost[pid]})
                move(pid, wid, Decimal(1), cost[pid], "return_in", "sales_return", r, r, at + timedelta(days=1))
    for model, rows in ((SalesOrder, so), (SalesOrderLine, sol), (Shipment, dn), (ShipmentLine, dnl),
                        (SalesReturn, sr), (SalesReturnLine, srl), (StockMove, moves)):
        put(model, rows)
    put(StockLevel, [{"product_id": p, "warehouse_id": w, "quantity": q, "value": v,
                      "avg_cost": (v / q).quantize(Decimal("0.0001")) if q > 0 else 0, "updated_at": now}
                     for (p, w), (q, v) in level.items()])
    db.session.commit()
    if db.engine.dialect.name == "postgresql":
        from sqlalchemy import text

        db.session.execute(text("ANALYZE"))
        db.session.commit()
    return {"moves": len(moves), "orders": n_orders, "levels": len(level)}


CASES = [
    ("sales", {"group_by": "day"}), ("sales", {"group_by": "month"}), ("sales", {"group_by": "product"}),
    ("sales", {"group_by": "customer"}), ("sales", {"group_by": "category"}),
    ("sales", {"group_by": "product", "format": "xlsx"}),
    ("inventory", {"group_by": "product"}), ("inventory", {"group_by": "category"}),
    ("inventory", {"view": "slow_movers", "slow_days": 90}), ("inventory", {"group_by": "product", "format": "csv"}),
]


def run(url: str, n_products: int, n_moves: int, repeat: int) -> dict:
    from backend.dbadmin import fresh_app
    from backend.extensions import db
    from backend.services import reports

    app = fresh_app(url)
    out = {"db": "PostgreSQL" if url.startswith("postgresql") else "SQLite (file, WAL)", "cases": []}
    with app.app_context():
        t0 = time.perf_counter()
        out.update(generate(n_products, n_moves))
        out["load_s"] = round(time.perf_counter() - t0, 1)
        base = {"tz": "Asia/Shanghai"}
        from datetime import date

        base["date_to"] = date.today()
        base["date_from"] = base["date_to"] - timedelta(days=364)
        for name, extra in CASES:
            times, rows = [], 0
            for _ in range(repeat):
                db.session.remove()
                t = time.perf_counter()
                res = reports.render(name, {**base, **extra}, None)
                times.append((time.perf_counter() - t) * 1000)
                rows = len(res["rows"]) if isinstance(res, dict) else len(res[0])
            label = f"{name} " + " ".join(f"{k}={v}" for k, v in extra.items())
            out["cases"].append((label, rows, round(statistics.median(times)), round(min(times))))
            print(out["db"], label, out["cases"][-1], flush=True)
        db.session.remove()
        db.engine.dispose()
    return out


def write_markdown(results: list[dict], args) -> None:
    path = ROOT / "docs" / "benchmarks.md"
    lines = ["## Reports", "",
             (f"`bench/report_bench.py` — {args.products:,} products × 3 warehouses, {results[0]['moves']:,} stock "
             f"moves over a year ({results[0]['orders']:,} sales orders of {LINES_PER_ORDER} lines, shipped; 1 line "
             "in 40 partly returned; the rest receipts), bulk-inserted. Each report over 365 days, tz "
             f"Asia/Shanghai, called through `services.reports.render` (SQL + rounding + export, no HTTP), median "
             f"(min) of {args.repeat} runs. The `rows` of an export is its size in bytes."),
             (f"Machine: {platform.machine()}, {os.cpu_count()} CPU, Python {platform.python_version()}, run "
              f"{time.strftime('%Y-%m-%d')}, load average {os.getloadavg()[0]:.1f} at the end."), "",
             "| report | " + " | ".join(f"{r['db']} ms" for r in results) + " | rows |",
             "|---|" + "---:|" * len(results) + "---:|"]
    for i, (label, rows, _, _) in enumerate(results[0]["cases"]):
        cells = " | ".join(f"{r['cases'][i][2]} ({r['cases'][i][3]})" for r in results)
        lines.append(f"| {label} | {cells} | {rows:,} |")
    lines.append("")
    lines.append("Data load (bulk insert + ANALYZE): " + ", ".join(f"{r['db']} {r['load_s']} s" for r in results) + ".")
    section = "\n".join(lines) + "\n"
    text = path.read_text() if path.exists() else "# Benchmarks\n"
    pat = re.compile(r"^## Reports\n.*?(?=^## |\Z)", re.DOTALL | re.MULTILINE)
    text = pat.sub(section + "\n", text) if pat.search(text) else text.rstrip("\n") + "\n\n" + section
    path.write_text(text)
    print(section)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--products", type=int, default=10_000)
    ap.add_argument("--moves", type=int, default=200_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--no-write", action="store_true")
    ap.add_argument("--sqlite-only", action="store_true")
    args = ap.parse_args()
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        results.append(run(f"sqlite:///{tmp}/reports.db", args.products, args.moves, args.repeat))
    pg = None if args.sqlite_only else _pg_url()
    if pg:
        results.append(run(pg, args.products, args.moves, args.repeat))
    if not args.no_write:
        write_markdown(results, args)


if __name__ == "__main__":
    main()
