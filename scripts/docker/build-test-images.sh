#!/usr/bin/env bash
# Build the two LOCAL TEST images that stand in for images no registry can give us here:
#
#   aiida-test/postgres:15-local     Debian bookworm minbase + postgresql-15, entrypoint
#                                    scripts/docker/postgres-standin/docker-entrypoint.sh
#                                    (honours POSTGRES_USER/PASSWORD[_FILE]/DB, PGDATA, ...)
#   aiida-test/emqx-standin:5.8.6    busybox-static with EMQX's file layout, uid 1000; NOT a
#                                    broker (scripts/docker/emqx-standin/emqx)
#
#   scripts/docker/build-test-images.sh [--force] [postgres|emqx ...]
#
# An image whose tag exists is skipped, unless --force, or unless its stand-in files or this
# script changed since it was built (label org.aiida.test.source-hash). Starts the engine with
# start-engine.sh when `docker info` does not answer.
#
# Env:
#   AIIDA_DOCKER_CACHE       cache dir (default /var/cache/aiida-emqx-docker); the debootstrap
#                            rootfs tarball is kept in $AIIDA_DOCKER_CACHE/rootfs
#   AIIDA_DEBIAN_MIRROR      Debian mirror for debootstrap (default: the bookworm URI found in
#                            /etc/apt/sources.list*, else http://deb.debian.org/debian)
#   AIIDA_TEST_POSTGRES_IMAGE, AIIDA_TEST_EMQX_IMAGE   override the tags
set -euo pipefail
LOG_TAG="build-test-images"
HERE="$(dirname "$(readlink -f "$0")")"
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$HERE/lib.sh"

PG_TAG="${AIIDA_TEST_POSTGRES_IMAGE:-aiida-test/postgres:15-local}"
EMQX_TAG="${AIIDA_TEST_EMQX_IMAGE:-aiida-test/emqx-standin:5.8.6}"
# Bump when the rootfs preparation below changes, so the cached tarball is rebuilt.
PG_ROOTFS_TAR="$AIIDA_DOCKER_CACHE/rootfs/postgres15-bookworm-minbase-v2.tar"
WORK="$AIIDA_DOCKER_CACHE/work"
DESC_PG="Local test stand-in for the official postgres image (Debian bookworm postgresql-15 + aiida-test entrypoint); built by scripts/docker/build-test-images.sh, not for production"
DESC_EMQX="Local test stand-in for emqx/emqx 5.8.6: NOT an MQTT broker (busybox; checks config files, listens on 1883/8883/18083, answers emqx ctl status, GET /status and the built-in user REST calls); built by scripts/docker/build-test-images.sh"

FORCE=0
WANT=()
for a in "$@"; do
  case "$a" in
    --force) FORCE=1 ;;
    postgres | emqx) WANT+=("$a") ;;
    -h | --help) sed -n '2,25p' "$0"; exit 0 ;;
    *) die "unknown argument: $a (use --force, postgres, emqx)" ;;
  esac
done
[ "${#WANT[@]}" -gt 0 ] || WANT=(postgres emqx)

if ! command -v docker >/dev/null 2>&1 || ! docker_ok; then
  log "no Docker engine answers: running start-engine.sh"
  "$HERE/start-engine.sh"
fi

# source_hash FILE...: short hash of this script and the given stand-in files.
source_hash() { cat "$0" "$@" | sha256sum | cut -c1-16; }

# need_build TAG HASH: 0 when TAG must be (re)built.
need_build() {
  local tag="$1" hash="$2" have
  if [ "$FORCE" -eq 1 ]; then log "$tag: --force, rebuilding"; return 0; fi
  if ! have="$(docker image inspect --format '{{ index .Config.Labels "org.aiida.test.source-hash" }}' "$tag" 2>/dev/null)"; then
    log "$tag: not built yet"; return 0
  fi
  if [ "$have" != "$hash" ]; then
    log "$tag: stand-in files changed since it was built ($have -> $hash), rebuilding"; return 0
  fi
  log "$tag: exists and is up to date, skipping (use --force to rebuild)"
  return 1
}

# umount_under DIR: unmount whatever a failed debootstrap left mounted below DIR.
umount_under() {
  local d m
  d="$(readlink -f "${1:?}" 2>/dev/null || echo "$1")"
  case "$d" in "$(readlink -f "$AIIDA_DOCKER_CACHE")"/work/?*) ;; *) die "umount_under: refusing $d" ;; esac
  awk -v d="$d/" 'index($5 "/", d) == 1 { print $5 }' /proc/self/mountinfo | sort -r | while read -r m; do
    log "umount $m"; umount -l "$m" || true
  done
}

# debian_mirror: the bookworm archive this machine's apt uses.
debian_mirror() {
  local m=""
  if [ -n "${AIIDA_DEBIAN_MIRROR:-}" ]; then echo "$AIIDA_DEBIAN_MIRROR"; return; fi
  shopt -s nullglob
  local f
  for f in /etc/apt/sources.list.d/*.sources; do
    m="$(awk 'BEGIN { RS = ""; FS = "\n" }
      { uris = ""; suites = ""; types = ""; en = "yes"
        for (i = 1; i <= NF; i++) {
          if ($i ~ /^URIs:/) { uris = $i; sub(/^URIs:[ \t]*/, "", uris) }
          else if ($i ~ /^Suites:/) { suites = $i; sub(/^Suites:[ \t]*/, "", suites) }
          else if ($i ~ /^Types:/) { types = $i }
          else if ($i ~ /^Enabled:/) { en = tolower($i) } }
        if (types ~ /[ \t]deb([ \t]|$)/ && en !~ /no/ && (" " suites " ") ~ /[ \t]bookworm[ \t]/) {
          split(uris, u, /[ \t]+/); print u[1]; exit } }' "$f")"
    [ -n "$m" ] && break
  done
  if [ -z "$m" ]; then
    for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
      [ -r "$f" ] || continue
      m="$(sed -E 's/\[[^]]*\]//' "$f" | awk '$1 == "deb" && $3 == "bookworm" { print $2; exit }')"
      [ -n "$m" ] && break
    done
  fi
  shopt -u nullglob
  echo "${m:-http://deb.debian.org/debian}"
}

# remove_old_image ID TAG: drop the image TAG pointed at before a rebuild (vfs keeps whole copies).
remove_old_image() {
  local old="$1" tag="$2"
  [ -n "$old" ] || return 0
  [ "$old" = "$(docker image inspect --format '{{.Id}}' "$tag")" ] && return 0
  if docker rmi "$old" >/dev/null 2>&1; then
    log "removed the previous $tag image ${old:7:12}"
  else
    log "previous $tag image ${old:7:12} is still in use; left in place"
  fi
}

build_pg_rootfs() {
  [ -s "$PG_ROOTFS_TAR" ] && { log "using cached rootfs $PG_ROOTFS_TAR"; return; }
  ensure_pkgs debootstrap debian-archive-keyring
  local root="$WORK/pg-debootstrap" mirror dlog="$AIIDA_DOCKER_CACHE/debootstrap.log" old_uid old_gid
  mirror="$(debian_mirror)"
  umount_under "$root"
  rm -rf "${root:?}"
  mkdir -p "$root" "$(dirname "$PG_ROOTFS_TAR")"
  log "debootstrap --variant=minbase --include=postgresql-15 bookworm $root $mirror (log $dlog; about a minute)"
  if ! debootstrap --variant=minbase --include=postgresql-15 bookworm "$root" "$mirror" >"$dlog" 2>&1; then
    tail -n 30 "$dlog" >&2
    umount_under "$root"
    die "debootstrap failed (full log: $dlog)"
  fi
  umount_under "$root"

  log "preparing rootfs: postgres user uid/gid 999 (as in the official image), no default cluster, no docs/locales/charmaps/apt lists/LLVM JIT"
  old_uid="$(chroot "$root" id -u postgres)"
  old_gid="$(chroot "$root" id -g postgres)"
  if [ "$old_uid" != 999 ]; then
    chroot "$root" groupmod -g 999 postgres
    chroot "$root" usermod -u 999 -g 999 postgres
    find "${root:?}" -xdev -uid "$old_uid" -exec chown -h 999 {} +
    find "${root:?}" -xdev -gid "$old_gid" -exec chgrp -h 999 {} +
  fi
  rm -rf "${root:?}"/etc/postgresql/15 "${root:?}"/var/lib/postgresql/15 "${root:?}"/var/log/postgresql/*
  rm -rf "${root:?}"/usr/share/doc/* "${root:?}"/usr/share/man/* "${root:?}"/usr/share/info/* \
    "${root:?}"/usr/share/locale/* "${root:?}"/usr/share/lintian "${root:?}"/usr/share/postgresql/15/man \
    "${root:?}"/var/lib/apt/lists/* "${root:?}"/var/cache/apt/*.bin "${root:?}"/var/cache/apt/archives/*.deb \
    "${root:?}"/var/cache/debconf/*-old "${root:?}"/var/log/*.log "${root:?}"/var/log/apt/* \
    "${root:?}"/dev/* "${root:?}"/proc/* "${root:?}"/sys/* "${root:?}"/run/*
  # JIT is optional: without llvmjit.so PostgreSQL runs with JIT unavailable (libLLVM and its libz3: ~150 MB).
  rm -rf "${root:?}"/usr/lib/postgresql/15/lib/llvmjit* "${root:?}"/usr/lib/postgresql/15/lib/bitcode \
    "${root:?}"/usr/lib/x86_64-linux-gnu/libLLVM-*.so* "${root:?}"/usr/lib/x86_64-linux-gnu/libz3.so* \
    "${root:?}"/usr/share/i18n
  chroot "$root" /usr/lib/postgresql/15/bin/postgres --version >/dev/null || die "postgres does not run in the prepared rootfs"

  log "saving rootfs tarball $PG_ROOTFS_TAR"
  tar --numeric-owner -C "$root" -cf "$PG_ROOTFS_TAR.tmp" .
  mv "$PG_ROOTFS_TAR.tmp" "$PG_ROOTFS_TAR"
  rm -rf "${root:?}"
}

build_postgres() {
  local hash work="$WORK/pg-image" old id out
  hash="$(source_hash "$HERE"/postgres-standin/*)"
  need_build "$PG_TAG" "$hash" || return 0
  build_pg_rootfs
  rm -rf "${work:?}"; mkdir -p "$work"
  log "assembling $PG_TAG in $work"
  tar --numeric-owner -C "$work" -xf "$PG_ROOTFS_TAR"
  install -m 0755 "$HERE/postgres-standin/docker-entrypoint.sh" "$work/usr/local/bin/docker-entrypoint.sh"
  mkdir -p "$work/docker-entrypoint-initdb.d" "$work/var/lib/postgresql/data" "$work/var/run/postgresql"
  chown 999:999 "$work/var/lib/postgresql/data" "$work/var/run/postgresql"
  chmod 0700 "$work/var/lib/postgresql/data"
  chmod 3777 "$work/var/run/postgresql"
  log "docker import -> $PG_TAG"
  old="$(docker image inspect --format '{{.Id}}' "$PG_TAG" 2>/dev/null || true)"
  id="$(tar --numeric-owner -C "$work" -c . | docker import \
    -c 'ENV PATH=/usr/lib/postgresql/15/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    -c 'ENV PG_MAJOR=15' \
    -c 'ENV LANG=C.UTF-8' \
    -c 'ENV PGDATA=/var/lib/postgresql/data' \
    -c 'VOLUME /var/lib/postgresql/data' \
    -c 'EXPOSE 5432' \
    -c "LABEL org.opencontainers.image.description=\"$DESC_PG\"" \
    -c "LABEL org.aiida.test.source-hash=$hash" \
    -c 'ENTRYPOINT ["docker-entrypoint.sh"]' \
    -c 'CMD ["postgres"]' \
    -)"
  # docker import cannot set STOPSIGNAL (engine 20.10); the official image stops with SIGINT
  # (fast shutdown), so add it with a metadata-only build step on top of the imported layer.
  # (The legacy builder's deprecation notice is shown only when the step fails.)
  if ! out="$(printf 'FROM %s\nSTOPSIGNAL SIGINT\n' "$id" | DOCKER_BUILDKIT=0 docker build -q -t "$PG_TAG" - 2>&1)"; then
    printf '%s\n' "$out" >&2
    die "docker build (STOPSIGNAL step) for $PG_TAG failed"
  fi
  remove_old_image "$old" "$PG_TAG"
  rm -rf "${work:?}"
  log "built $PG_TAG ($(docker image inspect --format '{{.Size}}' "$PG_TAG" | awk '{printf "%.0f MB", $1/1e6}'))"
}

build_emqx() {
  local hash work="$WORK/emqx-image" bb="$AIIDA_DOCKER_CACHE/busybox-static" a old
  hash="$(source_hash "$HERE"/emqx-standin/*)"
  need_build "$EMQX_TAG" "$hash" || return 0
  fetch_deb busybox-static "$bb"
  rm -rf "${work:?}"
  log "assembling $EMQX_TAG in $work"
  mkdir -p "$work"/{bin,sbin,usr/bin,usr/sbin,etc,tmp,root} "$work"/opt/emqx/{bin,etc/certs,data,log}
  install -m 0755 "$bb/bin/busybox" "$work/bin/busybox"
  for a in $("$bb/bin/busybox" --list); do
    [ "$a" = busybox ] || ln -s busybox "$work/bin/$a"
  done
  ln -s /bin/busybox "$work/usr/bin/env"
  printf '%s\n' 'root:x:0:0:root:/root:/bin/sh' 'emqx:x:1000:1000:emqx:/opt/emqx:/bin/sh' \
    'nobody:x:65534:65534:nobody:/nonexistent:/bin/false' >"$work/etc/passwd"
  printf '%s\n' 'root:x:0:' 'emqx:x:1000:' 'nogroup:x:65534:' >"$work/etc/group"
  install -m 0755 "$HERE/emqx-standin/docker-entrypoint.sh" "$work/usr/bin/docker-entrypoint.sh"
  install -m 0755 "$HERE/emqx-standin/emqx" "$work/opt/emqx/bin/emqx"
  install -m 0755 "$HERE/emqx-standin/standin-http" "$work/opt/emqx/bin/standin-http"
  printf '#!/bin/sh\nexec /opt/emqx/bin/emqx ctl "$@"\n' >"$work/opt/emqx/bin/emqx_ctl"
  chmod 0755 "$work/opt/emqx/bin/emqx_ctl"
  chmod 1777 "$work/tmp"
  chmod 0700 "$work/root"
  chown -R 1000:1000 "$work/opt/emqx"
  log "docker import -> $EMQX_TAG"
  old="$(docker image inspect --format '{{.Id}}' "$EMQX_TAG" 2>/dev/null || true)"
  tar --numeric-owner -C "$work" -c . | docker import \
    -c 'ENV PATH=/opt/emqx/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    -c 'ENV LANG=C.UTF-8' \
    -c 'ENV LC_ALL=C.UTF-8' \
    -c 'WORKDIR /opt/emqx' \
    -c 'USER emqx' \
    -c 'VOLUME ["/opt/emqx/log", "/opt/emqx/data"]' \
    -c 'EXPOSE 1883 8083 8084 8883 18083' \
    -c "LABEL org.opencontainers.image.description=\"$DESC_EMQX\"" \
    -c "LABEL org.aiida.test.source-hash=$hash" \
    -c 'ENTRYPOINT ["/usr/bin/docker-entrypoint.sh"]' \
    -c 'CMD ["/opt/emqx/bin/emqx", "foreground"]' \
    - "$EMQX_TAG" >/dev/null
  remove_old_image "$old" "$EMQX_TAG"
  rm -rf "${work:?}"
  log "built $EMQX_TAG ($(docker image inspect --format '{{.Size}}' "$EMQX_TAG" | awk '{printf "%.1f MB", $1/1e6}'))"
}

for w in "${WANT[@]}"; do
  case "$w" in
    postgres) build_postgres ;;
    emqx) build_emqx ;;
  esac
done
docker image ls --format '{{.Repository}}:{{.Tag}}  {{.Size}}' | grep -E "^(${PG_TAG}|${EMQX_TAG})  " >&2 || true
