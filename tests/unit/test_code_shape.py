"""The shape of backend/ as a test: no module over 450 lines, no function over 60 (docs/architecture.md,
"Habits as tools"). Complexity (over 15) is ruff's C901, configured in pyproject.toml.

The allowlists name today's exceptions with a reason. Shrink them: an entry that is no longer needed
fails the test (remove it); an entry whose file is gone is reported as a warning.
"""
from __future__ import annotations

import ast
import warnings
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.nodb  # reads sources: no app, no database

MAX_FILE_LINES = 450
MAX_FUNCTION_LINES = 60

SPLIT = "issue 11: being split"
# {path relative to the repository: why it may be longer than MAX_FILE_LINES}
LONG_FILES: dict[str, str] = {
}
# {"path::qualified.name": why it may be longer than MAX_FUNCTION_LINES} (nested functions count in the
# length of the function that holds them)
LONG_FUNCTIONS: dict[str, str] = {
}


def _modules() -> list[Path]:
    return sorted(p for p in (ROOT / "backend").rglob("*.py") if "__pycache__" not in p.parts)


def _functions(tree: ast.AST, prefix: str = ""):
    """(qualified name, length in lines) of every function and method, nested ones included."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            name = prefix + node.name
            yield name, node.end_lineno - node.lineno + 1
            yield from _functions(node, name + ".")
        elif isinstance(node, ast.ClassDef):
            yield from _functions(node, prefix + node.name + ".")
        else:
            yield from _functions(node, prefix)


def _measure() -> tuple[dict[str, int], dict[str, int]]:
    files, functions = {}, {}
    for path in _modules():
        rel = path.relative_to(ROOT).as_posix()
        source = path.read_text(encoding="utf-8")
        files[rel] = len(source.splitlines())
        for name, length in _functions(ast.parse(source, filename=rel)):
            functions[f"{rel}::{name}"] = length
    return files, functions


def _check(measured: dict[str, int], limit: int, allowed: dict[str, str], what: str) -> None:
    too_long = {k: n for k, n in measured.items() if n > limit and k not in allowed}
    stale = {k: measured[k] for k in allowed if k in measured and measured[k] <= limit}
    gone = [k for k in allowed if k not in measured]
    if gone:
        warnings.warn(f"{what} allowlist names what no longer exists (remove): {gone}", stacklevel=2)
    assert not too_long, f"{what} over {limit} lines (split it, or allowlist it with a reason): {too_long}"
    assert not stale, f"{what} now within {limit} lines: remove from the allowlist in {__file__}: {stale}"


def test_no_module_over_the_line_limit():
    files, _ = _measure()
    _check(files, MAX_FILE_LINES, LONG_FILES, "modules")


def test_no_function_over_the_line_limit():
    _, functions = _measure()
    _check(functions, MAX_FUNCTION_LINES, LONG_FUNCTIONS, "functions")


def test_the_measure_counts_nested_functions_and_methods():
    tree = ast.parse("class A:\n    def m(self):\n        def inner():\n            pass\n        return 1\n")
    assert dict(_functions(tree)) == {"A.m": 4, "A.m.inner": 2}


def test_every_exception_gives_a_reason():
    assert all(reason.strip() for reason in {**LONG_FILES, **LONG_FUNCTIONS}.values())
