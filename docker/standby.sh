#!/bin/sh
# Container start of the streaming standby (docker-compose.scale.yml): on
# the first start, copy the primary with pg_basebackup -R (which writes
# standby.signal and primary_conninfo), then run PostgreSQL as a hot
# standby. Later starts resume streaming from where the copy stands.
set -eu
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  echo "standby: copying the primary (pg_basebackup -R from db)"
  pg_basebackup -h db -p 5432 -U replicator -D "$PGDATA" -R -X stream -c fast
  chmod 700 "$PGDATA"
fi
exec postgres -c hot_standby=on
