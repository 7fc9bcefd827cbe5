"""Fault test with a real server: gunicorn is killed (SIGKILL) in the middle of a push; after a restart the
device resends the whole batch and every op ends up applied exactly once. SQLite file and (when
TEST_DATABASE_URL is set) PostgreSQL, each on its own database."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import threading
import time
import uuid
from decimal import Decimal
from pathlib import Path

import pytest
import requests
from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parents[2]
GUNICORN = ROOT / ".venv" / "bin" / "gunicorn"


def _pg_url() -> str | None:
    from backend.dbadmin import side_database

    url = os.environ.get("TEST_DATABASE_URL")
    return side_database(url, f"synccrash_{os.environ.get('PYTEST_XDIST_WORKER', 'main')}") if url else None


def _seed(url: str) -> dict:
    from backend.context import Actor, acting_as
    from backend.dbadmin import fresh_app
    from backend.extensions import db
    from backend.models.warehouses import Warehouse
    from backend.services import crud, ledger
    from backend.services.catalog import create_product
    from backend.services.users import create_token, create_user

    app = fresh_app(url)
    with app.app_context():
        with acting_as(Actor(None, "seed", "cli")):
            clerk = create_user("clerk", "password123", ["warehouse"])
            wh = crud.create(Warehouse, {"code": "W1", "name": "one"})
            products = [create_product({"sku": f"C{i}", "name": f"p{i}", "purchase_price": Decimal(1)}) for i in range(3)]
            ledger.post([ledger.MoveSpec(p.id, wh.id, Decimal(50), "receipt", unit_cost=Decimal(1)) for p in products])
            out = {"token": create_token(clerk, "t")[1], "wh": wh.id, "products": [p.id for p in products]}
        db.session.remove()
        db.engine.dispose()
    return out


def _start(url: str) -> tuple[subprocess.Popen, str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": "crash-test", "RATELIMIT_ENABLED": "0",
           "JXC_ENV": "development", "RATELIMIT_STORAGE_URI": "memory://"}
    proc = subprocess.Popen([str(GUNICORN), "-w", "1", "-b", f"127.0.0.1:{port}", "--timeout", "120",
                             "backend:create_app()"], cwd=ROOT, env=env, start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            if requests.get(base + "/api/health", timeout=1).status_code == 200:
                return proc, base
        except requests.RequestException:
            pass
        if proc.poll() is not None:
            pytest.fail("gunicorn died")
        time.sleep(0.1)
    pytest.fail("gunicorn did not start")


def _kill(proc):
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait(10)


@pytest.mark.parametrize("dbkind", ["sqlite", "postgres"])
def test_killing_the_server_mid_batch_then_resending_applies_every_op_exactly_once(dbkind, tmp_path):
    url = "sqlite:///" + str(tmp_path / "crash.db") if dbkind == "sqlite" else _pg_url()
    if url is None:
        pytest.skip("TEST_DATABASE_URL not set")
    seed = _seed(url)
    ops = []
    for i in range(300):
        pid = seed["products"][i % 3]
        if i % 3 == 2:
            t, p = "barcode.assign", {"product_id": pid, "code": f"CRASH-{i:05d}"}
        else:
            t, p = "stock.adjust", {"warehouse_id": seed["wh"], "reason": "found" if i % 2 else "damage",
                                    "lines": [{"product_id": pid, "quantity": "1" if i % 2 else "-1"}]}
        ops.append({"op_id": str(uuid.uuid4()), "seq": i + 1, "type": t, "payload": p})
    batch = {"device_id": "crash-phone", "ops": ops}
    headers = {"Authorization": f"Bearer {seed['token']}"}
    eng = create_engine(url.replace("postgresql://", "postgresql+psycopg://") if url.startswith("postgresql://") else url)

    def applied() -> int:
        with eng.connect() as c:
            return c.execute(text("SELECT count(*) FROM sync_ops")).scalar()

    proc, base = _start(url)
    answered = {}

    def push():
        try:
            answered["r"] = requests.post(base + "/api/v1/sync/push", json=batch, headers=headers, timeout=120)
        except requests.RequestException as exc:
            answered["exc"] = exc

    t = threading.Thread(target=push)
    t.start()
    deadline = time.time() + 60
    while applied() < 20 and time.time() < deadline:
        time.sleep(0.01)
    _kill(proc)  # SIGKILL in the middle of the batch: no answer
    t.join(30)
    done = applied()
    assert "exc" in answered and 0 < done < 300, (answered, done)
    with eng.connect() as c:
        last = c.execute(text("SELECT last_seq FROM sync_devices WHERE id = 'crash-phone'")).scalar()
    assert last == done  # every committed op has its record and advanced seq, nothing half-done

    proc, base = _start(url)
    try:
        r = requests.post(base + "/api/v1/sync/push", json=batch, headers=headers, timeout=300)
        assert r.status_code == 200, r.text
        results = r.json()["results"]
        statuses = [x["status"] for x in results]
        assert statuses[:done] == ["duplicate"] * done
        assert all(s in ("applied", "rejected") for s in statuses[done:])
        assert r.json()["last_seq"] == 300
    finally:
        _kill(proc)
    with eng.connect() as c:
        assert c.execute(text("SELECT count(*) FROM sync_ops")).scalar() == 300
        per_op = dict(c.execute(text("SELECT op_id, count(*) FROM stock_moves WHERE op_id IS NOT NULL GROUP BY op_id")).all())
        status = dict(c.execute(text("SELECT op_id, status FROM sync_ops")).all())
        codes = {r[0] for r in c.execute(text("SELECT code FROM barcodes WHERE code LIKE 'CRASH-%'"))}
    for o in ops:
        if o["type"] == "stock.adjust":
            assert per_op.get(o["op_id"], 0) == (1 if status[o["op_id"]] == "applied" else 0)
        else:
            assert (o["payload"]["code"] in codes) == (status[o["op_id"]] == "applied")
    # the ledger adds up
    from backend import create_app
    from backend.config import TestConfig
    from backend.services.stock import verify_ledger

    app = create_app({**{k: getattr(TestConfig, k) for k in dir(TestConfig) if k.isupper()},
                      "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        assert verify_ledger() == []
        from backend.extensions import db

        db.session.remove()
        db.engine.dispose()
    eng.dispose()
