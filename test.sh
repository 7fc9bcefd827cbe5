#!/usr/bin/env bash
# Set up and run the whole test suite: ./test.sh [pytest args]
# Runs on SQLite; when TEST_DATABASE_URL is set (CI), runs the same suite on PostgreSQL too.
set -euo pipefail
cd "$(dirname "$0")"
source scripts/setup-common.sh

install_system_packages libzbar0 fonts-noto-cjk chromium
make_venv requirements-dev.txt
# eslint for pwa/: package.json / package-lock.json -> node_modules/ (gitignored); reinstalled when the lock changes
command -v npm >/dev/null || install_system_packages nodejs npm
if ! cmp -s package-lock.json node_modules/.installed-lock; then
  npm ci --no-audit --no-fund --loglevel=error
  cp package-lock.json node_modules/.installed-lock
fi

echo "== linters (scripts/lint.sh) =="
scripts/lint.sh

export RATELIMIT_STORAGE_URI="memory://"
PYTEST=(.venv/bin/python -m pytest -p no:cacheprovider -n "${TEST_WORKERS:-2}" --dist loadfile "$@")

echo "== test suite on SQLite =="
JXC_TEST_DB=sqlite "${PYTEST[@]}"

if [ -n "${TEST_DATABASE_URL:-}" ]; then
  echo "== test suite on PostgreSQL (${TEST_DATABASE_URL}) =="
  JXC_TEST_DB=postgres "${PYTEST[@]}"
else
  echo "(TEST_DATABASE_URL not set: PostgreSQL run skipped)"
fi
