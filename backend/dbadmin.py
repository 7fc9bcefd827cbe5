"""PostgreSQL side databases for tests and benchmarks (one per xdist worker, per benchmark …)."""
from __future__ import annotations

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from backend.config import normalise_db_url


def side_database(url: str, suffix: str) -> str:
    """URL of database ``<name>_<suffix>`` on the server of ``url``, created when missing."""
    base = make_url(normalise_db_url(url))
    name = f"{base.database}_{suffix}"
    eng = create_engine(base, isolation_level="AUTOCOMMIT")
    try:
        with eng.connect() as conn:
            if not conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).first():
                conn.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        eng.dispose()
    return base.set(database=name).render_as_string(hide_password=False)


def fresh_app(url: str, **overrides):
    """An app with the test configuration on ``url`` and an empty schema built from the models (for tests and
    benchmarks; production schemas come from the migrations)."""
    from backend import create_app
    from backend.config import TestConfig
    from backend.extensions import db
    from backend.models.base import Base

    app = create_app({**{k: getattr(TestConfig, k) for k in dir(TestConfig) if k.isupper()},
                      "SQLALCHEMY_DATABASE_URI": url, **overrides})
    with app.app_context():
        Base.metadata.drop_all(db.engine)
        Base.metadata.create_all(db.engine)
    return app
