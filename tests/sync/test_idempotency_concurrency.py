"""Idempotency-Key under real concurrency: 50 requests with one key against gunicorn (several workers and
threads) on a file SQLite database and on PostgreSQL. Exactly one runs; every other one replays its
answer or is told it is still running — never ``idempotency_response_lost`` while the first is alive."""
from __future__ import annotations

import os
import subprocess
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests
from servers import GUNICORN, free_port, wait_until_up

ROOT = Path(__file__).resolve().parents[2]
N = 50


def _seed(url: str) -> str:
    from backend.context import Actor, acting_as
    from backend.dbadmin import fresh_app
    from backend.extensions import db
    from backend.services.users import create_token, create_user

    app = fresh_app(url)
    with app.app_context():
        with acting_as(Actor(None, "seed", "cli")):
            token = create_token(create_user("idem", "password123", ["admin"]), "t")[1]
        db.session.remove()
        db.engine.dispose()
    return token


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def server(request, tmp_path_factory):
    if request.param == "sqlite":
        url = "sqlite:///" + str(tmp_path_factory.mktemp("idem") / "idem.db")
    else:
        if not os.environ.get("TEST_DATABASE_URL"):
            pytest.skip("TEST_DATABASE_URL not set")
        from backend.dbadmin import side_database

        url = side_database(os.environ["TEST_DATABASE_URL"], f"idem_{os.environ.get('PYTEST_XDIST_WORKER', 'main')}")
    token = _seed(url)
    port = free_port()
    env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": "idem-test", "RATELIMIT_ENABLED": "0",
           "JXC_ENV": "development", "RATELIMIT_STORAGE_URI": "memory://"}
    proc = subprocess.Popen([str(GUNICORN), "-w", "4", "--threads", "4", "-b", f"127.0.0.1:{port}",
                             "--timeout", "60", "backend:create_app()"], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(proc, base, lambda: proc.stderr.read().decode())
        yield {"base": base, "token": token}
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


def _storm(server, key: str, body: dict) -> list[requests.Response]:
    start = threading.Barrier(N)

    def one(_):
        start.wait()
        return requests.post(server["base"] + "/api/v1/products", json=body, timeout=60,
                             headers={"Authorization": f"Bearer {server['token']}", "Idempotency-Key": key})

    with ThreadPoolExecutor(max_workers=N) as ex:
        return list(ex.map(one, range(N)))


@pytest.mark.slow  # starts gunicorn
@pytest.mark.parametrize("round_", range(2))
def test_50_concurrent_requests_with_one_key_run_once_and_none_is_told_the_response_was_lost(server, round_):
    sku = f"IDEM-{round_}"
    answers = _storm(server, f"storm-{round_}", {"sku": sku, "name": "storm"})
    codes = sorted(f"{r.status_code} {r.json().get('code', '') if r.status_code >= 400 else ''}"
                   f"{r.headers.get('Idempotent-Replayed', '')}" for r in answers)
    ran = [r for r in answers if r.status_code == 201 and "Idempotent-Replayed" not in r.headers]
    assert len(ran) == 1, codes
    for r in answers:
        if r.status_code == 201:
            assert r.json() == ran[0].json()
        else:
            assert (r.status_code, r.json()["code"]) == (409, "idempotency_in_progress"), codes
    # once the first has answered, every retry replays it
    again = _storm(server, f"storm-{round_}", {"sku": sku, "name": "storm"})
    assert all(r.status_code == 201 and r.headers.get("Idempotent-Replayed") == "true" for r in again)
    listed = requests.get(server["base"] + f"/api/v1/products?q={sku}", timeout=30,
                          headers={"Authorization": f"Bearer {server['token']}"}).json()
    assert listed["total"] == 1


def test_a_committed_key_is_in_progress_while_its_request_lives_and_lost_once_it_died(login):
    import json
    from datetime import timedelta

    from sqlalchemy import update

    from backend.extensions import db
    from backend.models.base import utcnow
    from backend.models.sync import IdempotencyKey
    from backend.services import idempotency

    api = login("admin")
    body = {"sku": "IK-DEAD", "name": "x"}
    fp = idempotency.fingerprint("POST", "/api/v1/products", b"", json.dumps(body).encode(), True)
    key_id = idempotency.begin(api.user["id"], "k-dead", "POST", "/api/v1/products", fp)
    # the first request committed its work and is storing its answer
    db.session.execute(update(IdempotencyKey).where(IdempotencyKey.id == key_id).values(status="committed"))
    db.session.commit()
    r = api.post("/api/v1/products", json=body, headers={"Idempotency-Key": "k-dead"})
    assert (r.status_code, r.get_json()["code"]) == (409, "idempotency_in_progress")
    # … it never stored it: its process died (the lock ran out)
    db.session.execute(update(IdempotencyKey).where(IdempotencyKey.id == key_id)
                       .values(locked_at=utcnow() - timedelta(hours=1)))
    db.session.commit()
    r = api.post("/api/v1/products", json=body, headers={"Idempotency-Key": "k-dead"})
    assert (r.status_code, r.get_json()["code"]) == (409, "idempotency_response_lost")
