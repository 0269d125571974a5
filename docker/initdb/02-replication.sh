#!/bin/sh
# Runs once, when the Compose database is first created: a role that may
# only replicate, for the standby of docker-compose.scale.yml
# (docker/standby.sh), and the pg_hba.conf line that lets it in from the
# Compose network. Without the standby it is unused.
set -eu
psql -v ON_ERROR_STOP=1 -U "$POSTGRES_USER" -d "$POSTGRES_DB" \
  -c "CREATE ROLE replicator LOGIN REPLICATION PASSWORD 'replicator' NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT"
echo "host replication replicator all scram-sha-256" >> "$PGDATA/pg_hba.conf"
