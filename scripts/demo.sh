#!/usr/bin/env bash
# The main job, from nothing: set up .venv, serve the bundled demo portal on 127.0.0.1,
# crawl it into the embedded SQLite database, and print the run summary.
# Extra arguments go to `scrapy crawl`, e.g. scripts/demo.sh -s LOG_LEVEL=WARNING
# The portal listens on 127.0.0.1:8765 (DEMO_PORT changes it). Keep the port from run to run:
# article URLs include it, and a re-run must find the same URLs to add no rows.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/setup.sh
setup_venv requirements.txt

portal_log=$(mktemp)
.venv/bin/python -m demo_portal --port "${DEMO_PORT:-8765}" >"$portal_log" 2>&1 &
portal_pid=$!
trap 'kill "$portal_pid" 2>/dev/null || true; rm -f "$portal_log"' EXIT
for _ in $(seq 100); do
  grep -q '^http://' "$portal_log" && break
  kill -0 "$portal_pid" 2>/dev/null || { cat "$portal_log" >&2; exit 1; }
  sleep 0.1
done
DEMO_PORTAL_URL=$(grep -m1 '^http://' "$portal_log")
export DEMO_PORTAL_URL
echo "Demo portal at $DEMO_PORTAL_URL; crawling it into ${DATABASE_URL:-data/articles.sqlite3}" >&2

status=0
SCRAPY_SETTINGS_MODULE=settings.demo .venv/bin/scrapy crawl portal -a site=demo "$@" || status=$?
exit "$status"
