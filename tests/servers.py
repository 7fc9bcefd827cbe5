"""The app in real server processes for tests (gunicorn on a free port): start-up wait and port choice,
shared by the concurrency, idempotency, production and scale-out tests."""
from __future__ import annotations

import socket
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parents[1]
GUNICORN = ROOT / ".venv" / "bin" / "gunicorn"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until_up(proc: subprocess.Popen, base: str, output: Callable[[], str], seconds: float = 60) -> None:
    """Return when ``base``/api/health answers 200; fail with the server's ``output()`` if it dies first.

    Workers boot slowly on a busy 2-core machine (creating the app costs seconds of CPU each)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if requests.get(base + "/api/health", timeout=1).status_code == 200:
                return
        except requests.RequestException:
            pass
        if proc.poll() is not None:
            pytest.fail("gunicorn died: " + output()[-3000:])
        time.sleep(0.05)
    pytest.fail("gunicorn did not start")
