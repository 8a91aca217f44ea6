#!/bin/sh
# Makes sure a PostgreSQL server answers on 127.0.0.1:$CIVITAS_PG_PORT (default 55432) with a
# role and a database for the indexer, then prints its connection URL on stdout (progress goes
# to stderr). Installs Debian's `postgresql` with apt-get when it is missing and runs a cluster
# of its own ("civitas", on the test port) with pg_createcluster/pg_ctlcluster, so the machine's
# default cluster is left alone. Idempotent: a second run finds everything in place and only
# prints the URL. Exits non-zero with the reason when PostgreSQL cannot be installed or started,
# so the tests that call it fail instead of skipping.
#   env: CIVITAS_PG_PORT (55432), CIVITAS_PG_USER (civitas), CIVITAS_PG_PASSWORD (civitas),
#        CIVITAS_PG_DB (civitas_indexer)
set -eu
PORT="${CIVITAS_PG_PORT:-55432}"
ROLE="${CIVITAS_PG_USER:-civitas}"
PASSWORD="${CIVITAS_PG_PASSWORD:-civitas}"
DB="${CIVITAS_PG_DB:-civitas_indexer}"
CLUSTER=civitas
say() { echo "ensure-postgres: $*" >&2; }
die() { say "$*"; exit 1; }

case "$ROLE$DB" in *[!a-z0-9_]*) die "CIVITAS_PG_USER and CIVITAS_PG_DB must be lowercase letters, digits and _" ;; esac
case "$PASSWORD" in *"'"*) die "CIVITAS_PG_PASSWORD must not contain a quote" ;; esac

URL="postgres://$ROLE:$PASSWORD@127.0.0.1:$PORT/$DB"
# Already serving with our role and database (a second run, or a server someone else started)?
if command -v psql >/dev/null 2>&1 && PGPASSWORD="$PASSWORD" PGCONNECT_TIMEOUT=5 psql -X -q -tA -h 127.0.0.1 -p "$PORT" -U "$ROLE" -d "$DB" -c "SELECT 1" >/dev/null 2>&1; then
  echo "$URL"
  exit 0
fi

latest_version() { ls /usr/lib/postgresql 2>/dev/null | sort -V | tail -n 1; }

if [ -z "$(latest_version)" ] || ! command -v pg_ctlcluster >/dev/null 2>&1; then
  [ "$(id -u)" = 0 ] || die "PostgreSQL is not installed and only root can install it: apt-get install -y postgresql"
  command -v apt-get >/dev/null 2>&1 || die "PostgreSQL is not installed and there is no apt-get here to install it"
  export DEBIAN_FRONTEND=noninteractive
  LOCK="-o DPkg::Lock::Timeout=900"
  say "installing postgresql with apt-get"
  # shellcheck disable=SC2086
  if ! apt-get $LOCK install -y postgresql >&2; then
    # A stale package index: refresh it once and retry.
    apt-get $LOCK update >&2
    apt-get $LOCK install -y postgresql >&2 || die "apt-get install postgresql failed"
  fi
fi
VERSION="$(latest_version)"
[ -n "$VERSION" ] || die "apt-get finished but /usr/lib/postgresql holds no server"
[ "$(id -u)" = 0 ] || die "managing the $CLUSTER cluster needs root (pg_createcluster/pg_ctlcluster)"

# Containers often start with an empty /run: the socket directory has to exist for the server.
mkdir -p /var/run/postgresql
chown postgres:postgres /var/run/postgresql

if ! pg_lsclusters -h 2>/dev/null | awk -v v="$VERSION" -v c="$CLUSTER" '$1 == v && $2 == c { found = 1 } END { exit !found }'; then
  say "creating cluster $VERSION/$CLUSTER on port $PORT"
  pg_createcluster "$VERSION" "$CLUSTER" -p "$PORT" -- --auth-local=peer --auth-host=scram-sha-256 >&2 || die "pg_createcluster failed"
fi
CPORT="$(pg_lsclusters -h | awk -v v="$VERSION" -v c="$CLUSTER" '$1 == v && $2 == c { print $3 }')"
[ "$CPORT" = "$PORT" ] || die "cluster $VERSION/$CLUSTER exists on port $CPORT, not $PORT: set CIVITAS_PG_PORT=$CPORT or drop it with pg_dropcluster --stop $VERSION $CLUSTER"

if ! pg_isready -q -h 127.0.0.1 -p "$PORT"; then
  say "starting cluster $VERSION/$CLUSTER"
  pg_ctlcluster "$VERSION" "$CLUSTER" start >&2 || die "pg_ctlcluster start failed; see /var/log/postgresql/postgresql-$VERSION-$CLUSTER.log"
  i=0
  until pg_isready -q -h 127.0.0.1 -p "$PORT"; do
    i=$((i + 1))
    [ "$i" -le 60 ] || die "the server did not accept connections on port $PORT within 30 s"
    sleep 0.5
  done
fi

psql_admin() { runuser -u postgres -- psql -X -q -v ON_ERROR_STOP=1 -p "$PORT" -h /var/run/postgresql -d postgres "$@"; }
psql_admin -tAc "SELECT 1 FROM pg_roles WHERE rolname = '$ROLE'" | grep -q 1 ||
  psql_admin -c "CREATE ROLE $ROLE LOGIN CREATEDB PASSWORD '$PASSWORD'" >&2 || die "cannot create role $ROLE"
psql_admin -tAc "SELECT 1 FROM pg_database WHERE datname = '$DB'" | grep -q 1 ||
  psql_admin -c "CREATE DATABASE $DB OWNER $ROLE" >&2 || die "cannot create database $DB"

echo "$URL"
