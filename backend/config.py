"""Settings from the environment with safe defaults."""
from __future__ import annotations

import os
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import ClassVar

BASE_DIR = Path(__file__).resolve().parent.parent


def normalise_db_url(url: str) -> str:
    """Map plain ``postgresql://`` / ``postgres://`` to the installed psycopg 3 driver."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def _bool(name: str, default: bool) -> bool:
    v = os.environ.get(name)
    return default if v is None else v.strip().lower() in ("1", "true", "yes", "on")


class Config:
    """Production-safe defaults; every value can be overridden from the environment."""

    ENV_NAME = os.environ.get("JXC_ENV", "development")
    # None when unset: create_app refuses to start in production, and outside it makes a random one
    # (sessions then end at a restart and are not shared between workers).
    SECRET_KEY = os.environ.get("SECRET_KEY") or None
    SQLALCHEMY_DATABASE_URI = normalise_db_url(
        os.environ.get("DATABASE_URL", f"sqlite:///{BASE_DIR / 'instance' / 'jxc.db'}")
    )
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True}
    MAX_CONTENT_LENGTH = int(os.environ.get("MAX_UPLOAD_BYTES", str(12 * 1024 * 1024)))

    # Session cookie: HttpOnly, SameSite=Lax; Secure unless explicitly in development.
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = _bool("SESSION_COOKIE_SECURE", ENV_NAME == "production")
    SESSION_COOKIE_NAME = "jxc_session"
    REMEMBER_COOKIE_HTTPONLY = True
    SESSION_IDLE_HOURS = int(os.environ.get("SESSION_IDLE_HOURS", str(24 * 14)))
    # Absolute lifetime: a session this old ends even if it is used every day.
    SESSION_MAX_HOURS = int(os.environ.get("SESSION_MAX_HOURS") or 24 * 30)
    PERMANENT_SESSION_LIFETIME = timedelta(hours=SESSION_MAX_HOURS)
    # Reverse proxies in front of the app (TLS terminator, load balancer): how many X-Forwarded-* hops to
    # trust (werkzeug ProxyFix). 0 = none: the socket peer is the client. Never more than really exist,
    # or clients can forge their address (and dodge the rate limits).
    TRUSTED_PROXIES = int(os.environ.get("TRUSTED_PROXIES") or 0)
    # Refuse the most common passwords (zxcvbn's frequency list) and the username as password.
    PASSWORD_REJECT_COMMON = _bool("PASSWORD_REJECT_COMMON", True)

    # Rate limits: Redis (shared by all workers) when REDIS_URL / RATELIMIT_STORAGE_URI is set.
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI") or os.environ.get("REDIS_URL") or "memory://"
    RATELIMIT_ENABLED = _bool("RATELIMIT_ENABLED", True)
    RATELIMIT_HEADERS_ENABLED = True
    RATELIMIT_KEY_PREFIX = os.environ.get("RATELIMIT_KEY_PREFIX", "jxc")
    # Failed logins per account (any address), and all logins per client address (more generous, so one
    # office behind one NAT address is not locked out by one person's typos or one attacker).
    LOGIN_RATE_LIMIT = os.environ.get("LOGIN_RATE_LIMIT", "10 per minute")
    LOGIN_IP_RATE_LIMIT = os.environ.get("LOGIN_IP_RATE_LIMIT", "60 per minute")
    SCAN_RATE_LIMIT = os.environ.get("SCAN_RATE_LIMIT", "120 per minute")

    # OpenAPI (flask-smorest)
    API_TITLE = "JXC API"
    API_VERSION = "v1"
    OPENAPI_VERSION = "3.0.3"
    OPENAPI_URL_PREFIX = "/api"
    OPENAPI_JSON_PATH = "openapi.json"
    OPENAPI_SWAGGER_UI_PATH = "/docs"
    # Swagger UI's files come from the swagger-ui-bundle package, served by the app (works offline).
    OPENAPI_SWAGGER_UI_URL = os.environ.get("SWAGGER_UI_URL", "/api/docs/static/")
    OPENAPI_SWAGGER_UI_CONFIG: ClassVar[dict] = {"validatorUrl": None}  # no badge fetched from validator.swagger.io

    # Uploaded images (scan, sync photos, expense receipts): docs/security.md "Uploads and files".
    IMAGE_MAX_PIXELS = int(os.environ.get("IMAGE_MAX_PIXELS", "12000000"))  # checked from the header
    IMAGE_MAX_BYTES = int(os.environ.get("IMAGE_MAX_BYTES", str(10 * 1024 * 1024)))
    IMAGE_DECODE_CONCURRENCY = int(os.environ.get("IMAGE_DECODE_CONCURRENCY", "2"))  # per process
    IMAGE_DECODE_WAIT_S = float(os.environ.get("IMAGE_DECODE_WAIT_S", "2.0"))  # then 503 + Retry-After
    IMAGE_DECODE_RETRY_AFTER_S = int(os.environ.get("IMAGE_DECODE_RETRY_AFTER_S", "2"))

    # Webhooks go to public addresses only (SSRF); on-premises receivers are listed here: comma-separated
    # CIDRs/addresses ("10.0.0.0/8, 192.168.1.20") and host names ("erp.shop.lan, *.corp.lan").
    WEBHOOK_ALLOWED_HOSTS = os.environ.get("WEBHOOK_ALLOWED_HOSTS", "")
    WEBHOOK_TIMEOUT_SECONDS = float(os.environ.get("WEBHOOK_TIMEOUT_SECONDS", "10"))
    WEBHOOK_LEASE_SECONDS = float(os.environ.get("WEBHOOK_LEASE_SECONDS", "120"))

    # Domain settings
    ADJUSTMENT_APPROVAL_THRESHOLD = Decimal(os.environ.get("ADJUSTMENT_APPROVAL_THRESHOLD", "5000"))
    EXPENSE_APPROVAL_THRESHOLD = Decimal(os.environ.get("EXPENSE_APPROVAL_THRESHOLD", "5000"))  # above: approval
    # a stocktake count dated more than this before it reached the server is flagged clock_suspect
    STOCKTAKE_COUNT_MAX_SKEW_MINUTES = float(os.environ.get("STOCKTAKE_COUNT_MAX_SKEW_MINUTES", "60"))
    # The largest quantity one document line may have (order, receipt, shipment, transfer, adjustment, count,
    # return, pack size): a scanner burst typed into a quantity box must never become stock (issue 14).
    QTY_MAX_PER_LINE = Decimal(os.environ.get("QTY_MAX_PER_LINE", "1000000"))
    # Decimals per unit beyond backend.domain.quantities.UNIT_DECIMALS, e.g. {"卷": 2}; unknown units: 4.
    QTY_UNIT_DECIMALS: ClassVar[dict[str, int]] = {}
    SQLITE_BUSY_TIMEOUT_MS = int(os.environ.get("SQLITE_BUSY_TIMEOUT_MS", "30000"))
    PAGE_SIZE_MAX = 500

    # CSV/XLSX imports (docs/operations.md "Import limits"): a file beyond any of these is refused with 422
    # import_too_large naming the limit (413 for the upload's bytes).
    IMPORT_MAX_BYTES = int(os.environ.get("IMPORT_MAX_BYTES", str(5 * 1024 * 1024)))
    IMPORT_MAX_ROWS = int(os.environ.get("IMPORT_MAX_ROWS", "5000"))
    IMPORT_MAX_SHEET_ROWS = int(os.environ.get("IMPORT_MAX_SHEET_ROWS", "20000"))
    IMPORT_MAX_COLUMNS = int(os.environ.get("IMPORT_MAX_COLUMNS", "64"))
    IMPORT_MAX_LINE_CHARS = int(os.environ.get("IMPORT_MAX_LINE_CHARS", "20000"))
    IMPORT_MAX_XLSX_UNPACKED_BYTES = int(os.environ.get("IMPORT_MAX_XLSX_UNPACKED_BYTES", str(32 * 1024 * 1024)))
    IMPORT_TIME_LIMIT_SECONDS = float(os.environ.get("IMPORT_TIME_LIMIT_SECONDS", "120"))


class TestConfig(Config):
    """Used by the test suite."""

    TESTING = True
    ENV_NAME = "test"
    SECRET_KEY = "test-secret"
    PASSWORD_REJECT_COMMON = False  # fixtures use password123; tests/api/test_auth_hardening.py turns it on
    SESSION_COOKIE_SECURE = False
    RATELIMIT_ENABLED = False
    RATELIMIT_STORAGE_URI = "memory://"
