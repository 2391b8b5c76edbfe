#!/usr/bin/env bash
# Starts a throwaway PostgreSQL cluster for tests and for making migrations: initdb into a fresh
# temp folder, run as the postgres user, listening on 127.0.0.1 only, trusting loopback connections.
# Usage: scripts/throwaway-postgres.sh start PORT   (creates and starts a cluster; prints the admin URL)
#        scripts/throwaway-postgres.sh pause PORT   (stops the server, keeps its data)
#        scripts/throwaway-postgres.sh resume PORT  (starts it again on the same data)
#        scripts/throwaway-postgres.sh stop PORT    (stops the server and deletes the cluster)
set -euo pipefail
PG_BIN="${PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)}"
command="${1:?start or stop}"
port="${2:?port}"
state="/tmp/gatehouse-pg-$port"
as_postgres() { if [ "$(id -un)" = postgres ]; then "$@"; else runuser -u postgres -- "$@"; fi; }

case "$command" in
  start)
    if [ -f "$state/dir" ] && as_postgres "$PG_BIN/pg_ctl" -D "$(cat "$state/dir")/data" status >/dev/null 2>&1; then
      echo "postgres://postgres@127.0.0.1:$port/postgres"; exit 0
    fi
    dir="$(mktemp -d /tmp/gatehouse-pgdata-XXXXXX)"
    chown postgres: "$dir"
    mkdir -p "$state"; echo "$dir" > "$state/dir"
    as_postgres "$PG_BIN/initdb" -D "$dir/data" -U postgres --auth=trust --encoding=UTF8 --locale=C.UTF-8 >"$dir/initdb.log"
    # Loopback only; fsync off because the cluster is thrown away (tests need speed, not durability).
    cat >> "$dir/data/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$dir'
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = 300
CONF
    if ! as_postgres "$PG_BIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w start >/dev/null; then
      # Say why (the port taken, most often) before cleaning up, so a failed run can be read.
      echo "throwaway-postgres: the server did not start on port $port; its log:" >&2
      tail -n 20 "$dir/server.log" >&2 || true
      rm -rf "$dir" "$state"
      exit 1
    fi
    echo "postgres://postgres@127.0.0.1:$port/postgres"
    ;;
  pause)
    as_postgres "$PG_BIN/pg_ctl" -D "$(cat "$state/dir")/data" -m fast -w stop >/dev/null
    ;;
  resume)
    dir="$(cat "$state/dir")"
    as_postgres "$PG_BIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w start >/dev/null
    ;;
  stop)
    [ -f "$state/dir" ] || exit 0
    dir="$(cat "$state/dir")"
    as_postgres "$PG_BIN/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null || true
    rm -rf "$dir" "$state"
    ;;
  *) echo "usage: $0 start|pause|resume|stop PORT" >&2; exit 2 ;;
esac
