#!/usr/bin/env bash
# Starts (or stops) the servers a PatrolHub cluster needs on this machine, as a non-root user, on private ports, with
# their data under .services/ (or $PATROLHUB_SERVICES; see below for a clone root alone may enter): PostgreSQL for the journal, Redis for cluster membership.
#
#   scripts/services.sh start     # prints the settings to export
#   scripts/services.sh stop
#
# They come from Debian's packages (postgresql, redis-server), installed if missing; their own services need not run.
set -euo pipefail
cd "$(dirname "$0")/.."
root=${PATROLHUB_SERVICES:-$PWD/.services}
# Below Linux's ephemeral range (32768-60999), so a client socket of some other program cannot hold them.
pg_port=${PATROLHUB_PG_PORT:-25432}
redis_port=${PATROLHUB_REDIS_PORT:-26379}
# Installed from Debian's packages when missing (as root, or with sudo).
if [ "${1:-}" = start ] && { ! ls -d /usr/lib/postgresql/*/bin >/dev/null 2>&1 || ! command -v redis-server >/dev/null; }; then
  sudo=$([ "$(id -u)" = 0 ] || echo sudo)
  $sudo apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq postgresql redis-server >&2
fi
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[ -n "$bin" ] || { echo "PostgreSQL is not installed: apt-get install postgresql" >&2; exit 1; }

# The servers will not run as root here: as root, they run as the users their packages create. Those must reach their
# data, so a clone in a folder only root may enter (root's home, a mktemp -d) keeps it under /var/tmp instead.
if [ -z "${PATROLHUB_SERVICES:-}" ] && [ "$(id -u)" = 0 ] && ! runuser -u postgres -- test -x "$PWD"; then
  root=/var/tmp/patrolhub-services-$(printf %s "$PWD" | sha1sum | cut -c1-12)
fi
as() { if [ "$(id -u)" = 0 ]; then (cd / && runuser -u postgres -- "$@"); else "$@"; fi; }
as_redis() { if [ "$(id -u)" = 0 ]; then (cd / && runuser -u redis -- "$@"); else "$@"; fi; }

case "${1:-}" in
  start)
    mkdir -p "$root/pg" "$root/redis"
    chmod 755 "$root"
    chmod 700 "$root/pg"
    if [ "$(id -u)" = 0 ]; then chown postgres "$root/pg"; chown redis "$root/redis"; fi
    if [ ! -f "$root/pg/PG_VERSION" ]; then
      as "$bin/initdb" -D "$root/pg" -U postgres --auth=trust --no-sync >/dev/null
    fi
    if as "$bin/pg_ctl" -D "$root/pg" status >/dev/null 2>&1; then
      pg_port=$(sed -n 4p "$root/pg/postmaster.pid")   # already running: on the port it was started on
    else
      as "$bin/pg_ctl" -D "$root/pg" -l "$root/pg/server.log" -w \
        -o "-p $pg_port -k $root/pg -c listen_addresses=127.0.0.1 -c fsync=on" start >/dev/null \
        || { echo "PostgreSQL did not start on port $pg_port: see $root/pg/server.log" >&2; exit 1; }
    fi
    as "$bin/psql" -h 127.0.0.1 -p "$pg_port" -U postgres -tAc "SELECT 1 FROM pg_roles WHERE rolname = 'patrolhub'" | grep -q 1 \
      || as "$bin/psql" -h 127.0.0.1 -p "$pg_port" -U postgres -qc "CREATE ROLE patrolhub LOGIN CREATEDB"
    as "$bin/psql" -h 127.0.0.1 -p "$pg_port" -U postgres -tAc "SELECT 1 FROM pg_database WHERE datname = 'patrolhub'" | grep -q 1 \
      || as "$bin/psql" -h 127.0.0.1 -p "$pg_port" -U postgres -qc "CREATE DATABASE patrolhub OWNER patrolhub"
    echo "export PATROLHUB_POSTGRES='Host=127.0.0.1;Port=$pg_port;Database=patrolhub;Username=patrolhub'"
    if command -v redis-server >/dev/null; then
      if ! redis-cli -p "$redis_port" ping >/dev/null 2>&1; then
        as_redis redis-server --port "$redis_port" --bind 127.0.0.1 --dir "$root/redis" --daemonize yes \
          --pidfile "$root/redis/redis.pid" --logfile "$root/redis/redis.log" --save "" --appendonly yes >/dev/null
        timeout 5 sh -c "until redis-cli -p $redis_port ping >/dev/null 2>&1; do sleep 0.1; done" \
          || { echo "Redis did not start on port $redis_port: see $root/redis/redis.log" >&2; exit 1; }
      fi
      echo "export PATROLHUB_REDIS='127.0.0.1:$redis_port'"
    fi
    ;;
  stop)
    if [ -f "$root/pg/PG_VERSION" ]; then as "$bin/pg_ctl" -D "$root/pg" -m fast stop >/dev/null 2>&1 || true; fi
    redis-cli -p "$redis_port" shutdown nosave >/dev/null 2>&1 || true
    ;;
  *)
    echo "usage: $0 start|stop" >&2
    exit 2
    ;;
esac
