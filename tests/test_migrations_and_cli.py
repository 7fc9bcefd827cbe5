"""The schema comes from Alembic migrations; CLI commands work."""
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect, text

ROOT = Path(__file__).resolve().parent.parent


def _flask(args, db_url, **kw):
    env = {**os.environ, "DATABASE_URL": db_url, "SECRET_KEY": "x", "FLASK_APP": "backend", "JXC_ENV": "development"}
    return subprocess.run([sys.executable, "-m", "flask", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=300, check=False, **kw)


@pytest.fixture
def fresh_db_url(tmp_path, database_url):
    if database_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'fresh.db'}"
        return
    # PostgreSQL: a scratch database beside the test one
    from sqlalchemy.engine import make_url

    base = make_url(database_url)
    name = f"{base.database}_mig"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        c.execute(text(f'CREATE DATABASE "{name}"'))
    yield base.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as c:
        c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def test_migrations_build_the_whole_schema_and_match_the_models(fresh_db_url):
    r = _flask(["init-db"], fresh_db_url)
    assert r.returncode == 0, r.stderr
    from backend.models import Base

    eng = create_engine(fresh_db_url.replace("postgresql://", "postgresql+psycopg://"))
    tables = set(inspect(eng).get_table_names())
    eng.dispose()
    assert set(Base.metadata.tables) <= tables
    r = _flask(["db", "check"], fresh_db_url)
    assert r.returncode == 0, r.stdout + r.stderr  # models and migrations agree


def test_seed_demo_and_create_user(fresh_db_url):
    assert _flask(["init-db"], fresh_db_url).returncode == 0
    r = _flask(["seed-demo", "--if-empty"], fresh_db_url)
    assert r.returncode == 0 and "demo1234" in r.stdout, r.stderr
    r = _flask(["seed-demo", "--if-empty"], fresh_db_url)
    assert "not loaded" in r.stdout
    r = _flask(["create-user", "lily", "--role", "sales", "--role", "finance", "--password", "pw-lily-123"],
               fresh_db_url)
    assert r.returncode == 0 and "sales" in r.stdout, r.stderr
    r = _flask(["create-user", "lily", "--role", "sales", "--password", "pw-lily-123"], fresh_db_url)
    assert r.returncode == 1 and "taken" in r.stderr
    eng = create_engine(fresh_db_url.replace("postgresql://", "postgresql+psycopg://"))
    with eng.connect() as c:
        products = c.execute(text("SELECT count(*) FROM products")).scalar()
        users = c.execute(text("SELECT count(*) FROM users")).scalar()
        whs = c.execute(text("SELECT count(*) FROM warehouses")).scalar()
        zh = c.execute(text("SELECT name FROM products WHERE sku = 'P0001'")).scalar()
    eng.dispose()
    assert products >= 50 and users == 7 and whs == 3 and zh == "十字螺丝刀"
