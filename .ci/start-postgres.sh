#!/usr/bin/env bash
# Start a throwaway PostgreSQL server on 127.0.0.1 for the store's tests and print the URL to
# export as CAMFLEET_TEST_POSTGRES_URL, e.g.
#   export CAMFLEET_TEST_POSTGRES_URL="$(.ci/start-postgres.sh)"
# Needs Debian's `postgresql` package. Runs as root (CI) or as the postgres user.
# Stop it with: .ci/start-postgres.sh stop
set -euo pipefail

port="${CAMFLEET_PG_PORT:-54329}"
root="${CAMFLEET_PG_DIR:-/tmp/camfleet-pg}"
bin="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)"
if [[ -z "$bin" ]]; then
  echo "start-postgres: PostgreSQL binaries not found; apt-get install -y postgresql" >&2
  exit 1
fi

as_postgres() {
  if [[ "$(id -u)" == 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}

if [[ "${1:-start}" == stop ]]; then
  as_postgres "$bin/pg_ctl" -D "$root/data" -m fast stop >&2
  exit 0
fi

if [[ -f "$root/data/postmaster.pid" ]]; then
  as_postgres "$bin/pg_ctl" -D "$root/data" -m fast stop >&2 || true
fi
rm -rf "$root"
mkdir -p "$root"
if [[ "$(id -u)" == 0 ]]; then chown postgres: "$root"; fi
as_postgres "$bin/initdb" -D "$root/data" -U postgres -A trust -E UTF8 >"$root/initdb.log"
as_postgres "$bin/pg_ctl" -D "$root/data" -l "$root/server.log" -w \
  -o "-p $port -k $root -c listen_addresses=127.0.0.1" start >&2
as_postgres "$bin/createdb" -h 127.0.0.1 -p "$port" -U postgres camfleet_test
echo "postgresql+psycopg://postgres@127.0.0.1:$port/camfleet_test"
