#!/usr/bin/env bash
# Make sure a PostgreSQL server answers on 127.0.0.1:5432 with a role and database for
# the test suite, installing and starting Debian's postgresql when needed. Idempotent.
# Prints the DATABASE_URL to use on stdout; everything else goes to stderr.
set -euo pipefail
PGUSER_NAME=${PG_TEST_USER:-coursesite}
PGPASS=${PG_TEST_PASSWORD:-coursesite}
PGDB=${PG_TEST_DB:-coursesite}

as_postgres() { if command -v runuser >/dev/null; then runuser -u postgres -- "$@"; else su postgres -c "$*"; fi; }

if ! pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then
  if ! command -v pg_ctlcluster >/dev/null; then
    echo "Installing PostgreSQL (Debian package)..." >&2
    apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
  fi
  PGVER=$(ls /usr/lib/postgresql | sort -n | tail -1)
  pg_lsclusters -h | grep -q "^$PGVER main" || pg_createcluster "$PGVER" main >&2
  pg_ctlcluster "$PGVER" main start >&2 || true   # exit 2 means it is already running
  for _ in $(seq 60); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 0.25; done
  pg_isready -q -h 127.0.0.1 -p 5432 || { echo "error: PostgreSQL did not start" >&2; exit 1; }
fi

# When we can act as the postgres superuser, create our role and database; on a
# server we do not own, the caller must provide PG_TEST_USER/PASSWORD/DB instead.
if id postgres >/dev/null 2>&1; then
  as_postgres psql -qtAc "SELECT 1 FROM pg_roles WHERE rolname='$PGUSER_NAME'" | grep -q 1 \
    || as_postgres psql -qc "CREATE ROLE $PGUSER_NAME LOGIN CREATEDB PASSWORD '$PGPASS'" >&2
  as_postgres psql -qtAc "SELECT 1 FROM pg_database WHERE datname='$PGDB'" | grep -q 1 \
    || as_postgres createdb -O "$PGUSER_NAME" "$PGDB" >&2
fi
echo "postgres://$PGUSER_NAME:$PGPASS@127.0.0.1:5432/$PGDB"
