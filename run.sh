#!/usr/bin/env bash
# Set up and start JXC on SQLite with demo data: ./run.sh   (PORT=8000 by default)
set -euo pipefail
cd "$(dirname "$0")"
source scripts/setup-common.sh

install_system_packages libzbar0 fonts-noto-cjk
make_venv requirements.txt

export FLASK_APP=backend
export JXC_ENV="${JXC_ENV:-development}"
mkdir -p instance
# A stable secret per installation, so sessions survive restarts.
if [ -z "${SECRET_KEY:-}" ]; then
  [ -s instance/secret_key ] || .venv/bin/python -c "import secrets; print(secrets.token_hex(32))" > instance/secret_key
  SECRET_KEY="$(cat instance/secret_key)"; export SECRET_KEY
fi
.venv/bin/flask init-db
.venv/bin/flask seed-demo --if-empty

PORT="${PORT:-8000}"
# Rate limits (login throttling) must be shared by the workers: Redis when configured, else the app's own
# database (db://, docs/operations.md "Rate limits"), so several worker processes keep them exact.
export RATELIMIT_STORAGE_URI="${RATELIMIT_STORAGE_URI:-${REDIS_URL:-db://}}"
WORKER_ARGS=(-w "${WORKERS:-2}" --threads "${THREADS:-4}")
cat <<MSG

  JXC 进销存 is running:  http://localhost:${PORT}/
  API docs:               http://localhost:${PORT}/api/docs
  Demo logins (password demo1234): admin, manager, purchaser, warehouse, sales, finance

MSG
# The webhook delivery worker runs beside the web server and stops with it.
.venv/bin/flask webhooks-deliver > instance/webhooks-deliver.log 2>&1 &
WEBHOOK_WORKER=$!
trap 'kill "$WEBHOOK_WORKER" 2>/dev/null || true' EXIT
.venv/bin/gunicorn "${WORKER_ARGS[@]}" -b "0.0.0.0:${PORT}" --access-logfile - 'backend:create_app()'
