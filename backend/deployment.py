"""Production set-up that cannot be wrong: refuse to start on a broken configuration, trust the right
number of proxies, and ``flask --app backend check-config`` for the whole checklist (docs/operations.md)."""
from __future__ import annotations

import os
import shlex
import sys
import time
from dataclasses import dataclass, field

SECRET_MIN_LENGTH = 32
BACKUP_MAX_AGE_HOURS = 48


class ConfigurationError(RuntimeError):
    """The production configuration is incomplete; the message lists what is missing."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("JXC refuses to start with JXC_ENV=production:\n"
                         + "\n".join(f"  - {p}" for p in problems)
                         + "\nSee docs/operations.md (production checklist); "
                           "`flask --app backend check-config` checks everything.")


def configured_workers(environ=None, argv=None) -> int:
    """Worker processes this server runs: gunicorn's ``-w/--workers`` (command line or GUNICORN_CMD_ARGS),
    else ``WEB_CONCURRENCY`` (gunicorn's own default), else 1. A ``workers`` set only in a gunicorn config
    file is not seen: set WEB_CONCURRENCY too."""
    environ = os.environ if environ is None else environ
    argv = sys.argv if argv is None else argv
    try:
        workers = int(environ.get("WEB_CONCURRENCY") or 1)
    except ValueError:
        workers = 1
    if argv and "gunicorn" in os.path.basename(os.path.dirname(argv[0])) + os.path.basename(argv[0]):
        from gunicorn.config import Config as GunicornConfig

        args = shlex.split(environ.get("GUNICORN_CMD_ARGS", "")) + list(argv[1:])
        try:
            ns, _ = GunicornConfig().parser().parse_known_args(args)
        except SystemExit:  # a command line gunicorn itself will refuse
            return workers
        if ns.workers:
            workers = int(ns.workers)
    return workers


def _memory_storage(config) -> bool:
    return str(config.get("RATELIMIT_STORAGE_URI") or "memory://").startswith("memory")


def startup_problems(config, workers: int | None = None) -> list[str]:
    """What makes a production start impossible (empty outside production)."""
    if config.get("ENV_NAME") != "production":
        return []
    problems = []
    if not config.get("SECRET_KEY"):
        problems.append("SECRET_KEY is not set. Every worker would invent its own key, and a session made on one "
                        "worker would be refused by the others (and all sessions end at a restart). Set one long "
                        "random value for all workers and instances, e.g. "
                        "`python -c 'import secrets; print(secrets.token_hex(32))'`.")
    workers = configured_workers() if workers is None else workers
    if workers > 1 and config.get("RATELIMIT_ENABLED", True) and _memory_storage(config):
        problems.append(f"{workers} worker processes but no shared rate-limit store: each worker would count "
                        "login attempts on its own. Set REDIS_URL (or RATELIMIT_STORAGE_URI) to a Redis server, "
                        "e.g. redis://127.0.0.1:6379/0, or RATELIMIT_STORAGE_URI=db:// (the app's database).")
    return problems


def _running_check_config() -> bool:
    # `flask --app backend check-config` must load the app in order to report what is wrong with it.
    return "check-config" in sys.argv[1:]


def apply_production_settings(app) -> None:
    """Called by create_app: refuse a broken production set-up, make a dev key, trust the declared proxies."""
    problems = startup_problems(app.config)
    if problems and not _running_check_config():
        app.logger.critical("%s", ConfigurationError(problems))
        raise ConfigurationError(problems)
    if not app.config.get("SECRET_KEY"):
        import secrets

        # Outside production only: sessions end at a restart and are not shared between processes.
        app.config["SECRET_KEY"] = secrets.token_hex(32)
        app.config["SECRET_KEY_GENERATED"] = True
    hops = int(app.config.get("TRUSTED_PROXIES") or 0)
    if hops > 0:
        from werkzeug.middleware.proxy_fix import ProxyFix

        # Client address (rate limits, session log), scheme (Secure cookies, redirects), host and port
        # from the X-Forwarded-* headers the last `hops` proxies appended; anything further left is ignored.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops)


@dataclass
class Report:
    ok: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def check_config(app, workers: int | None = None) -> Report:
    """The production checklist of docs/operations.md, checked against the running configuration (and the
    database, Redis and backup folder it names)."""
    cfg = app.config
    rep = Report()
    workers = configured_workers() if workers is None else workers
    env = cfg.get("ENV_NAME")
    if env == "production":
        rep.ok.append("JXC_ENV=production")
    else:
        rep.problems.append(f"JXC_ENV is {env!r}, not 'production': the startup checks are off and cookies may "
                            "not be Secure. Set JXC_ENV=production.")
    rep.problems += [p for p in startup_problems({**cfg, "ENV_NAME": "production"}, workers)
                     if not p.startswith("SECRET_KEY")]
    secret = None if cfg.get("SECRET_KEY_GENERATED") else cfg.get("SECRET_KEY")
    if not secret:
        rep.problems.append("SECRET_KEY is not set: set one long random value shared by every worker and instance.")
    elif len(secret) < SECRET_MIN_LENGTH:
        rep.problems.append(f"SECRET_KEY has {len(secret)} characters; use at least {SECRET_MIN_LENGTH} random ones "
                            "(`python -c 'import secrets; print(secrets.token_hex(32))'`).")
    else:
        rep.ok.append(f"SECRET_KEY set ({len(secret)} characters)")
    if cfg.get("SESSION_COOKIE_SECURE"):
        rep.ok.append("session cookie is Secure")
    else:
        rep.problems.append("SESSION_COOKIE_SECURE is off: the session cookie would travel over plain HTTP.")
    _check_database(app, rep)
    _check_rate_limits(cfg, workers, rep)
    hops = int(cfg.get("TRUSTED_PROXIES") or 0)
    if hops:
        rep.ok.append(f"TRUSTED_PROXIES={hops}: client address and scheme come from X-Forwarded-*")
    else:
        rep.warnings.append("TRUSTED_PROXIES is 0: behind a TLS proxy (nginx, Caddy) set it to the number of "
                            "proxies, or client addresses (rate limits) and https are wrong. Ignore this only "
                            "when gunicorn itself terminates TLS.")
    if not cfg.get("PASSWORD_REJECT_COMMON", True):
        rep.warnings.append("PASSWORD_REJECT_COMMON is off: common passwords are accepted.")
    _check_backups(app, rep)
    rep.ok.append(f"{workers} worker process{'es' if workers != 1 else ''}")
    return rep


def _check_database(app, rep: Report) -> None:
    from sqlalchemy import text

    from backend.extensions import db

    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    if uri.startswith("sqlite"):
        rep.problems.append("DATABASE_URL is SQLite: production runs on PostgreSQL "
                            "(DATABASE_URL=postgresql://user:password@host/db).")
    try:
        with app.app_context(), db.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
            current = _alembic_revision(conn)
    except Exception as exc:  # noqa: BLE001  (any failure to connect is the finding)
        rep.problems.append(f"database not reachable: {type(exc).__name__}: {str(exc).splitlines()[0][:200]}")
        return
    head = _alembic_head(app)
    if current != head:
        rep.problems.append(f"database schema at revision {current or 'none'}, code expects {head}: "
                            "run `flask --app backend init-db`.")
    else:
        rep.ok.append(f"database reachable, schema at {head}")


def _alembic_revision(conn) -> str | None:
    from alembic.runtime.migration import MigrationContext

    return MigrationContext.configure(conn).get_current_revision()


def _alembic_head(app) -> str | None:
    from alembic.script import ScriptDirectory

    migrate = app.extensions["migrate"]
    with app.app_context():
        config = migrate.migrate.get_config(migrate.directory)
    return ScriptDirectory.from_config(config).get_current_head()


def _check_rate_limits(cfg, workers: int, rep: Report) -> None:
    if not cfg.get("RATELIMIT_ENABLED", True):
        rep.problems.append("RATELIMIT_ENABLED is off: logins are not throttled.")
        return
    uri = str(cfg.get("RATELIMIT_STORAGE_URI") or "memory://")
    if uri.startswith("memory"):
        if workers <= 1:
            rep.warnings.append("rate limits in memory: right for one worker process only; set REDIS_URL before "
                                "adding workers or instances.")
        return
    from limits.storage import storage_from_string

    try:
        reachable = storage_from_string(uri).check()
    except Exception as exc:  # noqa: BLE001
        reachable, why = False, f"{type(exc).__name__}: {exc}"
    else:
        why = "no answer"
    if reachable:
        rep.ok.append("rate-limit store reachable (shared by all workers)")
    else:
        rep.problems.append(f"rate-limit store {_redact(uri)} not reachable ({str(why)[:200]}).")


def _redact(uri: str) -> str:
    from urllib.parse import urlsplit

    parts = urlsplit(uri)
    return uri.replace(parts.password, "***") if parts.password else uri


def _check_backups(app, rep: Report) -> None:
    from pathlib import Path

    d = Path(app.config.get("BACKUP_DIR") or Path(app.instance_path) / "backups")
    try:
        d.mkdir(parents=True, exist_ok=True)
        writable = os.access(d, os.W_OK)
    except OSError:
        writable = False
    if not writable:
        rep.problems.append(f"backup folder {d} is not writable (BACKUP_DIR).")
        return
    files = [p for p in d.iterdir() if p.is_file() and not p.name.endswith(".partial")]
    newest = max((p.stat().st_mtime for p in files), default=None)
    if newest is None:
        rep.warnings.append(f"no backup in {d} yet: schedule `flask --app backend backup --keep 30` (cron) and "
                            "copy the folder off the machine.")
    elif time.time() - newest > BACKUP_MAX_AGE_HOURS * 3600:
        hours = int((time.time() - newest) // 3600)
        rep.warnings.append(f"newest backup in {d} is {hours} hours old: is the scheduled backup running?")
    else:
        rep.ok.append(f"recent backup in {d}")


__all__ = ["ConfigurationError", "Report", "apply_production_settings", "check_config", "configured_workers",
           "startup_problems"]
