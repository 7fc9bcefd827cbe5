#!/usr/bin/env bash
# The linters, fast and first: ruff (style, bugs, complexity), import contracts (layer order), mypy
# (typed packages), eslint (pwa/; installed by ./test.sh with npm ci). ./test.sh runs this before the suite; the suite runs each again as a test
# (tests/unit/test_tooling.py), so `pytest` alone also fails on a lint error.
# Configuration: pyproject.toml ([tool.ruff], [tool.importlinter], [tool.mypy]), eslint.config.mjs.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin

echo "== ruff =="
"$BIN/ruff" check --output-format concise .
echo "== import contracts =="
"$BIN/lint-imports" --no-cache
echo "== mypy =="
"$BIN/mypy"
echo "== eslint (pwa/) =="
if [ ! -x node_modules/.bin/eslint ]; then
  command -v npm >/dev/null || { echo "npm is not installed: ./test.sh installs it" >&2; exit 1; }
  npm ci --no-audit --no-fund --loglevel=error
fi
node_modules/.bin/eslint --max-warnings 0 pwa && echo "eslint: no problems"
