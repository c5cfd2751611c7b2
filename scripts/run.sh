#!/usr/bin/env bash
# Serve the site for development (make run [PORT=8001]) with the task worker beside it.
#
# Emails (invitations, released grades) and autograding runs are background tasks. The
# worker runs here next to the server, as in production, rather than with the
# "immediate" tasks backend under DEBUG: that one would run an autograding build (up to
# minutes) inside the request that queued it, and the site would behave unlike
# production. Mail goes to the console backend, so invitation links print here.
#
# Both run in the background, each in its own process group, and the script waits:
# Ctrl-C, a TERM, or the server failing to start (port taken) stops both, their
# autoreloader children included.
set -euo pipefail
cd "$(dirname "$0")/.."

PORT="${1:-${PORT:-8000}}"
if ! [[ "$PORT" =~ ^[0-9]+$ ]] || (( PORT < 1 || PORT > 65535 )); then
  echo "error: PORT must be a number from 1 to 65535, got '$PORT' (make run PORT=8001)." >&2
  exit 2
fi

export DJANGO_DEBUG="${DJANGO_DEBUG:-1}"
# The development server answers each request on a new thread: a connection kept open
# for the next request (production's 600 s, for gunicorn's long-lived workers) would
# only wait for the garbage collector there. Django advises none in development.
export DJANGO_CONN_MAX_AGE="${DJANGO_CONN_MAX_AGE:-0}"
# Email links point at this server unless told otherwise.
export DJANGO_SITE_URL="${DJANGO_SITE_URL:-http://127.0.0.1:$PORT}"

set -m  # job control: each background job gets its own process group
.venv/bin/python manage.py db_worker &
worker=$!
.venv/bin/python manage.py runserver "127.0.0.1:$PORT" &
server=$!
stop_all() {
  kill -TERM -- "-$server" "-$worker" 2>/dev/null || true
  wait 2>/dev/null || true
}
trap stop_all EXIT
trap 'exit 130' INT TERM

echo "Serving $DJANGO_SITE_URL/ with the task worker (emails print here). Ctrl-C stops both."
wait "$server"
