#!/usr/bin/env bash
# Makes sure a streaming standby of the private cluster of scripts/db.sh
# runs, and exports REPLICA_DATABASE_URLS (the service's role on it).
#
# Source it after scripts/db.sh (". scripts/db.sh; . scripts/standby.sh");
# scripts/bench --standby does. The first time it copies the cluster with
# pg_basebackup -R (loopback, the replication connection initdb's trust
# rules allow) into a folder next to the cluster's; later it reuses the
# copy, restarting it when it does not stream from the cluster (a new
# port, say). A copy of another cluster is replaced. As root, the server
# runs as the postgres user, like scripts/db.sh's.
#
# Also exports FLOWLENS_STANDBY_PORT.

flowlens_standby_main() {
  if [ -z "${FLOWLENS_PGDATA:-}" ] || [ -z "${FLOWLENS_PGPORT:-}" ]; then
    echo "standby: needs the private cluster of scripts/db.sh (source scripts/db.sh first; an external DATABASE_URL has no standby here)" >&2
    return 1
  fi
  local bin="$FLOWLENS_PGBIN" base data
  base="$(dirname "$FLOWLENS_PGDATA")-standby"
  data="$base/data"
  local as=()
  [ "$(id -u)" = "0" ] && as=(runuser -u postgres --)
  mkdir -p "$base"
  [ "$(id -u)" = "0" ] && chown postgres: "$base"
  chmod 700 "$base"

  local sysid copied=""
  sysid="$(psql "$DATABASE_URL" -Atqc 'SELECT system_identifier FROM pg_control_system()')"
  [ -f "$base/primary-sysid" ] && copied="$(cat "$base/primary-sysid")"
  if [ -f "$data/PG_VERSION" ] && [ "$copied" != "$sysid" ]; then
    echo "standby: $data is a copy of another cluster: replacing it" >&2
    "${as[@]}" "$bin/pg_ctl" -D "$data" stop -m immediate >/dev/null 2>&1 || true
    rm -rf "$data"
  fi
  if [ ! -f "$data/PG_VERSION" ]; then
    echo "standby: copying the cluster (pg_basebackup -R) into $data" >&2
    "${as[@]}" "$bin/pg_basebackup" -D "$data" -R -X stream -c fast -h 127.0.0.1 -p "$FLOWLENS_PGPORT" -U postgres \
      || { echo "standby: pg_basebackup failed" >&2; return 1; }
    echo "$sysid" >"$base/primary-sysid"
  fi

  local port=""
  if "${as[@]}" "$bin/pg_ctl" -D "$data" status >/dev/null 2>&1; then
    port="$(cat "$base/port" 2>/dev/null)"
    local streaming
    streaming="$(psql "postgres://postgres@127.0.0.1:$port/postgres?sslmode=disable" -Atqc "SELECT count(*) FROM pg_stat_wal_receiver WHERE status = 'streaming' AND conninfo ~ 'port=$FLOWLENS_PGPORT( |$)'" 2>/dev/null)"
    if [ "$streaming" = "1" ]; then
      echo "standby: reusing the running standby on port $port" >&2
    else
      echo "standby: the running standby does not stream from port $FLOWLENS_PGPORT: restarting it" >&2
      "${as[@]}" "$bin/pg_ctl" -D "$data" stop -m fast -w >/dev/null
      port=""
    fi
  fi
  if [ -z "$port" ]; then
    port="$(flowlens_free_port)"
    echo "$port" >"$base/port"
    echo "standby: starting the standby on 127.0.0.1:$port" >&2
    "${as[@]}" "$bin/pg_ctl" -D "$data" -l "$base/server.log" -w -t 60 \
      -o "-p $port -k $base $FLOWLENS_PGSETTINGS -c hot_standby=on -c primary_conninfo='host=127.0.0.1 port=$FLOWLENS_PGPORT user=postgres'" \
      start >/dev/null \
      || { echo "standby: pg_ctl start failed, see $base/server.log" >&2; tail -5 "$base/server.log" >&2; return 1; }
  fi
  export FLOWLENS_STANDBY_PORT="$port"
  export REPLICA_DATABASE_URLS="postgres://flowlens_app@127.0.0.1:$port/postgres?sslmode=disable"
}

flowlens_standby_main
