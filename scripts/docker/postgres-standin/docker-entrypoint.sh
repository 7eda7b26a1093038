#!/usr/bin/env bash
# Entrypoint of the LOCAL TEST image aiida-test/postgres:15-local (built by
# scripts/docker/build-test-images.sh from Debian bookworm's postgresql-15).
# It stands in for the official postgres image's docker-entrypoint.sh and honours the part of
# its contract that the project relies on:
#   POSTGRES_USER (default postgres), POSTGRES_PASSWORD or POSTGRES_PASSWORD_FILE,
#   POSTGRES_DB (default $POSTGRES_USER, created on first start), POSTGRES_INITDB_ARGS,
#   POSTGRES_HOST_AUTH_METHOD (default scram-sha-256), PGDATA (default /var/lib/postgresql/data),
#   /docker-entrypoint-initdb.d/*.sh|*.sql|*.sql.gz run once on first start.
# First start (no $PGDATA/PG_VERSION): initdb with scram-sha-256, listen_addresses='*',
# pg_hba "host all all all scram-sha-256". Later starts keep the data and skip all of that.
# Secrets files are read as root before dropping to the postgres user, so a file uploaded with
# `docker cp` (root-owned, mode 0400/0600) still works. The server runs in the foreground as
# the unprivileged postgres user (exec, so SIGINT/SIGTERM reach it).
set -Eeuo pipefail

log() { printf '%s [entrypoint] %s\n' "$(date -u '+%Y-%m-%d %H:%M:%S UTC')" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# file_env VAR [DEFAULT]: VAR from $VAR or from the file named by $VAR_FILE (not both).
file_env() {
  local var="$1" fvar="${1}_FILE" def="${2:-}" val
  if [ -n "${!var:-}" ] && [ -n "${!fvar:-}" ]; then
    die "both $var and $fvar are set (but are exclusive)"
  fi
  val="$def"
  if [ -n "${!var:-}" ]; then
    val="${!var}"
  elif [ -n "${!fvar:-}" ]; then
    [ -r "${!fvar}" ] || die "$fvar=${!fvar}: file missing or unreadable (uid $(id -u))"
    val="$(<"${!fvar}")"
  fi
  export "$var"="$val"
  unset "$fvar"
}

# as_postgres CMD...: run CMD as the postgres user (directly when we already are not root).
as_postgres() {
  if [ "$(id -u)" -eq 0 ]; then
    HOME=/var/lib/postgresql setpriv --reuid=postgres --regid=postgres --init-groups -- "$@"
  else
    "$@"
  fi
}

# `docker run IMAGE -c foo=bar` means `postgres -c foo=bar`, as in the official image.
if [ "${1:0:1}" = '-' ]; then
  set -- postgres "$@"
fi
if [ "$1" != 'postgres' ]; then
  exec "$@"
fi
shift

export PGDATA="${PGDATA:-/var/lib/postgresql/data}"
file_env POSTGRES_USER postgres
file_env POSTGRES_PASSWORD
file_env POSTGRES_DB "$POSTGRES_USER"
file_env POSTGRES_INITDB_ARGS
: "${POSTGRES_HOST_AUTH_METHOD:=scram-sha-256}"

if [ "$(id -u)" -eq 0 ]; then
  mkdir -p "$PGDATA" /var/run/postgresql
  chown postgres:postgres "$PGDATA" /var/run/postgresql
  chmod 0700 "$PGDATA"
  chmod 3777 /var/run/postgresql
fi

if [ -s "$PGDATA/PG_VERSION" ]; then
  log "PostgreSQL database directory $PGDATA contains a database (PG_VERSION $(<"$PGDATA/PG_VERSION")); skipping initialization"
else
  if [ -z "$POSTGRES_PASSWORD" ] && [ "$POSTGRES_HOST_AUTH_METHOD" != trust ]; then
    die "database is uninitialized and superuser password is not specified: set POSTGRES_PASSWORD or POSTGRES_PASSWORD_FILE (or POSTGRES_HOST_AUTH_METHOD=trust)"
  fi
  log "initializing $PGDATA (user $POSTGRES_USER, database $POSTGRES_DB, host auth $POSTGRES_HOST_AUTH_METHOD)"
  pwfile="$(mktemp /tmp/pgpw.XXXXXX)"
  trap 'rm -f "$pwfile"' EXIT
  printf '%s\n' "$POSTGRES_PASSWORD" >"$pwfile"
  [ "$(id -u)" -eq 0 ] && chown postgres:postgres "$pwfile"
  # shellcheck disable=SC2086 # POSTGRES_INITDB_ARGS is a list of flags, as in the official image
  as_postgres initdb --username="$POSTGRES_USER" --pwfile="$pwfile" \
    --auth-local=trust --auth-host=scram-sha-256 \
    --encoding=UTF8 --locale=C.UTF-8 $POSTGRES_INITDB_ARGS
  rm -f "$pwfile"
  trap - EXIT
  {
    printf "\n# added by the aiida-test stand-in entrypoint\nlisten_addresses = '*'\npassword_encryption = scram-sha-256\n"
  } >>"$PGDATA/postgresql.conf"
  {
    printf '\n# added by the aiida-test stand-in entrypoint\nhost all all all %s\n' "$POSTGRES_HOST_AUTH_METHOD"
  } >>"$PGDATA/pg_hba.conf"

  # Temporary server on the unix socket only, for CREATE DATABASE and init scripts.
  as_postgres pg_ctl -D "$PGDATA" -o "-c listen_addresses='' -p 5432" -w -t 60 start >/dev/null
  psql_() { as_postgres psql -v ON_ERROR_STOP=1 --no-psqlrc --no-password --username "$POSTGRES_USER" "$@"; }
  if [ "$POSTGRES_DB" != postgres ]; then
    log "creating database $POSTGRES_DB"
    psql_ --dbname postgres --set db="$POSTGRES_DB" -q <<<'CREATE DATABASE :"db";'
  fi
  if [ -d /docker-entrypoint-initdb.d ]; then
    for f in /docker-entrypoint-initdb.d/*; do
      [ -e "$f" ] || continue
      case "$f" in
        *.sh) log "running $f"; as_postgres env POSTGRES_PASSWORD="$POSTGRES_PASSWORD" bash "$f" ;;
        *.sql) log "running $f"; psql_ --dbname "$POSTGRES_DB" -f "$f" ;;
        *.sql.gz) log "running $f"; gunzip -c "$f" | psql_ --dbname "$POSTGRES_DB" ;;
        *) log "ignoring $f" ;;
      esac
    done
  fi
  as_postgres pg_ctl -D "$PGDATA" -m fast -w stop >/dev/null
  log "initialization complete"
fi

# The password is not needed by the server: keep it out of its environment.
unset POSTGRES_PASSWORD
log "starting PostgreSQL $(postgres --version | awk '{print $3}') as user postgres in the foreground"
if [ "$(id -u)" -eq 0 ]; then
  exec setpriv --reuid=postgres --regid=postgres --init-groups -- postgres "$@"
fi
exec postgres "$@"
