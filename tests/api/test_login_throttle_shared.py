"""Without Redis, login throttling is exact across worker processes: ``RATELIMIT_STORAGE_URI=db://`` keeps
the counters in the application's database (what ./run.sh uses, so it can run several workers). Two
server processes on one database: failed logins made alternately on each are counted once."""
from __future__ import annotations

import os
import subprocess
import tempfile

import pytest
import requests
from servers import GUNICORN, ROOT, free_port, wait_until_up

pytestmark = pytest.mark.slow


@pytest.fixture
def two_servers(database_url):
    env = {**os.environ, "DATABASE_URL": database_url, "SECRET_KEY": "throttle-test", "JXC_ENV": "development",
           "JXC_FAST_PASSWORD_HASH": "1", "RATELIMIT_ENABLED": "1", "RATELIMIT_STORAGE_URI": "db://",
           "LOGIN_RATE_LIMIT": "3 per minute", "LOGIN_IP_RATE_LIMIT": "100 per minute", "LOG_LEVEL": "WARNING"}
    procs, bases = [], []
    try:
        for _ in range(2):
            port = free_port()
            log = tempfile.TemporaryFile(mode="w+")  # noqa: SIM115 (read when the server dies)
            proc = subprocess.Popen([str(GUNICORN), "-w", "1", "-b", f"127.0.0.1:{port}", "backend:create_app()"],
                                    cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
            procs.append(proc)
            bases.append(f"http://127.0.0.1:{port}")
            wait_until_up(proc, bases[-1], lambda log=log: (log.seek(0), log.read())[1])
        yield bases
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            p.wait(timeout=30)


def test_failed_logins_on_two_workers_are_counted_once(two_servers, make_user):
    make_user("sales", username="victim")
    codes = [requests.post(two_servers[i % 2] + "/api/v1/auth/login",
                           json={"username": "victim", "password": "bad-bad-bad"}, timeout=30).status_code
             for i in range(6)]
    assert codes == [401, 401, 401, 429, 429, 429]
    # the right password is refused too while the window lasts, on either worker
    for base in two_servers:
        assert requests.post(base + "/api/v1/auth/login", json={"username": "victim", "password": "password123"},
                             timeout=30).status_code == 429
