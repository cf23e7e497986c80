#!/bin/sh
# First start of the postgres container: the gitea database beside openproject, and a read-only role for
# Monitor's postgres check (pg_monitor reads every pg_stat_* view, nothing else).
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
  -v monitor_password="$PG_MONITOR_PASSWORD" <<'SQL'
CREATE DATABASE gitea OWNER maxops;
CREATE ROLE monitor LOGIN PASSWORD :'monitor_password' IN ROLE pg_monitor;
SQL
