#!/usr/bin/env bash
# The whole check, as CI runs it: lint, Dockerfile lint, migrations check, then the test
# suite on SQLite and again on PostgreSQL. Exits non-zero on the first failure.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/python-env.sh
bash scripts/system-packages.sh
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

echo "== tests on SQLite"
run_pytest "$@"

echo "== course examples"
python manage.py check_course courses/python-web-development

echo "== tests on PostgreSQL"
DATABASE_URL=$(bash scripts/postgres.sh)
export DATABASE_URL
run_pytest "$@"
