#!/usr/bin/env bash
# Start a local Docker engine (Debian's docker.io dockerd) if none is reachable.
#
#   scripts/docker/start-engine.sh
#
# - If `docker info` already works (honouring DOCKER_HOST), does nothing.
# - Otherwise installs containerd, runc, iptables, tini and libdevmapper with apt-get, unpacks
#   Debian's docker.io .deb (dockerd, docker-proxy) into the cache with dpkg -x (it is not
#   installed: the machine's own docker client in /usr/local/bin stays untouched), and starts
#     dockerd --iptables=false --storage-driver=vfs -H unix:///var/run/docker.sock
#   in the background, then waits until `docker info` answers.
#
# Env:
#   AIIDA_DOCKER_CACHE          cache dir (default /var/cache/aiida-emqx-docker): .debs, unpacked
#                               engine, data-root (images, volumes), dockerd.log
#   AIIDA_DOCKER_EXEC_ROOT      dockerd --exec-root (default /run/aiida-emqx-docker; keep it short,
#                               containerd puts unix sockets under it)
#   AIIDA_DOCKER_START_TIMEOUT  seconds to wait for the engine (default 90)
#   DOCKER_HOST                 unix://PATH to listen on (default unix:///var/run/docker.sock,
#                               which is what the Pulumi docker provider uses by default)
set -euo pipefail
LOG_TAG="start-engine"
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$(readlink -f "$0")")/lib.sh"

EXEC_ROOT="${AIIDA_DOCKER_EXEC_ROOT:-/run/aiida-emqx-docker}"
TIMEOUT="${AIIDA_DOCKER_START_TIMEOUT:-90}"
BIN="$AIIDA_DOCKER_CACHE/bin"
LOGFILE="$AIIDA_DOCKER_CACHE/dockerd.log"
PIDFILE="$EXEC_ROOT/dockerd.pid"

if command -v docker >/dev/null 2>&1 && docker_ok; then
  log "Docker engine already reachable (${DOCKER_HOST:-unix:///var/run/docker.sock}); nothing to do"
  exit 0
fi

SOCK="$(docker_sock)" || die "DOCKER_HOST=$DOCKER_HOST is not reachable and is not a unix:// socket; cannot start a local engine for it"

mkdir -p "$AIIDA_DOCKER_CACHE" "$BIN" "$EXEC_ROOT"

# 1. Packages the engine needs at run time (dockerd links libdevmapper; docker-init is tini).
ensure_pkgs containerd runc iptables tini libdevmapper1.02.1 ca-certificates

# 2. dockerd + docker-proxy: an installed engine if there is one, else Debian's docker.io
#    unpacked into the cache (installing the package would clash with /usr/local/bin/docker).
DOCKERD="$(command -v dockerd || true)"
if [ -z "$DOCKERD" ]; then
  fetch_deb docker.io "$AIIDA_DOCKER_CACHE/engine"
  ln -sfn "$AIIDA_DOCKER_CACHE/engine/usr/sbin/dockerd" "$BIN/dockerd"
  ln -sfn "$AIIDA_DOCKER_CACHE/engine/usr/sbin/docker-proxy" "$BIN/docker-proxy"
  DOCKERD="$BIN/dockerd"
fi
command -v docker-proxy >/dev/null 2>&1 || [ -x "$BIN/docker-proxy" ] || {
  fetch_deb docker.io "$AIIDA_DOCKER_CACHE/engine"
  ln -sfn "$AIIDA_DOCKER_CACHE/engine/usr/sbin/docker-proxy" "$BIN/docker-proxy"
}
[ -x /usr/bin/tini-static ] && ln -sfn /usr/bin/tini-static "$BIN/docker-init"

# 3. A docker client: the machine image has one in /usr/local/bin; fall back to docker.io's.
if ! command -v docker >/dev/null 2>&1; then
  fetch_deb docker.io "$AIIDA_DOCKER_CACHE/engine"
  log "no docker client on PATH: linking /usr/local/bin/docker -> docker.io's client"
  ln -sfn "$AIIDA_DOCKER_CACHE/engine/usr/bin/docker" /usr/local/bin/docker
fi

export PATH="$BIN:$PATH"

# 4. Start dockerd unless one of ours is already starting.
# is_dockerd PID: PID is a live (not zombie) dockerd.
is_dockerd() {
  [ -n "$1" ] && [ "$(cat "/proc/$1/comm" 2>/dev/null)" = dockerd ] \
    && ! awk '{ exit ($3 == "Z") ? 0 : 1 }' "/proc/$1/stat" 2>/dev/null
}

if [ -s "$PIDFILE" ] && is_dockerd "$(cat "$PIDFILE")"; then
  DPID="$(cat "$PIDFILE")"
  log "dockerd already running (pid $DPID); waiting for it to answer"
else
  log "starting $DOCKERD on unix://$SOCK (data-root $AIIDA_DOCKER_CACHE/data, exec-root $EXEC_ROOT, log $LOGFILE)"
  mkdir -p "$AIIDA_DOCKER_CACHE/data" "$(dirname "$SOCK")"
  rm -f "$PIDFILE"
  # After an unclean stop, dockerd trusts a stale containerd.pid (the pid may be a dying
  # process or reused) and then waits for a containerd that never answers. Clear it, and stop
  # a containerd that a killed dockerd of ours left behind.
  CPIDFILE="$EXEC_ROOT/containerd/containerd.pid"
  if [ -s "$CPIDFILE" ]; then
    cpid="$(cat "$CPIDFILE")"
    if [ "$(cat "/proc/$cpid/comm" 2>/dev/null)" = containerd ] && tr '\0' ' ' <"/proc/$cpid/cmdline" 2>/dev/null | grep -qF "$EXEC_ROOT/"; then
      log "stopping containerd $cpid left over from a previous dockerd"
      kill "$cpid" 2>/dev/null || true
      for _ in $(seq 1 20); do
        tr '\0' ' ' <"/proc/$cpid/cmdline" 2>/dev/null | grep -qF "$EXEC_ROOT/" || break
        sleep 0.5
      done
      kill -9 "$cpid" 2>/dev/null || true
    fi
    rm -f "$CPIDFILE"
  fi
  : >"$LOGFILE"
  # setsid + nohup: the engine outlives this script and its process group.
  setsid nohup "$DOCKERD" \
    --iptables=false \
    --storage-driver=vfs \
    --data-root "$AIIDA_DOCKER_CACHE/data" \
    --exec-root "$EXEC_ROOT" \
    --pidfile "$PIDFILE" \
    -H "unix://$SOCK" \
    >>"$LOGFILE" 2>&1 </dev/null &
  DPID=$!
fi

# 5. Bounded wait.
export DOCKER_HOST="unix://$SOCK"
start=$(date +%s)
until docker_ok; do
  if [ $(( $(date +%s) - start )) -ge "$TIMEOUT" ]; then
    log "dockerd did not answer within ${TIMEOUT}s; last lines of $LOGFILE:"
    tail -n 40 "$LOGFILE" >&2 || true
    die "Docker engine failed to start (docker info: $(docker info 2>&1 | tail -n 1))"
  fi
  if ! is_dockerd "$DPID"; then
    log "dockerd exited; last lines of $LOGFILE:"
    tail -n 40 "$LOGFILE" >&2 || true
    die "Docker engine failed to start"
  fi
  sleep 0.5
done
log "Docker engine ready after $(( $(date +%s) - start ))s: $(docker version --format 'server {{.Server.Version}}, API {{.Server.APIVersion}}' 2>/dev/null || echo '?')"
