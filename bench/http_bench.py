"""HTTP benchmark (issue 15): JXC's hot endpoints against a bare Flask + Flask-SQLAlchemy app
(bench/bare_app.py) on the same data, the same venv and the same database, side by side in one run.

    .venv/bin/python bench/http_bench.py [--db sqlite|postgres|both] [--duration 5] [--rounds 3]
                                         [--before DIR] [--seed-only] [--no-seed]

Data: 10,000 products with one EAN-13 each, 2 warehouses with 20 bins each, 100,000 receipt moves (levels
consistent with them), a warehouse user (scope: warehouse 1) and their bearer token. SQLite: a file under
$TMPDIR/jxc-http-bench; PostgreSQL: ``<name>_httpbench`` next to BENCH_DATABASE_URL or TEST_DATABASE_URL.

Servers: gunicorn ``-w 2 -k sync`` each (bare; JXC from this tree; with ``--before DIR`` also JXC from an
older source tree, e.g. ``git archive <commit> | tar -x -C DIR``). Load: wrk ``-t2 -c8`` (Debian's wrk),
random codes / products per request. Rounds are interleaved (each round runs every pair on every server);
the figure is the median of the rounds; ratio = JXC / bare. Prints a markdown table and the load average.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
VENV_BIN = ROOT / ".venv" / "bin"
N_PRODUCTS, N_MOVES, N_BINS = 10_000, 100_000, 20
WORK = Path(tempfile.gettempdir()) / "jxc-http-bench"

# (label, bare method+path, JXC method+path); {code} / {pid} are drawn per request
PAIRS = [
    ("`GET /hello` → `GET /api/health`", ("GET", "/hello"), ("GET", "/api/health")),
    ("lookup by code → `GET /api/v1/barcodes/{code}`", ("GET", "/lookup/{code}"), ("GET", "/api/v1/barcodes/{code}")),
    ("on-hand by product → `GET /api/v1/stock?product_id=`", ("GET", "/onhand/{pid}"),
     ("GET", "/api/v1/stock?product_id={pid}")),
    ("insert one row → `POST /api/v1/adjustments` (one +1 line)", ("POST", "/insert"), ("POST", "/api/v1/adjustments")),
]
BARE_BODY = '{"note":"bench"}'
JXC_BODY = '{"warehouse_id":1,"reason":"found","lines":[{"product_id":PID,"quantity":"1"}]}'


def ean13(n: int) -> str:
    body = f"69{n:010d}"
    s = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(body))
    return body + str((10 - s % 10) % 10)


def _chunks(rows, n=5000):
    for i in range(0, len(rows), n):
        yield rows[i:i + n]


def seed(url: str) -> str:
    """Build the schema and the data on ``url``; returns the bearer token of the warehouse user."""
    from sqlalchemy import insert, text

    from backend.context import Actor, acting_as
    from backend.dbadmin import fresh_app
    from backend.extensions import db
    from backend.models.base import utcnow
    from backend.models.catalog import Barcode, Product
    from backend.models.ledger import StockLevel, StockMove
    from backend.models.warehouses import Location, Warehouse
    from backend.services.users import create_token, create_user

    app = fresh_app(url)
    rnd = random.Random(15)
    now = utcnow()
    stamp = {"version": 1, "created_at": now, "updated_at": now}
    with app.app_context():
        def put(model, rows):
            for chunk in _chunks(rows):
                db.session.execute(insert(model), chunk)

        put(Warehouse, [{"id": w, "code": f"W{w}", "name": f"仓库 {w}", "is_active": True, **stamp} for w in (1, 2)])
        put(Location, [{"warehouse_id": w, "code": f"B{b:02d}", "name": f"Bin {b}", "is_active": True, **stamp}
                       for w in (1, 2) for b in range(N_BINS)])
        cost = {p: Decimal(rnd.randint(100, 5000)) / 100 for p in range(1, N_PRODUCTS + 1)}
        put(Product, [{"id": p, "sku": f"B-{p:06d}", "name": f"商品 {p}", "unit": "pcs", "category": f"类别{p % 50}",
                       "purchase_price": c, "sale_price": c * Decimal("1.4"), "tax_rate": Decimal("0.13"),
                       "reorder_point": 0, "reorder_qty": 0, "is_active": True, **stamp} for p, c in cost.items()])
        put(Barcode, [{"code": ean13(p), "product_id": p, "symbology": "ean13", "quantity": 1, "kind": "manufacturer"}
                      for p in cost])
        levels: dict[tuple[int, int], list[Decimal]] = {}
        moves = []
        for _ in range(N_MOVES):
            p, w, q = rnd.randint(1, N_PRODUCTS), rnd.randint(1, 2), Decimal(rnd.randint(1, 20))
            lv = levels.setdefault((p, w), [Decimal(0), Decimal(0)])
            lv[0] += q
            lv[1] += q * cost[p]
            moves.append({"product_id": p, "warehouse_id": w, "quantity": q, "unit_cost": cost[p], "value": q * cost[p],
                          "balance_after": lv[0], "kind": "receipt", "created_at": now})
        put(StockMove, moves)
        put(StockLevel, [{"product_id": p, "warehouse_id": w, "quantity": q, "value": v,
                          "avg_cost": (v / q).quantize(Decimal("0.0001")), "updated_at": now}
                         for (p, w), (q, v) in levels.items()])
        db.session.execute(text("CREATE TABLE bench_rows (id INTEGER PRIMARY KEY "
                                + ("GENERATED BY DEFAULT AS IDENTITY" if db.engine.dialect.name == "postgresql" else "")
                                + ", note VARCHAR(100), created_at TIMESTAMP)"))
        db.session.commit()
        with acting_as(Actor(None, "bench", "cli")):
            user = create_user("bench_phone", "bench-password-1", ["warehouse"], warehouse_ids=[1])
            _, secret = create_token(user, "bench")
        db.session.commit()
        if db.engine.dialect.name == "postgresql":
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text("VACUUM ANALYZE"))
        db.engine.dispose()
    return secret


# ---------------------------------------------------------------- servers and load

def _lua(method: str, path: str, body: str | None, token: str | None, out: Path) -> Path:
    codes = ",".join(f'"{ean13(p)}"' for p in range(1, N_PRODUCTS + 1, 7))
    hdr = 'wrk.headers["Content-Type"] = "application/json"\n'
    if token:
        hdr += f'wrk.headers["Authorization"] = "Bearer {token}"\n'
    lua = (f"local codes = {{{codes}}}\n{hdr}"
           "request = function()\n"
           f"  local pid = math.random({N_PRODUCTS})\n"
           f"  local path = string.gsub(string.gsub({json.dumps(path)}, '{{code}}', codes[math.random(#codes)]),"
           " '{pid}', pid)\n")
    if body:
        lua += f"  local body = string.gsub({json.dumps(body)}, 'PID', pid)\n"
        lua += f'  return wrk.format("{method}", path, nil, body)\n'
    else:
        lua += f'  return wrk.format("{method}", path)\n'
    lua += "end\n"
    out.write_text(lua)
    return out


def _start(name: str, app: str, chdir: Path, port: int, url: str, workers: tuple[str, ...] = ("-w", "2", "-k", "sync"),
           storage: str = "memory://") -> subprocess.Popen:
    env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": "bench-secret", "JXC_ENV": "development",
           "LOG_LEVEL": "WARNING", "RATELIMIT_STORAGE_URI": storage}
    log = open(WORK / f"{name}.log", "w")  # noqa: SIM115 (kept open for the server's life)
    proc = subprocess.Popen([str(VENV_BIN / "gunicorn"), *workers, "-b", f"127.0.0.1:{port}",
                             "--chdir", str(chdir), app], env=env, stdout=log, stderr=log)
    probe = f"http://127.0.0.1:{port}" + ("/hello" if name == "bare" else "/api/health")
    for _ in range(150):
        try:
            urllib.request.urlopen(probe, timeout=1).read()
            return proc
        except OSError:
            time.sleep(0.2)
    proc.terminate()
    raise RuntimeError(f"{name} did not start: see {WORK / (name + '.log')}")


def _stop(procs: list[subprocess.Popen]) -> None:
    for p in procs:
        p.send_signal(signal.SIGINT)  # gunicorn: quick shutdown (TERM waits for keep-alive threads)
    for p in procs:
        try:
            p.wait(timeout=20)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3}


def wrk(port: int, script: Path, seconds: float) -> dict:
    out = subprocess.run(["wrk", "-t2", "-c8", f"-d{round(seconds)}s", "--latency", "-s", str(script),
                          f"http://127.0.0.1:{port}"], capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)\b", out)
    errs = re.search(r"Socket errors: (.*)", out)
    return {"rps": rps, "non2xx": int(bad.group(1)) if bad else 0, "errors": errs.group(1) if errs else "",
            "p99_ms": float(p99.group(1)) * _UNITS[p99.group(2)] if p99 else None}


def run(db_name: str, url: str, token: str, seconds: float, rounds: int, before: Path | None,
        pairs: list[int]) -> dict:
    servers = {"bare": ("bare_app:create()", ROOT / "bench", 18101)}
    if before is not None:
        servers["before"] = ("backend:create_app()", before, 18103)
    servers["jxc"] = ("backend:create_app()", ROOT, 18102)
    procs = {}
    try:
        for name, (app, chdir, port) in servers.items():
            procs[name] = _start(name, app, chdir, port, url)
        scripts = {}
        for i, (_, bare, jxc) in enumerate(PAIRS):
            if i not in pairs:
                continue
            scripts[(i, "bare")] = _lua(*bare, BARE_BODY if bare[0] == "POST" else None, None, WORK / f"p{i}_bare.lua")
            # the health check is the framework baseline: anonymous (a token would add the auth query)
            s = _lua(*jxc, JXC_BODY if jxc[0] == "POST" else None, token if i else None, WORK / f"p{i}_jxc.lua")
            scripts[(i, "jxc")] = scripts[(i, "before")] = s
        for name, (_, _, port) in servers.items():  # warm up: imports, pools, first requests
            for i in pairs:
                wrk(port, scripts[(i, name)], 1)
        res: dict = {(i, n): [] for i in pairs for n in servers}
        for r in range(rounds):
            for i in pairs:
                for name, (_, _, port) in servers.items():
                    res[(i, name)].append(wrk(port, scripts[(i, name)], seconds))
            print(f"  {db_name}: round {r + 1}/{rounds} done, load {os.getloadavg()[0]:.2f}", file=sys.stderr)
    finally:
        _stop(list(procs.values()))
    return {"servers": list(servers), "res": res, "pairs": pairs}


def serving(url: str, token: str, configs: list[str], seconds: float, rounds: int, src: Path) -> None:
    """./run.sh's serving (SQLite, rate limits in the database) under gunicorn worker/thread configurations:
    writes and resolves, wrk -t2 -c8, req/s and p99 (median of interleaved rounds)."""
    write = _lua(*PAIRS[3][2], JXC_BODY, token, WORK / "serve_write.lua")
    read = _lua(*PAIRS[1][2], None, token, WORK / "serve_read.lua")
    res: dict = {}
    for r in range(rounds):
        for i, cfg in enumerate(configs):
            storage = "db://" if (src / "backend/auth/throttle_storage.py").exists() else "memory://"
            proc = _start(f"serve{i}", "backend:create_app()", src, 18110 + i, url, tuple(cfg.split()), storage)
            try:
                wrk(18110 + i, write, 1)
                wrk(18110 + i, read, 1)
                for kind, script in (("write", write), ("resolve", read)):
                    res.setdefault((cfg, kind), []).append(wrk(18110 + i, script, seconds))
            finally:
                _stop([proc])
        print(f"  serving: round {r + 1}/{rounds}, load {os.getloadavg()[0]:.2f}", file=sys.stderr)
    print(f"| gunicorn | kind | req/s | p99 ms | non-2xx |  (load {os.getloadavg()})\n|---|---|---|---|---|")
    for (cfg, kind), runs in res.items():
        print(f"| `{cfg}` | {kind} | {statistics.median(x['rps'] for x in runs):,.0f} | "
              f"{statistics.median(x['p99_ms'] or 0 for x in runs):.0f} ({[round(x['p99_ms'] or 0) for x in runs]}) | "
              f"{sum(x['non2xx'] for x in runs)} |")


def summarise(db_name: str, out: dict) -> list[dict]:
    rows = []
    for i, (label, _, _) in enumerate(PAIRS):
        if i not in out["pairs"]:
            continue
        row = {"db": db_name, "pair": label}
        for name in out["servers"]:
            runs = out["res"][(i, name)]
            row[name] = statistics.median(x["rps"] for x in runs)
            row[name + "_runs"] = [round(x["rps"]) for x in runs]
            row[name + "_non2xx"] = sum(x["non2xx"] for x in runs)
            row[name + "_p99"] = statistics.median(x["p99_ms"] or 0 for x in runs)
        for name in out["servers"]:
            if name != "bare":
                row[name + "_ratio"] = row[name] / row["bare"]
        rows.append(row)
    return rows


def markdown(rows: list[dict]) -> str:
    has_before = "before" in rows[0]
    head = "| database | pair (bare → JXC) | bare req/s |" + (" JXC before req/s | ratio |" if has_before else "")
    head += " JXC req/s | ratio | JXC p99 ms | JXC non-2xx |"
    lines = [head, "|" + "---|" * (head.count("|") - 1)]
    for r in rows:
        cells = [r["db"], r["pair"], f"{r['bare']:,.0f}"]
        if has_before:
            cells += [f"{r['before']:,.0f}", f"{r['before_ratio']:.2f}"]
        cells += [f"{r['jxc']:,.0f}", f"**{r['jxc_ratio']:.2f}**", f"{r['jxc_p99']:.1f}", str(r["jxc_non2xx"])]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _pg_url() -> str | None:
    from backend.dbadmin import side_database

    url = os.environ.get("BENCH_DATABASE_URL") or os.environ.get("TEST_DATABASE_URL")
    return side_database(url, "httpbench") if url else None


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--db", choices=("sqlite", "postgres", "both"), default="both")
    ap.add_argument("--duration", type=int, default=5)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--before", type=Path, help="source tree of an older JXC to measure in the same run")
    ap.add_argument("--pairs", type=int, nargs="+", default=list(range(len(PAIRS))), help="which pairs (0-3)")
    ap.add_argument("--seed-only", action="store_true")
    ap.add_argument("--no-seed", action="store_true", help="reuse the data of the last seeding")
    ap.add_argument("--serving", nargs="+", metavar="ARGS",
                    help='instead of the pairs: JXC alone on SQLite under these gunicorn arguments, e.g. '
                         '"-w 1 --threads 8" "-w 2 --threads 4" (./run.sh\'s serving)')
    ap.add_argument("--src", type=Path, default=ROOT, help="with --serving: the JXC source tree")
    a = ap.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is needed (Debian: apt-get install wrk)")
    WORK.mkdir(parents=True, exist_ok=True)
    dbs = []
    if a.db in ("sqlite", "both"):
        dbs.append(("SQLite", "sqlite:///" + str(WORK / "jxc.db")))
    if a.db in ("postgres", "both"):
        pg = _pg_url()
        if pg is None:
            sys.exit("PostgreSQL: set BENCH_DATABASE_URL or TEST_DATABASE_URL")
        dbs.append(("PostgreSQL", pg))
    all_rows = []
    for name, url in dbs:
        tok_file = WORK / f"{name}.token"
        if a.no_seed and tok_file.exists():
            token = tok_file.read_text().strip()
        else:
            t0 = time.perf_counter()
            token = seed(url)
            tok_file.write_text(token)
            print(f"  {name}: seeded in {time.perf_counter() - t0:.0f} s", file=sys.stderr)
        if a.seed_only:
            continue
        if a.serving:
            serving(url, token, a.serving, a.duration, a.rounds, a.src)
            continue
        load0 = os.getloadavg()
        out = run(name, url, token, a.duration, a.rounds, a.before, a.pairs)
        rows = summarise(name, out)
        load1 = os.getloadavg()
        for r in rows:
            r["load"] = f"{load0[0]:.2f}/{load0[1]:.2f}/{load0[2]:.2f} → {load1[0]:.2f}/{load1[1]:.2f}/{load1[2]:.2f}"
        all_rows += rows
    if not all_rows:
        return
    print(markdown(all_rows))
    print()
    for r in all_rows:
        runs = {k: v for k, v in r.items() if k.endswith(("_runs", "_non2xx"))}
        print(f"{r['db']} {r['pair']}: load {r['load']}; {runs}")
    (WORK / "results.json").write_text(json.dumps(all_rows, indent=1, default=str))


if __name__ == "__main__":
    main()
