"""Production set-up that cannot be wrong: gunicorn refuses a broken production configuration with a clear
message; `flask check-config` lists what is wrong; 4 gunicorn workers behind the production configuration
(Redis rate limits, Secure cookies behind one TLS proxy) share sessions and login throttling.

The database is PostgreSQL when TEST_DATABASE_URL is set, else a SQLite file. Redis: TEST_REDIS_URL
(default redis://127.0.0.1:6379/1) with a key prefix of its own per run; skipped when Redis is not there.
The tests that start servers are marked slow."""
from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests
from servers import GUNICORN, free_port, wait_until_up

from backend import create_app

ROOT = Path(__file__).resolve().parents[2]
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/1")
# Settings a developer's shell or test.sh may export that would change what these servers do.
_SCRUB = ("SECRET_KEY", "JXC_ENV", "REDIS_URL", "RATELIMIT_STORAGE_URI", "RATELIMIT_ENABLED", "WEB_CONCURRENCY",
          "GUNICORN_CMD_ARGS", "SESSION_COOKIE_SECURE", "TRUSTED_PROXIES", "LOGIN_RATE_LIMIT", "LOGIN_IP_RATE_LIMIT",
          "PASSWORD_REJECT_COMMON", "BACKUP_DIR")


def _env(**kw) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in _SCRUB}
    env.update({k: str(v) for k, v in kw.items()})
    return env


def _redis_or_skip() -> str:
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except redis.RedisError:
        pytest.skip(f"Redis not reachable at {REDIS_URL}")
    return REDIS_URL


def _database(tmp_path_factory, name: str) -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        from backend.dbadmin import side_database

        return side_database(url, f"{name}_{os.environ.get('PYTEST_XDIST_WORKER', 'main')}")
    return "sqlite:///" + str(tmp_path_factory.mktemp(name) / "jxc.db")


def _gunicorn(env: dict, workers: int, extra=(), stdout=subprocess.PIPE) -> subprocess.Popen:
    return subprocess.Popen([str(GUNICORN), "-w", str(workers), *extra, "--timeout", "60", "backend:create_app()"],
                            cwd=ROOT, env=env, stdout=stdout, stderr=subprocess.STDOUT, text=True,
                            start_new_session=True)


# --- refusing to start --------------------------------------------------------------------------------------

def _refused(env: dict, workers: int, extra=()) -> str:
    proc = _gunicorn(env, workers, ("-b", f"127.0.0.1:{free_port()}", *extra))
    try:
        out, _ = proc.communicate(timeout=120)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, 9)
        proc.wait()
        pytest.fail("gunicorn started with a broken production configuration")
    assert proc.returncode != 0, out
    return out


@pytest.mark.slow
def test_production_without_secret_key_refuses_to_start(tmp_path):
    """Before: every worker invented its own key and 57 of 60 requests of one session got 401."""
    out = _refused(_env(JXC_ENV="production", DATABASE_URL=f"sqlite:///{tmp_path / 'x.db'}"), workers=1)
    assert "refuses to start" in out and "SECRET_KEY is not set" in out, out[-3000:]


@pytest.mark.slow
def test_production_with_workers_and_no_shared_rate_limit_store_refuses_to_start(tmp_path):
    # --preload: the app (and so the check) is loaded once in the master, which keeps the test cheap
    out = _refused(_env(JXC_ENV="production", SECRET_KEY=secrets.token_hex(32),
                        DATABASE_URL=f"sqlite:///{tmp_path / 'x.db'}"), workers=3, extra=("--preload",))
    problems = out.split("refuses to start", 1)[1].split("See docs", 1)[0]
    assert "3 worker processes but no shared rate-limit store" in problems and "REDIS_URL" in problems, out[-3000:]
    assert "SECRET_KEY" not in problems


def test_production_app_factory_refuses_in_process(database_url):
    from backend.deployment import ConfigurationError

    cfg = {"ENV_NAME": "production", "SECRET_KEY": None, "SQLALCHEMY_DATABASE_URI": database_url}
    with pytest.raises(ConfigurationError, match="SECRET_KEY is not set"):
        create_app(cfg)


def test_worker_count_is_read_like_gunicorn_reads_it():
    from backend.deployment import configured_workers

    gun = ["/srv/jxc/.venv/bin/gunicorn"]
    assert configured_workers({}, gun + ["-b", ":80", "backend:create_app()"]) == 1
    assert configured_workers({"WEB_CONCURRENCY": "4"}, gun + ["backend:create_app()"]) == 4
    assert configured_workers({"WEB_CONCURRENCY": "4"}, gun + ["-w", "1", "backend:create_app()"]) == 1
    assert configured_workers({}, gun + ["--workers=3", "backend:create_app()"]) == 3
    assert configured_workers({"GUNICORN_CMD_ARGS": "-w 5"}, gun + ["backend:create_app()"]) == 5
    assert configured_workers({"WEB_CONCURRENCY": "2"}, ["flask", "init-db"]) == 2


def test_one_worker_without_redis_and_development_still_start():
    from backend.deployment import startup_problems

    base = {"ENV_NAME": "production", "SECRET_KEY": "k" * 40, "RATELIMIT_ENABLED": True,
            "RATELIMIT_STORAGE_URI": "memory://"}
    assert startup_problems(base, workers=1) == []
    assert startup_problems({**base, "ENV_NAME": "development", "SECRET_KEY": None}, workers=4) == []
    assert len(startup_problems({**base, "SECRET_KEY": None}, workers=4)) == 2


# --- check-config --------------------------------------------------------------------------------------------

def _problems(out: str) -> list[str]:
    return [line.split("PROBLEM", 1)[1].strip() for line in out.splitlines() if "PROBLEM" in line]


@pytest.mark.slow
def test_check_config_runs_on_a_broken_set_up_and_lists_every_problem(tmp_path):
    """The real command line: the app loads for check-config even where a server would refuse to start."""
    env = _env(JXC_ENV="production", DATABASE_URL=f"sqlite:///{tmp_path / 'x.db'}", WEB_CONCURRENCY="4",
               SESSION_COOKIE_SECURE="0", BACKUP_DIR=str(tmp_path / "backups"))
    r = subprocess.run([sys.executable, "-m", "flask", "--app", "backend", "check-config"], cwd=ROOT, env=env, check=False,
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 1, r.stdout + r.stderr
    joined = "\n".join(_problems(r.stdout))
    for needle in ("SECRET_KEY is not set", "DATABASE_URL is SQLite", "4 worker processes but no shared rate-limit",
                   "SESSION_COOKIE_SECURE is off", "schema at revision none"):
        assert needle in joined, r.stdout
    assert "not ready for production" in r.stderr


@pytest.fixture
def own_app(app, tmp_path):
    """A second app on a database of its own, migrated with init-db (the test database is built with
    create_all and has no Alembic revision). Gives (app, invoke(cli args))."""
    from backend.config import TestConfig
    from backend.extensions import limiter

    url = _fresh_database(tmp_path)
    cfg = {k: getattr(TestConfig, k) for k in dir(TestConfig) if k.isupper()}
    cfg.update(SQLALCHEMY_DATABASE_URI=url, BACKUP_DIR=str(tmp_path / "backups"))
    own = create_app(cfg)

    def invoke(args):
        with own.app_context():  # else the CLI would use the suite's app, whose context is current
            return own.test_cli_runner().invoke(args=args)

    r = invoke(["init-db"])
    assert r.exit_code == 0, r.output
    try:
        yield own, invoke
    finally:
        from backend.extensions import db

        with own.app_context():
            db.engine.dispose()
        limiter.init_app(app)  # the limiter is process-wide: rebind it to the suite's app


def _fresh_database(tmp_path) -> str:
    url = os.environ.get("TEST_DATABASE_URL") if os.environ.get("JXC_TEST_DB") == "postgres" else None
    if not url:
        return f"sqlite:///{tmp_path / 'own.db'}"
    from sqlalchemy import create_engine, text

    from backend.config import normalise_db_url
    from backend.dbadmin import side_database

    url = side_database(url, f"chkcfg_{os.environ.get('PYTEST_XDIST_WORKER', 'main')}")
    eng = create_engine(normalise_db_url(url))
    with eng.begin() as c:  # empty, for init-db (the side database may hold a previous run)
        c.execute(text("DROP SCHEMA public CASCADE"))
        c.execute(text("CREATE SCHEMA public"))
    eng.dispose()
    return url


def _production(app, **over):
    app.config.update({"ENV_NAME": "production", "SECRET_KEY": secrets.token_hex(32), "SECRET_KEY_GENERATED": False,
                       "SESSION_COOKIE_SECURE": True, "RATELIMIT_ENABLED": True, "TRUSTED_PROXIES": 1,
                       "PASSWORD_REJECT_COMMON": True, **over})


def test_check_config_passes_on_a_complete_production_set_up(own_app, monkeypatch):
    own, invoke = own_app
    _production(own, RATELIMIT_STORAGE_URI=_redis_or_skip())
    monkeypatch.setenv("WEB_CONCURRENCY", "4")
    assert invoke(["backup"]).exit_code == 0
    r = invoke(["check-config"])
    assert "rate-limit store reachable" in r.output and "recent backup" in r.output, r.output
    assert "4 worker processes" in r.output and "schema at" in r.output
    if own.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):  # all else is right; SQLite is the finding
        assert r.exit_code == 1 and len(_problems(r.output)) == 1, r.output
        assert "DATABASE_URL is SQLite" in _problems(r.output)[0]
    else:
        assert r.exit_code == 0 and "ready for production" in r.output, r.output
        assert "PROBLEM" not in r.output


def test_check_config_finds_short_secret_unreachable_redis_and_an_old_migration(own_app, monkeypatch):
    own, invoke = own_app
    _production(own, SECRET_KEY="short", RATELIMIT_STORAGE_URI=f"redis://127.0.0.1:{free_port()}/0")
    monkeypatch.setenv("WEB_CONCURRENCY", "2")
    assert invoke(["db", "downgrade"]).exit_code == 0
    r = invoke(["check-config"])
    assert r.exit_code == 1
    joined = "\n".join(_problems(r.output))
    assert "SECRET_KEY has 5 characters" in joined and "not reachable" in joined, r.output
    assert "run `flask --app backend init-db`" in joined
    assert "no backup" in r.output  # a warning, not a problem


def test_cli_create_user_refuses_a_common_password(app, monkeypatch):
    monkeypatch.setitem(app.config, "PASSWORD_REJECT_COMMON", True)
    runner = app.test_cli_runner()
    r = runner.invoke(args=["create-user", "lily", "--role", "sales", "--password", "password123"])
    assert r.exit_code == 1 and "too easy to guess" in r.output, r.output
    r = runner.invoke(args=["create-user", "lily", "--role", "sales", "--password", "lily-7-herbs"])
    assert r.exit_code == 0, r.output


# --- 4 workers behind the production configuration -----------------------------------------------------------

@pytest.fixture(scope="module")
def prod_server(tmp_path_factory):
    redis_url = _redis_or_skip()
    url = _database(tmp_path_factory, "prodsetup")
    from backend.context import Actor, acting_as
    from backend.dbadmin import fresh_app
    from backend.extensions import db
    from backend.services.users import create_user

    app = fresh_app(url)
    with app.app_context():
        with acting_as(Actor(None, "seed", "cli")):
            for name in ("alice", "bob", "carol"):
                create_user(name, "Blue-Kettle-42", ["sales"])
        db.session.remove()
        db.engine.dispose()
    port = free_port()
    log = tmp_path_factory.mktemp("prodlog") / "access.log"
    prefix = f"jxc-test-{uuid.uuid4().hex[:12]}"
    env = _env(JXC_ENV="production", SECRET_KEY=secrets.token_hex(32), DATABASE_URL=url, REDIS_URL=redis_url,
               RATELIMIT_KEY_PREFIX=prefix, TRUSTED_PROXIES="1", LOGIN_RATE_LIMIT="5 per minute",
               LOGIN_IP_RATE_LIMIT="1000 per minute", WEB_CONCURRENCY="4")
    # the access log names the worker (pid) that served each request
    out = open(log.with_name("gunicorn.log"), "w")  # noqa: SIM115  (closed below; a pipe could fill up)
    proc = _gunicorn(env, 4, ("-b", f"127.0.0.1:{port}", "--access-logfile", str(log),
                              "--access-logformat", "%(p)s %(s)s %(m)s %(U)s"), stdout=out)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(proc, base, lambda: log.with_name("gunicorn.log").read_text(), seconds=120)
        yield {"base": base, "log": log}
    finally:
        os.killpg(proc.pid, 15)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, 9)
            proc.wait()
        out.close()
        import redis

        r = redis.Redis.from_url(redis_url)
        keys = list(r.scan_iter(f"*{prefix}*"))
        if keys:
            r.delete(*keys)


# What the TLS proxy in front (TRUSTED_PROXIES=1) adds to every request.
PROXY = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "198.51.100.20"}


def _served_by(log: Path, path: str) -> dict[str, set[str]]:
    """pid → statuses of the requests for ``path`` in the access log."""
    out: dict[str, set[str]] = {}
    for line in log.read_text().splitlines():
        m = re.match(r"<?(\d+)>? (\d+) \w+ (\S+)$", line.strip())
        if m and m.group(3) == path:
            out.setdefault(m.group(1), set()).add(m.group(2))
    return out


def _login(base, username, password, client="198.51.100.20"):
    return requests.post(base + "/api/v1/auth/login", json={"username": username, "password": password},
                         headers={**PROXY, "X-Forwarded-For": client}, timeout=30)


@pytest.mark.slow
def test_one_session_works_on_every_worker_that_answers(prod_server):
    base = prod_server["base"]
    r = _login(base, "alice", "Blue-Kettle-42")
    assert r.status_code == 200, r.text
    set_cookie = r.headers["Set-Cookie"]
    assert "Secure" in set_cookie and "HttpOnly" in set_cookie
    # A browser sends the Secure cookie back over the proxy's https; the proxy forwards it over plain HTTP.
    cookie = set_cookie.split(";", 1)[0]
    csrf = r.json()["csrf_token"]

    def me(_):
        return requests.get(base + "/api/v1/auth/me", headers={**PROXY, "Cookie": cookie}, timeout=30).status_code

    codes = []
    with ThreadPoolExecutor(8) as pool:
        for _ in range(10):  # 60 requests, more rounds only if the kernel has not yet spread them over all workers
            codes += list(pool.map(me, range(60)))
            if len(_served_by(prod_server["log"], "/api/v1/auth/me")) == 4:
                break
    assert codes == [200] * len(codes)
    served = _served_by(prod_server["log"], "/api/v1/auth/me")
    # The kernel decides which worker accepts; on a busy machine one may never get a turn (CI saw 3 of 4).
    # Two workers answering 200 to the same cookie already proves the session is not per process.
    assert len(served) >= 2 and all(s == {"200"} for s in served.values()), served
    # an unsafe request with the CSRF token from the login works on whichever worker takes it
    r = requests.post(base + "/api/v1/auth/logout", headers={**PROXY, "Cookie": cookie, "X-CSRF-Token": csrf},
                      timeout=30)
    assert r.status_code == 204
    assert me(0) == 401  # the logout is seen by every worker


@pytest.mark.slow
def test_login_throttling_holds_across_workers(prod_server):
    base = prod_server["base"]
    # sequential, so no two attempts race; the kernel still hands them to different workers
    codes = [_login(base, "bob", "wrong-password", client=f"203.0.113.{i}").status_code for i in range(9)]
    assert codes == [401] * 5 + [429] * 4, codes  # 5 per minute per account, whichever worker counts
    assert len(_served_by(prod_server["log"], "/api/v1/auth/login")) >= 2
    # the right password is throttled too now; another account from the same addresses is not
    assert _login(base, "bob", "Blue-Kettle-42", client="203.0.113.1").status_code == 429
    assert _login(base, "carol", "Blue-Kettle-42", client="203.0.113.1").status_code == 200
