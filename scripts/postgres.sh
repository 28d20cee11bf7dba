#!/usr/bin/env bash
# Start (or stop) a throw-away PostgreSQL cluster for tests and benchmarks.
#
#   scripts/postgres.sh start   # prints the DATABASE_URL to use
#   scripts/postgres.sh stop
#
# The cluster lives in a private directory and listens on loopback only, on
# its own port, so it never touches a system cluster. Needs Debian's
# postgresql package (`apt-get install postgresql`).
set -euo pipefail

PGPORT="${SHIXUN_PG_PORT:-54329}"
PGDATA="${SHIXUN_PG_DIR:-/tmp/shixun-pg-$PGPORT}"
PGBIN="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)"
[ -n "$PGBIN" ] || { echo "PostgreSQL is not installed: apt-get install postgresql" >&2; exit 1; }

as_postgres() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

case "${1:-start}" in
  start)
    if [ ! -f "$PGDATA/PG_VERSION" ]; then
      mkdir -p "$PGDATA"
      [ "$(id -u)" = 0 ] && chown postgres: "$PGDATA"
      as_postgres "$PGBIN/initdb" -D "$PGDATA" -U shixun --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
      cat >>"$PGDATA/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $PGPORT
unix_socket_directories = '$PGDATA'
max_connections = 300
fsync = off
synchronous_commit = off
full_page_writes = off
shared_buffers = 256MB
CONF
    fi
    if ! as_postgres "$PGBIN/pg_ctl" -D "$PGDATA" status >/dev/null 2>&1; then
      as_postgres "$PGBIN/pg_ctl" -D "$PGDATA" -l "$PGDATA/server.log" -w start >/dev/null
    fi
    as_postgres "$PGBIN/psql" -h 127.0.0.1 -p "$PGPORT" -U shixun -d postgres -tAc \
      "SELECT 1 FROM pg_database WHERE datname='shixun'" | grep -q 1 \
      || as_postgres "$PGBIN/createdb" -h 127.0.0.1 -p "$PGPORT" -U shixun shixun
    echo "postgres://shixun@127.0.0.1:$PGPORT/shixun"
    ;;
  stop)
    as_postgres "$PGBIN/pg_ctl" -D "$PGDATA" -m fast stop >/dev/null 2>&1 || true
    ;;
  *)
    echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
