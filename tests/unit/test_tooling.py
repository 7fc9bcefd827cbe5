"""The linters as tests, so that `pytest` alone fails on a lint error (./test.sh also runs them first,
through scripts/lint.sh). Configuration: pyproject.toml ([tool.ruff], [tool.importlinter], [tool.mypy])
and eslint.config.mjs."""
from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.nodb  # linters and source measures: no app, no database

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def _run(*cmd: str, timeout: int = 300) -> subprocess.CompletedProcess:
    r = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=timeout, check=False)
    r.stdout, r.stderr = ANSI.sub("", r.stdout), ANSI.sub("", r.stderr)  # readable failure messages
    return r


def _tool(name: str) -> str:
    path = BIN / name
    if not path.exists():
        pytest.fail(f"{name} is not installed in {BIN}: pip install -r requirements-dev.txt")
    return str(path)


def test_ruff():
    r = _run(_tool("ruff"), "check", "--no-cache", "--output-format", "concise", ".")
    assert r.returncode == 0, r.stdout + r.stderr


def test_import_contracts():
    r = _run(_tool("lint-imports"), "--no-cache")
    assert r.returncode == 0, r.stdout + r.stderr


def test_mypy():
    r = _run(_tool("mypy"))  # cache in .mypy_cache: ~10 s cold, <1 s warm
    assert r.returncode == 0, r.stdout + r.stderr



def _eslint() -> Path:
    eslint = ROOT / "node_modules" / ".bin" / "eslint"
    if not eslint.exists():
        npm = shutil.which("npm")
        if npm is None:
            pytest.skip("npm is not installed (./test.sh installs node, npm and eslint)")
        r = _run(npm, "ci", "--no-audit", "--no-fund", "--loglevel=error")  # package-lock.json
        assert r.returncode == 0 and eslint.exists(), "npm ci failed:\n" + r.stdout + r.stderr
    return eslint


def test_eslint():
    r = _run(str(_eslint()), "--max-warnings", "0", "pwa")
    assert r.returncode == 0, r.stdout + r.stderr
