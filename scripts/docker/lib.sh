# shellcheck shell=bash
# Helpers shared by scripts/docker/*.sh. Source it; do not run it.
# Everything downloaded or built is cached outside the repo in $AIIDA_DOCKER_CACHE.

AIIDA_DOCKER_CACHE="${AIIDA_DOCKER_CACHE:-/var/cache/aiida-emqx-docker}"
AIIDA_DOCKER_CACHE="${AIIDA_DOCKER_CACHE%/}"
case "$AIIDA_DOCKER_CACHE" in
  /?*) ;;
  *) printf 'AIIDA_DOCKER_CACHE must be an absolute path other than /, got %s\n' "$AIIDA_DOCKER_CACHE" >&2; exit 1 ;;
esac

log() { printf '[%s %s] %s\n' "$(date -u +%H:%M:%S)" "${LOG_TAG:-docker}" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

[ "$(id -u)" -eq 0 ] || die "must run as root (installs Debian packages and runs dockerd)"

_APT_UPDATED=0
apt_update_once() {
  if [ "$_APT_UPDATED" -eq 0 ]; then
    log "apt-get update"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2 || die "apt-get update failed"
    _APT_UPDATED=1
  fi
}

# ensure_pkgs PKG...: apt-get install the Debian packages that are not installed yet.
ensure_pkgs() {
  local missing=() p
  for p in "$@"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
      missing+=("$p")
    fi
  done
  [ "${#missing[@]}" -eq 0 ] && return 0
  apt_update_once
  log "apt-get install ${missing[*]} (output in $AIIDA_DOCKER_CACHE/apt.log)"
  mkdir -p "$AIIDA_DOCKER_CACHE"
  if ! DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}" \
      >"$AIIDA_DOCKER_CACHE/apt.log" 2>&1; then
    tail -n 20 "$AIIDA_DOCKER_CACHE/apt.log" >&2
    die "apt-get install ${missing[*]} failed"
  fi
}

# fetch_deb PKG DEST_DIR: download PKG's .deb (once) into $AIIDA_DOCKER_CACHE/debs and
# unpack it with dpkg -x into DEST_DIR (once). Does not install it.
fetch_deb() {
  local pkg="$1" dest="$2" debs="$AIIDA_DOCKER_CACHE/debs" deb
  mkdir -p "$debs"
  deb="$(find "$debs" -maxdepth 1 -name "${pkg}_*.deb" | sort | tail -n 1)"
  if [ -z "$deb" ]; then
    apt_update_once
    log "apt-get download $pkg -> $debs"
    (cd "$debs" && apt-get download -qq -o APT::Sandbox::User=root "$pkg" >&2) || die "apt-get download $pkg failed"
    deb="$(find "$debs" -maxdepth 1 -name "${pkg}_*.deb" | sort | tail -n 1)"
    [ -n "$deb" ] || die "apt-get download $pkg left no .deb in $debs"
  fi
  if [ ! -e "$dest/.unpacked-$(basename "$deb")" ]; then
    log "dpkg -x $(basename "$deb") -> $dest"
    rm -rf "$dest"; mkdir -p "$dest"
    dpkg -x "$deb" "$dest"
    touch "$dest/.unpacked-$(basename "$deb")"
  fi
}

# docker_sock: the unix socket the engine listens on (from DOCKER_HOST, else the default).
docker_sock() {
  local h="${DOCKER_HOST:-unix:///var/run/docker.sock}"
  case "$h" in
    unix://*) printf '%s\n' "${h#unix://}" ;;
    *) return 1 ;;
  esac
}

docker_ok() { docker info >/dev/null 2>&1; }
