"""Scale-out, proven: two app instances (separate gunicorn processes on two ports, each with its own webhook
worker process) over one PostgreSQL database and one Redis (the shared rate-limit store).

* two phones each push their outbox to both instances at once (a retry that went through the other
  instance): every op is applied exactly once;
* an ``Idempotency-Key`` POST replayed on the other instance replays (same answer, nothing applied twice);
* a session made on one instance works on the other (same ``SECRET_KEY``), CSRF token included, and the
  login rate limit is counted once for both (Redis);
* every webhook event is delivered exactly once with both workers running, even though their batch leases
  (1 s) run out while a slow receiver answers, so they keep taking rows over from each other.

Runs when TEST_DATABASE_URL (PostgreSQL) and TEST_REDIS_URL are set.
"""
from __future__ import annotations

import os
import signal
import subprocess
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from pathlib import Path

import pytest
import requests
from servers import free_port, wait_until_up
from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parents[2]
BIN = ROOT / ".venv" / "bin"
OPS_PER_PHONE = 40
START = Decimal(100)

pytestmark = [
    pytest.mark.slow,
    # once per suite run: in the PostgreSQL pass (the SQLite pass would start the same servers again)
    pytest.mark.skipif(os.environ.get("JXC_TEST_DB") != "postgres" or not os.environ.get("TEST_DATABASE_URL"),
                       reason="needs PostgreSQL: runs in the JXC_TEST_DB=postgres pass"),
    pytest.mark.skipif(not os.environ.get("TEST_REDIS_URL"),
                       reason="needs Redis for the shared rate-limit store: TEST_REDIS_URL not set"),
]


def _seed(url: str, hook_url: str) -> dict:
    from backend.context import Actor, acting_as
    from backend.dbadmin import fresh_app
    from backend.extensions import db
    from backend.models.warehouses import Warehouse
    from backend.services import crud, ledger, webhooks
    from backend.services.catalog import create_product
    from backend.services.users import create_token, create_user

    app = fresh_app(url, WEBHOOK_ALLOWED_HOSTS="127.0.0.1")
    with app.app_context():
        with acting_as(Actor(None, "seed", "cli")):
            create_user("boss", "scale-out-pass-1", ["admin"])
            phones = [create_user(f"phone{i}", "scale-out-pass-1", ["warehouse"]) for i in (1, 2)]
            wh = crud.create(Warehouse, {"code": "W1", "name": "one"})
            product = create_product({"sku": "SO-1", "name": "螺丝", "purchase_price": Decimal(1)})
            ledger.post([ledger.MoveSpec(product.id, wh.id, START, "receipt", unit_cost=Decimal(1))])
            hook = webhooks.create_webhook({"url": hook_url, "events": ["stock.moved", "supplier.*"]})
            out = {"tokens": [create_token(p, "phone")[1] for p in phones], "wh": wh.id, "product": product.id,
                   "hook": hook.id}
        db.session.remove()
        db.engine.dispose()
    return out


def _stop(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(10)
    except ProcessLookupError:
        pass
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(10)


@pytest.fixture
def cluster(receiver, tmp_path):
    from backend.dbadmin import side_database

    url = side_database(os.environ["TEST_DATABASE_URL"], f"scaleout_{os.environ.get('PYTEST_XDIST_WORKER', 'main')}")
    seed = _seed(url, receiver.url)
    env = {**os.environ, "DATABASE_URL": url, "JXC_ENV": "development", "SECRET_KEY": "scale-out-shared-secret",
           "RATELIMIT_ENABLED": "1", "RATELIMIT_STORAGE_URI": os.environ["TEST_REDIS_URL"],
           "RATELIMIT_KEY_PREFIX": f"jxc-scaleout-{uuid.uuid4().hex[:12]}",  # counters of earlier runs stay in Redis
           "LOGIN_RATE_LIMIT": "1000 per minute", "WEBHOOK_ALLOWED_HOSTS": "127.0.0.1",
           "WEBHOOK_LEASE_SECONDS": "1", "JXC_FAST_PASSWORD_HASH": "1"}

    def start(args, name, **kw):
        log = open(tmp_path / f"{name}.log", "wb")  # noqa: SIM115 — closed with the process
        logs.append(log)
        return subprocess.Popen(args, cwd=ROOT, env=env, start_new_session=True, stderr=log, **kw)

    servers, workers, logs, bases = [], [], [], []
    eng = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        for n in range(2):
            port = free_port()
            servers.append(start([str(BIN / "gunicorn"), "-w", "2", "-b", f"127.0.0.1:{port}", "--timeout", "120",
                                  "backend:create_app()"], f"app{n}", stdout=subprocess.DEVNULL))
            bases.append(f"http://127.0.0.1:{port}")
        for proc, base in zip(servers, bases, strict=True):
            wait_until_up(proc, base, lambda: "".join(f.read_text()[-2000:] for f in tmp_path.glob("app*.log")),
                          seconds=120)

        def start_workers():
            for n in range(2):
                workers.append(start([str(BIN / "flask"), "--app", "backend", "webhooks-deliver", "--interval",
                                      "0.2", "--batch", "10"], f"worker{n}", stdout=subprocess.PIPE))
            return workers

        yield {"bases": bases, "start_workers": start_workers, "db": eng, "logs": tmp_path, **seed}
    finally:
        for p in servers + workers:
            _stop(p)
        for log in logs:
            log.close()
        eng.dispose()


def _worker_totals(proc: subprocess.Popen) -> dict:
    """Stop a worker with Ctrl-C; it prints ``webhooks: delivered N, retry N, failed N, skipped N``."""
    proc.send_signal(signal.SIGINT)
    out, _ = proc.communicate(timeout=20)
    line = out.decode().strip().splitlines()[-1]
    return {k: int(v) for k, v in (part.split() for part in line.removeprefix("webhooks: ").split(", "))}


def _sql(cluster, sql: str, **params):
    with cluster["db"].connect() as c:
        return c.execute(text(sql), params).all()


def test_two_instances_with_two_webhook_workers_over_one_database_and_one_redis(cluster, receiver):
    started = time.monotonic()
    a, b = cluster["bases"]

    receiver.delay = 0.1  # a slow receiver: a batch of 10 takes longer than the 1 s lease
    # (d) a session made on A works on B: /auth/me and a CSRF-protected write; the login limit is shared
    s = requests.Session()
    r = s.post(a + "/api/v1/auth/login", json={"username": "boss", "password": "scale-out-pass-1"}, timeout=30)
    assert r.status_code == 200, r.text
    csrf, left_on_a = r.json()["csrf_token"], int(r.headers["X-RateLimit-Remaining"])
    me = s.get(b + "/api/v1/auth/me", timeout=30)
    assert me.status_code == 200 and me.json()["username"] == "boss", me.text
    r = s.post(b + "/api/v1/suppliers", json={"code": "S-B", "name": "上海五金"}, headers={"X-CSRF-Token": csrf},
               timeout=30)
    assert r.status_code == 201, r.text
    r2 = requests.post(b + "/api/v1/auth/login", json={"username": "boss", "password": "scale-out-pass-1"}, timeout=30)
    assert int(r2.headers["X-RateLimit-Remaining"]) == left_on_a - 1  # one counter in Redis, not one per instance

    # (b) an Idempotency-Key POST replayed on the other instance replays
    key = {"X-CSRF-Token": csrf, "Idempotency-Key": f"so-{uuid.uuid4()}"}
    first = s.post(a + "/api/v1/suppliers", json={"code": "S-IDEM", "name": "幂等"}, headers=key, timeout=30)
    again = s.post(b + "/api/v1/suppliers", json={"code": "S-IDEM", "name": "幂等"}, headers=key, timeout=30)
    assert first.status_code == again.status_code == 201 and first.json() == again.json(), again.text
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert _sql(cluster, "SELECT count(*) FROM suppliers WHERE code = 'S-IDEM'")[0][0] == 1

    # (a) two phones, each pushing its outbox to A and to B at the same time
    batches = []
    for n, token in enumerate(cluster["tokens"], 1):
        ops = [{"op_id": str(uuid.uuid4()), "seq": i + 1, "type": "stock.adjust",
                "payload": {"warehouse_id": cluster["wh"], "reason": "found",
                            "lines": [{"product_id": cluster["product"], "quantity": "1"}]}}
               for i in range(OPS_PER_PHONE)]
        batches.append(({"device_id": f"so-phone-{n}", "ops": ops}, token))

    def push(job):
        base, (batch, token) = job
        return requests.post(base + "/api/v1/sync/push", json=batch, headers={"Authorization": f"Bearer {token}"},
                             timeout=120)

    with ThreadPoolExecutor(4) as ex:
        answers = list(ex.map(push, [(base, bt) for bt in batches for base in (a, b)]))
    assert all(r.status_code == 200 for r in answers), [r.text[:300] for r in answers]
    for (batch, _), pair in zip(batches, (answers[0:2], answers[2:4]), strict=True):
        for i, o in enumerate(batch["ops"]):
            got = sorted(r.json()["results"][i]["status"] for r in pair)
            assert got == ["applied", "duplicate"], (o["op_id"], got)  # one instance applied it, the other knew
    op_ids = [o["op_id"] for batch, _ in batches for o in batch["ops"]]
    moves = Counter(r[0] for r in _sql(cluster, "SELECT op_id FROM stock_moves WHERE op_id IS NOT NULL"))
    assert sorted(moves) == sorted(op_ids) and set(moves.values()) == {1}
    assert _sql(cluster, "SELECT count(*) FROM sync_ops")[0][0] == 2 * OPS_PER_PHONE
    on_hand = _sql(cluster, "SELECT quantity FROM stock_levels WHERE product_id = :p", p=cluster["product"])
    assert [Decimal(q) for (q,) in on_hand] == [START + 2 * OPS_PER_PHONE]

    # (c) every event delivered exactly once by the two worker processes, started now that a backlog waits
    # (so their batches of 10 outlast the lease and they take rows over from each other)
    workers = cluster["start_workers"]()
    deadline = time.monotonic() + 45
    while time.monotonic() < deadline:
        if _sql(cluster, "SELECT count(*) FROM webhook_deliveries WHERE status <> 'delivered'")[0][0] == 0:
            break
        time.sleep(0.2)
    rows = _sql(cluster, "SELECT id, event_id, attempts FROM webhook_deliveries WHERE status = 'delivered'")
    total = _sql(cluster, "SELECT count(*) FROM webhook_deliveries")[0][0]
    assert len(rows) == total == 2 * OPS_PER_PHONE + 2, (len(rows), total)  # stock moves, 2 suppliers
    sent = Counter(int(req["headers"]["X-JXC-Delivery"]) for req in list(receiver.requests))
    twice = {k: v for k, v in sent.items() if v > 1}
    assert not twice, f"sent more than once: {twice}"
    assert set(sent) == {r[0] for r in rows} and {r[2] for r in rows} == {1}
    assert len({req["json"]["id"] for req in receiver.requests}) == total
    assert all(w.poll() is None for w in workers), "both workers kept running"
    totals = [_worker_totals(w) for w in workers]
    assert all(t["delivered"] > 0 for t in totals) and sum(t["delivered"] for t in totals) == total, totals
    # "skipped": rows a worker had claimed but found taken over by the other when it came to send them
    print(f"scale-out: {total} deliveries, per worker {totals}, {time.monotonic() - started:.1f} s")
