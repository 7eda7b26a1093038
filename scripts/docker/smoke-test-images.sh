#!/usr/bin/env bash
# End-to-end check of the two local test images (build them first with build-test-images.sh):
#
#   scripts/docker/smoke-test-images.sh
#
# postgres stand-in: named volume, POSTGRES_PASSWORD_FILE uploaded with `docker cp` before start
# (root-owned, mode 0400, in a 0700 dir), POSTGRES_DB=aiida, port published on 127.0.0.1,
# psql from the host and from another container on a user-defined network (DNS alias), health
# check with pg_isready, prompt stop, replace the container on the same volume and find the
# data again; then a container shaped like components/database.ts (PGDATA below the mount,
# password file owned by uid 70, mode 0400, sent as a tar stream like the provider's uploads).
# emqx stand-in: etc/ (emqx.conf, certs, bootstrap files, secrets; owner 1000, 0400/0444) sent
# as a tar stream, `emqx ctl status`, health check, published ports 1883 and 18083
# (GET /status, built-in user REST calls with the bootstrap API key), prompt stop, restart; a
# container without emqx.conf and one with an unreadable key file must exit non-zero.
# Everything it creates (containers, volumes, network) is removed at the end; images are kept.
# Ends with a line "N passed, M failed" and exits non-zero if any check failed.
set -euo pipefail
LOG_TAG="smoke-test"
HERE="$(dirname "$(readlink -f "$0")")"
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$HERE/lib.sh"

PG_TAG="${AIIDA_TEST_POSTGRES_IMAGE:-aiida-test/postgres:15-local}"
EMQX_TAG="${AIIDA_TEST_EMQX_IMAGE:-aiida-test/emqx-standin:5.8.6}"
command -v psql >/dev/null 2>&1 || ensure_pkgs postgresql-client
docker_ok || die "no Docker engine answers: run scripts/docker/start-engine.sh"
for t in "$PG_TAG" "$EMQX_TAG"; do
  docker image inspect "$t" >/dev/null 2>&1 || die "image $t missing: run scripts/docker/build-test-images.sh"
done

ID="aiida-smoke-$$"
NET="$ID-net"
VOL="$ID-pgdata"
TMP="$(mktemp -d /tmp/aiida-smoke.XXXXXX)"
case "$TMP" in /tmp/aiida-smoke.*) ;; *) die "mktemp gave an unexpected path: $TMP" ;; esac
PASSED=0
FAILED=0

cleanup() {
  local c
  for c in $(docker ps -aq --filter "name=^$ID-"); do docker rm -f -v "$c" >/dev/null 2>&1 || true; done
  docker volume rm "$VOL" "$VOL-2" >/dev/null 2>&1 || true
  docker network rm "$NET" >/dev/null 2>&1 || true
  rm -rf "$TMP"
  log "cleaned up containers, volume and network of $ID"
}
trap cleanup EXIT

ok() { PASSED=$((PASSED + 1)); log "PASS: $*"; }
ko() { FAILED=$((FAILED + 1)); log "FAIL: $*"; }
# check DESCRIPTION CMD...: run CMD, count it.
check() { local d="$1"; shift; if "$@"; then ok "$d"; else ko "$d"; fi; }

free_port() {
  local p
  while :; do
    p=$((20000 + RANDOM % 40000))
    (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return; }
  done
}

# wait_health CONTAINER SECONDS: 0 once healthy; 1 if it exits or the time runs out.
wait_health() {
  local c="$1" n="$2" s
  for _ in $(seq 1 $((n * 2))); do
    s="$(docker inspect -f '{{.State.Status}} {{if .State.Health}}{{.State.Health.Status}}{{end}}' "$c")"
    case "$s" in
      "running healthy") return 0 ;;
      exited* | dead*) log "$c exited: $s"; docker logs --tail 30 "$c" >&2; return 1 ;;
    esac
    sleep 0.5
  done
  log "$c not healthy after ${n}s: $s"; docker logs --tail 30 "$c" >&2; return 1
}

# wait_exit CONTAINER SECONDS: prints the exit code once the container stopped.
wait_exit() {
  local c="$1" n="$2"
  for _ in $(seq 1 $((n * 2))); do
    [ "$(docker inspect -f '{{.State.Status}}' "$c")" = exited ] && { docker inspect -f '{{.State.ExitCode}}' "$c"; return; }
    sleep 0.5
  done
  echo running
}

timed_stop() {
  local c="$1" t0 t1
  t0=$(date +%s%N); docker stop -t 10 "$c" >/dev/null; t1=$(date +%s%N)
  echo $(((t1 - t0) / 1000000))
}

docker network create "$NET" >/dev/null
log "network $NET"

# ---------------------------------------------------------------- postgres stand-in
PW="smoke-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')"
mkdir -m 0700 "$TMP/secrets"
printf '%s' "$PW" >"$TMP/secrets/postgres-password"
chmod 0400 "$TMP/secrets/postgres-password"
PGPORT_HOST="$(free_port)"

create_pg() {
  docker create --name "$1" --network "$NET" --network-alias postgres \
    -v "$VOL:/var/lib/postgresql/data" \
    -e POSTGRES_PASSWORD_FILE=/run/secrets/postgres-password -e POSTGRES_DB=aiida \
    -p "127.0.0.1:$PGPORT_HOST:5432" \
    --health-cmd 'pg_isready -h 127.0.0.1 -U postgres' --health-interval 1s --health-retries 60 \
    "$PG_TAG" >/dev/null
  docker cp "$TMP/secrets" "$1:/run/secrets"
  docker start "$1" >/dev/null
}

log "postgres: first container on new volume $VOL, published on 127.0.0.1:$PGPORT_HOST"
create_pg "$ID-pg1"
check "postgres container healthy (pg_isready)" wait_health "$ID-pg1" 90
check "password file was root-owned 0400 inside the container" \
  test "$(docker exec "$ID-pg1" stat -c '%U %a' /run/secrets/postgres-password)" = "root 400"
check "psql from the host to the published port, database aiida" \
  env PGPASSWORD="$PW" psql -h 127.0.0.1 -p "$PGPORT_HOST" -U postgres -d aiida -v ON_ERROR_STOP=1 -qtA \
  -c "CREATE TABLE smoke (v text); INSERT INTO smoke VALUES ('kept across containers');"
check "password stored as SCRAM-SHA-256" \
  test "$(PGPASSWORD="$PW" psql -h 127.0.0.1 -p "$PGPORT_HOST" -U postgres -d aiida -qtA \
    -c "SELECT left(rolpassword, 13) FROM pg_authid WHERE rolname = 'postgres'")" = "SCRAM-SHA-256"
check "wrong password refused" \
  bash -c "! PGPASSWORD=wrong psql -h 127.0.0.1 -p $PGPORT_HOST -U postgres -d aiida -c 'SELECT 1' >/dev/null 2>&1"
check "server runs as postgres (uid 999), not root" \
  test "$(docker exec "$ID-pg1" sh -c 'stat -c %u /proc/1')" = 999
check "psql from another container by network alias 'postgres'" \
  docker run --rm --name "$ID-client" --network "$NET" -e PGPASSWORD="$PW" "$PG_TAG" \
  psql -h postgres -U postgres -d aiida -qtA -c 'SELECT count(*) FROM smoke'
ms="$(timed_stop "$ID-pg1")"
check "postgres stops promptly on docker stop (${ms} ms, STOPSIGNAL SIGINT)" test "$ms" -lt 8000
check "postgres exit code after stop is 0" test "$(docker inspect -f '{{.State.ExitCode}}' "$ID-pg1")" = 0
docker rm -v "$ID-pg1" >/dev/null

log "postgres: replacement container on the same volume"
create_pg "$ID-pg2"
check "replacement container healthy" wait_health "$ID-pg2" 90
check "replacement skipped initdb" bash -c "docker logs '$ID-pg2' 2>&1 | grep -q 'skipping initialization'"
check "data still there after replacing the container" \
  test "$(PGPASSWORD="$PW" psql -h 127.0.0.1 -p "$PGPORT_HOST" -U postgres -d aiida -qtA -c 'SELECT v FROM smoke')" = "kept across containers"
docker rm -f -v "$ID-pg2" >/dev/null

log "postgres: shaped like components/database.ts (PGDATA below the mount, password file sent as a tar stream owned by uid 70, mode 0400)"
mkdir -p "$TMP/upload/run/secrets"
printf '%s' "$PW" >"$TMP/upload/run/secrets/postgres-password"
chown 70:70 "$TMP/upload/run/secrets/postgres-password"
chmod 0400 "$TMP/upload/run/secrets/postgres-password"
docker create --name "$ID-pg3" --network "$NET" \
  -v "$VOL-2:/var/lib/postgresql/data" \
  -e POSTGRES_USER=postgres -e POSTGRES_DB=aiida -e POSTGRES_PASSWORD_FILE=/run/secrets/postgres-password \
  -e PGDATA=/var/lib/postgresql/data/pgdata \
  --health-cmd 'pg_isready -h 127.0.0.1 -U postgres -d aiida' --health-interval 1s --health-retries 60 \
  "$PG_TAG" >/dev/null
tar --numeric-owner -C "$TMP/upload" -c ./run/secrets/postgres-password | docker cp - "$ID-pg3:/"
docker start "$ID-pg3" >/dev/null
check "program-shaped postgres container healthy" wait_health "$ID-pg3" 90
check "uploaded file kept owner 70 and mode 0400" \
  test "$(docker exec "$ID-pg3" stat -c '%u %a' /run/secrets/postgres-password)" = "70 400"
check "password from the uid-70 file works over the network" \
  docker run --rm --name "$ID-client2" --network "$NET" -e PGPASSWORD="$PW" "$PG_TAG" \
  psql -h "$ID-pg3" -U postgres -d aiida -qtA -c 'SELECT 1'
check "cluster lives in PGDATA below the mount" docker exec "$ID-pg3" test -s /var/lib/postgresql/data/pgdata/PG_VERSION
docker rm -f -v "$ID-pg3" >/dev/null

# ---------------------------------------------------------------- emqx stand-in
# Files shaped like the program's uploads (components/broker.ts): owner 1000:1000, secrets
# 0400, the rest 0444, sent as a tar stream (`docker cp -`) that keeps owner and mode, as the
# provider does. (`docker cp -a` fails here: the 20.10 engine looks up USER emqx on the host.)
ETCDIR="$TMP/emqx-etc"
BADDIR="$TMP/emqx-etc-badkey"
mkdir -p "$ETCDIR/certs/aiida" "$ETCDIR/aiida"
cat >"$ETCDIR/emqx.conf" <<'EOF'
node { name = "emqx@127.0.0.1", data_dir = "data" }
listeners.ssl.default {
  bind = "0.0.0.0:8883"
  ssl_options {
    certfile = "${EMQX_ETC_DIR}/certs/aiida/server.pem"
    keyfile = "/opt/emqx/etc/certs/aiida/server.key"
    cacertfile = "/opt/emqx/etc/certs/aiida/ca.pem"
  }
}
authentication = [{
  backend = built_in_database, mechanism = password_based
  bootstrap_file = "/opt/emqx/etc/aiida/init-user.json"
}, {
  backend = postgresql, mechanism = password_based
  password = "file:///opt/emqx/etc/aiida/db-password"
  query = "SELECT password AS password_hash FROM t WHERE username = ${username} LIMIT 1"
}]
api_key { bootstrap_file = "/opt/emqx/etc/aiida/api-keys.txt" }
include required("/opt/emqx/etc/aiida/secrets.hocon")
EOF
for f in server.pem server.key ca.pem; do printf 'not a real %s\n' "$f" >"$ETCDIR/certs/aiida/$f"; done
echo '[{"user_id": "aiida", "password_hash": "x", "is_superuser": true}]' >"$ETCDIR/aiida/init-user.json"
echo 'smoke-key:smoke-secret:administrator' >"$ETCDIR/aiida/api-keys.txt"
echo 'db-secret' >"$ETCDIR/aiida/db-password"
echo 'node.cookie = "smoke"' >"$ETCDIR/aiida/secrets.hocon"
chown -R 1000:1000 "$ETCDIR"
find "$ETCDIR" -type f -exec chmod 0444 {} +
chmod 0400 "$ETCDIR/certs/aiida/server.key" "$ETCDIR/aiida/"*
MQTT_PORT="$(free_port)"
DASH_PORT="$(free_port)"

create_emqx() {
  local name="$1"; shift
  docker create --name "$name" --network "$NET" "$@" \
    --health-cmd '/opt/emqx/bin/emqx ctl status' --health-interval 1s --health-retries 30 \
    "$EMQX_TAG" >/dev/null
}

log "emqx stand-in: etc uploaded as a tar stream with docker cp -, ports 127.0.0.1:$MQTT_PORT->1883, :$DASH_PORT->18083"
create_emqx "$ID-emqx" --network-alias emqx -e EMQX_NODE__NAME=emqx@smoke.local \
  -p "127.0.0.1:$MQTT_PORT:1883" -p "127.0.0.1:$DASH_PORT:18083"
tar --numeric-owner -C "$ETCDIR" -c . | docker cp - "$ID-emqx:/opt/emqx/etc"
docker start "$ID-emqx" >/dev/null
check "emqx stand-in healthy (emqx ctl status)" wait_health "$ID-emqx" 30
check "docker exec emqx ctl status exits 0 and says stand-in" \
  bash -c "docker exec '$ID-emqx' /opt/emqx/bin/emqx ctl status | tee /dev/stderr | grep -q 'stand-in'"
check "node name taken from EMQX_NODE__NAME" \
  bash -c "docker exec '$ID-emqx' /opt/emqx/bin/emqx ctl status | grep -q \"Node 'emqx@smoke.local'\""
check "runs as uid 1000" test "$(docker exec "$ID-emqx" id -u)" = 1000
check "published 1883 accepts TCP" bash -c "exec 3<>/dev/tcp/127.0.0.1/$MQTT_PORT"
check "published 18083 answers GET /status with 200" \
  test "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$DASH_PORT/status")" = 200
check "8883 reachable from another container by alias 'emqx'" \
  docker run --rm --name "$ID-probe" --network "$NET" "$EMQX_TAG" nc -w 3 emqx 8883 </dev/null
check "startup checked the 7 referenced files" \
  bash -c "docker logs '$ID-emqx' 2>&1 | tee /dev/stderr | grep -c '^\[emqx-standin\] referenced file .*: readable' | grep -qx 7"
API="http://127.0.0.1:$DASH_PORT/api/v5/authentication/password_based%3Abuilt_in_database/users"
http_code() { curl -s -o /dev/null -w '%{http_code}' "$@"; }
JSON=(-H 'content-type: application/json')
check "REST: PUT seeded user aiida with the bootstrap API key -> 200" \
  test "$(http_code -u smoke-key:smoke-secret -X PUT "${JSON[@]}" -d '{"password":"p","is_superuser":true}' "$API/aiida")" = 200
check "REST: wrong API secret -> 401" \
  test "$(http_code -u smoke-key:wrong -X PUT "${JSON[@]}" -d '{"password":"p"}' "$API/aiida")" = 401
check "REST: PUT unknown user bob -> 404" \
  test "$(http_code -u smoke-key:smoke-secret -X PUT "${JSON[@]}" -d '{"password":"p"}' "$API/bob")" = 404
check "REST: POST user bob -> 201" \
  test "$(http_code -u smoke-key:smoke-secret "${JSON[@]}" -d '{"user_id":"bob","password":"p","is_superuser":false}' "$API")" = 201
check "REST: PUT bob after POST -> 200" \
  test "$(http_code -u smoke-key:smoke-secret -X PUT "${JSON[@]}" -d '{"password":"q"}' "$API/bob")" = 200
ms="$(timed_stop "$ID-emqx")"
check "emqx stand-in stops promptly on SIGTERM (${ms} ms)" test "$ms" -lt 3000
check "emqx stand-in exit code after stop is 0" test "$(docker inspect -f '{{.State.ExitCode}}' "$ID-emqx")" = 0
docker start "$ID-emqx" >/dev/null
check "emqx stand-in healthy again after docker restart (stale pid file)" wait_health "$ID-emqx" 30
docker rm -f -v "$ID-emqx" >/dev/null

log "emqx stand-in without emqx.conf"
create_emqx "$ID-emqx-noconf"
docker start "$ID-emqx-noconf" >/dev/null
code="$(wait_exit "$ID-emqx-noconf" 15)"
check "container without emqx.conf exits non-zero (exit $code)" bash -c "[ '$code' != running ] && [ '$code' != 0 ]"
docker logs "$ID-emqx-noconf" 2>&1 | sed 's/^/    /' >&2

log "emqx stand-in with a key file uid 1000 cannot read (root 0600)"
mkdir -p "$BADDIR"
cp -a "$ETCDIR/." "$BADDIR/"
chown 0:0 "$BADDIR/certs/aiida/server.key"
chmod 0600 "$BADDIR/certs/aiida/server.key"
create_emqx "$ID-emqx-badkey"
tar --numeric-owner -C "$BADDIR" -c . | docker cp - "$ID-emqx-badkey:/opt/emqx/etc"
docker start "$ID-emqx-badkey" >/dev/null
code="$(wait_exit "$ID-emqx-badkey" 15)"
check "container with unreadable server.key exits non-zero (exit $code)" bash -c "[ '$code' != running ] && [ '$code' != 0 ]"
docker logs "$ID-emqx-badkey" 2>&1 | grep -E 'ERROR|WARNING' | sed 's/^/    /' >&2

echo "$PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ]
