#!/usr/bin/env bash
# The whole check, as CI runs it: lint, Dockerfile lint, migrations check, then the test
# suite on SQLite and again on PostgreSQL. Exits non-zero on the first failure.
set -euo pipefail
cd "$(dirname "$0")/.."
# What runs in the background stops with the script, whichever way it ends (a failed
# step left apt holding its lock for the next run; probe 91), and its files go.
postgres_url=$(mktemp)
postgres_log=$(mktemp)
cleanup() {
  local jobs_left
  jobs_left=$(jobs -pr)
  [ -z "$jobs_left" ] || kill $jobs_left 2>/dev/null || true
  rm -f "$postgres_url" "$postgres_log"
}
trap cleanup EXIT
# Debian's packages (apt) while pip fills the virtualenv: both wait on downloads.
bash scripts/system-packages.sh &
system_packages=$!
bash scripts/python-env.sh
wait "$system_packages"
export PATH="$PWD/.venv/bin:$PATH"
unset DATABASE_URL REDIS_URL DJANGO_DEBUG

echo "== ruff"
ruff check .
ruff format --check .
echo "== hadolint"
hadolint --no-color --failure-threshold warning Dockerfile
echo "== migrations are up to date"
python manage.py makemigrations --check --dry-run
echo "== collectstatic"
python manage.py collectstatic --noinput -v 0

run_pytest() {
  local status=0
  # One worker per core; worksteal keeps both busy while a long test (Schemathesis,
  # the migration test) runs on one of them.
  python -m pytest --create-db -n auto --dist worksteal "$@" || status=$?
  # pytest exits 5 when it collected nothing: that is a failure here, not a pass.
  if [ "$status" -eq 5 ]; then echo "error: no tests were collected" >&2; return 1; fi
  return "$status"
}

# PostgreSQL is installed (if need be) and started while the SQLite run goes: apt's
# downloads and unpacking wait on the network and the disk more than on the cores.
bash scripts/postgres.sh >"$postgres_url" 2>"$postgres_log" &
postgres_setup=$!

echo "== tests on SQLite ($SECONDS s in)"
run_pytest "$@"

echo "== course examples ($SECONDS s in)"
python manage.py check_course courses/python-web-development

echo "== tests on PostgreSQL ($SECONDS s in)"
status=0
wait "$postgres_setup" || status=$?
cat "$postgres_log" >&2
if [ "$status" -ne 0 ]; then
  echo "error: PostgreSQL could not be set up (scripts/postgres.sh exited $status)" >&2
  exit 1
fi
DATABASE_URL=$(tail -1 "$postgres_url")
export DATABASE_URL
# The tests that use no database (archives, Markdown, the Dockerfile...) ran on SQLite
# already: run again here, they would test nothing of PostgreSQL.
run_pytest --only-database-tests "$@"
echo "== done ($SECONDS s in all)"
