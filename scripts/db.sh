#!/usr/bin/env bash
# Makes sure a PostgreSQL 15 server is reachable and exports DATABASE_URL.
#
# Source it (". scripts/db.sh") so DATABASE_URL reaches the caller. It uses
# DATABASE_URL when that is set and reachable; otherwise it starts (or
# reuses) a private cluster built with the installed PostgreSQL 15 server
# binaries, in a folder under the system's temporary directory named after
# this checkout, on a free loopback port. As root, initdb and pg_ctl run as
# the postgres system user, which both require.
#
# Also exports APP_DATABASE_URL (the service's non-owner role, flowlens_app),
# FLOWLENS_PGDATA (the cluster's folder, empty when an external
# DATABASE_URL is used) and FLOWLENS_PGPORT.

flowlens_db_main() {
  local here root
  here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
  root="$(cd "$here/.." && pwd)"

  if [ -n "${DATABASE_URL:-}" ] && command -v psql >/dev/null 2>&1 \
     && psql "$DATABASE_URL" -Atqc 'select 1' >/dev/null 2>&1; then
    echo "db: using DATABASE_URL (reachable)" >&2
    export FLOWLENS_PGDATA=""
    return 0
  fi
  if [ -n "${DATABASE_URL:-}" ]; then
    echo "db: DATABASE_URL is set but not reachable; starting a private cluster instead" >&2
  fi

  local bindir=""
  for d in /usr/lib/postgresql/15/bin /usr/local/pgsql/bin; do
    [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ] && { bindir="$d"; break; }
  done
  if [ -z "$bindir" ] && command -v pg_ctl >/dev/null 2>&1; then
    bindir="$(dirname "$(readlink -f "$(command -v pg_ctl)")")"
  fi
  if [ -z "$bindir" ] || [ ! -x "$bindir/postgres" ]; then
    echo "db: the PostgreSQL 15 server binaries (initdb, pg_ctl, postgres) are missing." >&2
    echo "db: on Debian install them with: apt-get install -y postgresql-15" >&2
    return 1
  fi

  local tmp="${TMPDIR:-/tmp}"
  local name sum
  name="$(basename "$root" | tr -c 'A-Za-z0-9_.\n-' '_')"
  sum="$(printf '%s' "$root" | cksum | cut -d' ' -f1)"
  local base="${FLOWLENS_PGBASE:-$tmp/flowlens-pg-$name-$sum}"
  local data="$base/data"
  local sock="$base"

  local as=()
  if [ "$(id -u)" = "0" ]; then
    if ! id postgres >/dev/null 2>&1; then
      echo "db: running as root but there is no 'postgres' system user to run initdb as" >&2
      return 1
    fi
    as=(runuser -u postgres --)
  fi

  mkdir -p "$base"
  [ "$(id -u)" = "0" ] && chown postgres: "$base"
  chmod 700 "$base"

  if [ ! -f "$data/PG_VERSION" ]; then
    echo "db: creating a private cluster in $data" >&2
    "${as[@]}" "$bindir/initdb" -D "$data" -U postgres -A trust -E UTF8 --no-locale >"$base/initdb.log" 2>&1 \
      || { echo "db: initdb failed, see $base/initdb.log" >&2; return 1; }
  fi

  # The server's settings (scripts/standby.sh starts its standby with the
  # same ones).
  export FLOWLENS_PGSETTINGS="-c listen_addresses=127.0.0.1 -c max_connections=200 -c shared_buffers=512MB -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_wal_size=4GB -c work_mem=32MB -c max_stack_depth=7MB -c maintenance_work_mem=512MB"
  local port=""
  if "${as[@]}" "$bindir/pg_ctl" -D "$data" status >/dev/null 2>&1; then
    port="$(cat "$base/port" 2>/dev/null)"
    echo "db: reusing the running private cluster on port $port" >&2
  else
    port="$(flowlens_free_port)"
    echo "$port" >"$base/port"
    [ "$(id -u)" = "0" ] && chown postgres: "$base/port"
    echo "db: starting the private cluster on 127.0.0.1:$port" >&2
    "${as[@]}" "$bindir/pg_ctl" -D "$data" -l "$base/server.log" -w -t 30 \
      -o "-p $port -k $sock $FLOWLENS_PGSETTINGS" \
      start >/dev/null \
      || { echo "db: pg_ctl start failed, see $base/server.log" >&2; tail -5 "$base/server.log" >&2; return 1; }
  fi

  export FLOWLENS_PGDATA="$data"
  export FLOWLENS_PGBIN="$bindir"
  export FLOWLENS_PGPORT="$port"
  export DATABASE_URL="postgres://postgres@127.0.0.1:$port/postgres?sslmode=disable"
  if ! psql "$DATABASE_URL" -Atqc 'select 1' >/dev/null 2>&1; then
    echo "db: the private cluster does not answer on port $port" >&2
    return 1
  fi
  # The service's own role: not superuser, no BYPASSRLS, owns nothing; the
  # migrations grant it read access and row-level security confines it to
  # one account per transaction. DATABASE_URL (postgres, the owner) runs
  # migrate, seed and token; APP_DATABASE_URL is what `flowlens serve` uses.
  psql "$DATABASE_URL" -qAtc "DO \$\$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'flowlens_app') THEN CREATE ROLE flowlens_app LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE NOINHERIT; END IF; END \$\$;" >/dev/null
  export APP_DATABASE_URL="postgres://flowlens_app@127.0.0.1:$port/postgres?sslmode=disable"
}

flowlens_free_port() {
  local p
  for _ in $(seq 1 50); do
    p=$(( 20000 + RANDOM % 20000 ))
    if ! (echo >"/dev/tcp/127.0.0.1/$p") >/dev/null 2>&1; then
      echo "$p"; return 0
    fi
  done
  echo 54329
}

flowlens_db_main
