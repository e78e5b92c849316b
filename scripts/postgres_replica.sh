#!/bin/sh
# Entrypoint of the `postgres-replica` service (docker-compose.yml, profile "scale"): on first
# start, clone the primary with pg_basebackup -R (a streaming replica: standby.signal and
# primary_conninfo), then run PostgreSQL as the official image does. Later starts find the
# data directory and go straight to streaming.
set -eu
PRIMARY_HOST="${PRIMARY_HOST:-postgres}"
export PGPASSWORD="$POSTGRES_PASSWORD"

if [ ! -s "$PGDATA/PG_VERSION" ]; then
    until pg_isready -q -h "$PRIMARY_HOST" -U "$POSTGRES_USER" -d "$POSTGRES_DB"; do
        sleep 1
    done
    # The official image's pg_hba.conf admits every database but not replication: add one
    # line for this user on the primary, once, and reload it (COPY ... TO PROGRAM runs there).
    psql -v ON_ERROR_STOP=1 -h "$PRIMARY_HOST" -U "$POSTGRES_USER" -d "$POSTGRES_DB" <<SQL
COPY (SELECT 'host replication $POSTGRES_USER all scram-sha-256')
  TO PROGRAM 'grep -q "^host replication $POSTGRES_USER all" "\$PGDATA/pg_hba.conf" || cat >> "\$PGDATA/pg_hba.conf"';
SELECT pg_reload_conf();
SQL
    mkdir -p "$PGDATA"
    chown postgres:postgres "$PGDATA"
    chmod 700 "$PGDATA"
    gosu postgres pg_basebackup -h "$PRIMARY_HOST" -U "$POSTGRES_USER" -D "$PGDATA" \
        -R -X stream -c fast
fi
exec docker-entrypoint.sh postgres -c hot_standby=on
