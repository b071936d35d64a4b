#!/usr/bin/env bash
# Start (or stop) a throwaway PostgreSQL on loopback for the tests, and print the URL to use.
#   eval "$(scripts/postgres.sh start DIR)"   # exports BYOT_TEST_POSTGRES_URL
#   scripts/postgres.sh stop DIR
# PostgreSQL refuses to run as root, so the server runs as the 'postgres' user, in DIR.
set -euo pipefail
action=${1:?start or stop}
dir=${2:?a folder for the cluster}

free_port() {
  # The first free port from 54329 up on loopback (another server, or a developer's, may hold one).
  python3 -c '
import socket
for port in range(54329, 54429):
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            continue
        print(port)
        break
'
}

pgbin() {
  ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1
}

as_postgres() {
  if [ "$(id -u)" = 0 ]; then su postgres -s /bin/bash -c "$*"; else bash -c "$*"; fi
}

case "$action" in
  start)
    if [ -z "$(pgbin)" ]; then
      echo "installing PostgreSQL (Debian package)" >&2
      if [ "$(id -u)" = 0 ]; then
        apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
      else
        echo "PostgreSQL is not installed and this user cannot install it" >&2
        exit 1
      fi
    fi
    bin=$(pgbin)
    port=${BYOT_TEST_POSTGRES_PORT:-$(free_port)}
    mkdir -p "$dir"
    [ "$(id -u)" = 0 ] && chown postgres "$dir"
    if [ ! -f "$dir/data/PG_VERSION" ]; then
      as_postgres "'$bin/initdb' -D '$dir/data' -A trust -U postgres --no-sync -E UTF8" >&2
    fi
    if as_postgres "'$bin/pg_ctl' -D '$dir/data' status" >/dev/null 2>&1; then
      echo "PostgreSQL already running in $dir" >&2
      port=$(sed -n 4p "$dir/data/postmaster.pid")
    else
    as_postgres "'$bin/pg_ctl' -D '$dir/data' -l '$dir/server.log' -w -t 60 start \
      -o \"-c listen_addresses=127.0.0.1 -p $port -k '$dir' -c fsync=off -c max_connections=200\"" >&2
    fi
    echo "export BYOT_TEST_POSTGRES_URL=postgresql+asyncpg://postgres@127.0.0.1:$port/postgres"
    ;;
  stop)
    bin=$(pgbin)
    as_postgres "'$bin/pg_ctl' -D '$dir/data' -m fast -w stop" >&2 || true
    ;;
  *)
    echo "usage: $0 start|stop DIR" >&2
    exit 2
    ;;
esac
