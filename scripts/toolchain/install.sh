#!/usr/bin/env bash
# Provide the Pulumi toolchain this repo's npm SDKs need, offline except for package
# registries: the Pulumi CLI, the Node.js language host and the resource provider
# plugins (random, tls, docker), all built from the Go module proxy with `go build`.
#
#   scripts/toolchain/install.sh          # build what is missing, reuse the cache
#   source scripts/toolchain/env.sh       # then use it
#
# Environment:
#   AIIDA_TOOLCHAIN_CACHE  cache dir (default /var/cache/aiida-emqx-toolchain): Go module
#                          and build caches, binaries, PULUMI_HOME with the plugins.
#   AIIDA_TOOLCHAIN_JOBS   go build -p (default 2).
#   AIIDA_TOOLCHAIN_STRICT=1  exit non-zero if a plugin cannot be provided (default: warn).
#   AIIDA_TOOLCHAIN_IGNORE_SYSTEM=1  do not accept a `pulumi` already on PATH.
#
# Versions come from package.json / node_modules (see versions.sh). A warm re-run
# only checks what is there and takes seconds.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=versions.sh
. "$here/versions.sh"

export TC_CACHE PULUMI_VERSION
export TC_JOBS="${AIIDA_TOOLCHAIN_JOBS:-2}"
STRICT="${AIIDA_TOOLCHAIN_STRICT:-0}"

log() { printf '[toolchain] %s\n' "$*" >&2; }
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

t_total="$(now)"
mkdir -p "$TC_CACHE" "$TC_BIN" "$TC_PULUMI_HOME" "$TC_CACHE/logs"
timings="$TC_CACHE/logs/last-run.tsv"
: >"$timings"
record() { printf '%s\t%s\t%s\n' "$1" "$2" "$3" >>"$timings"; log "$1: $2 (${3}s)"; }

# One install at a time per cache (CI and a developer shell may race).
if command -v flock >/dev/null 2>&1; then
  exec 9>"$TC_CACHE/.lock"
  flock 9
fi

# Plugin versions: the `pulumi.version` of each installed npm provider package, else
# the version package.json pins.
declare -A PLUGIN_VERSION=()
for name in $TC_PLUGINS; do
  PLUGIN_VERSION[$name]="$(tc_plugin_version "$name")"
done
log "wanted: pulumi v$PULUMI_VERSION; plugins:$(for n in $TC_PLUGINS; do printf ' %s %s' "$n" "${PLUGIN_VERSION[$n]}"; done)"

# ---------------------------------------------------------------------------
# 0. An operator's own Pulumi installation that already has everything wins.
# ---------------------------------------------------------------------------
system_ok() {
  [ "${AIIDA_TOOLCHAIN_IGNORE_SYSTEM:-0}" = 1 ] && return 1
  local p
  p="$(command -v pulumi 2>/dev/null)" || return 1
  # Our own cached CLI on PATH (env.sh already sourced) is not "the system's".
  [ "$(readlink -f "$p")" = "$(readlink -f "$TC_BIN/pulumi")" ] && return 1
  local dir v plugins
  dir="$(dirname "$(readlink -f "$p")")"
  command -v pulumi-language-nodejs >/dev/null 2>&1 || [ -x "$dir/pulumi-language-nodejs" ] || return 1
  v="$(pulumi version 2>/dev/null)" || return 1
  case "$v" in v3.*) ;; *) return 1 ;; esac
  plugins="$(PULUMI_SKIP_UPDATE_CHECK=true pulumi plugin ls --json 2>/dev/null \
    | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{for(const p of JSON.parse(s||"[]"))console.log(p.kind,p.name,String(p.version).replace(/^v/,""))})')" || return 1
  for name in $TC_PLUGINS; do
    printf '%s\n' "$plugins" | grep -qxF "resource $name ${PLUGIN_VERSION[$name]}" || return 1
  done
  log "using the Pulumi already on PATH: $p ($v), plugins present at the wanted versions"
  [ "$v" = "v$PULUMI_VERSION" ] || log "note: it is $v, the npm SDK pins v$PULUMI_VERSION"
  return 0
}

t="$(now)"
if system_ok; then
  echo system >"$TC_CACHE/selected"
  record system-check "existing installation used, nothing built" "$(elapsed "$t")"
  record total "done" "$(elapsed "$t_total")"
  exit 0
fi
record system-check "no complete Pulumi on PATH; using the cache $TC_CACHE" "$(elapsed "$t")"

# ---------------------------------------------------------------------------
# Go environment: everything under the cache, nothing in the repo or in ~/go.
# ---------------------------------------------------------------------------
if ! command -v go >/dev/null 2>&1; then
  log "error: Go is required to build the toolchain (go >= $TC_GO_MIN)"; exit 1
fi
gov="$(go env GOVERSION 2>/dev/null | sed 's/^go//')"
if [ "$(printf '%s\n%s\n' "$TC_GO_MIN" "$gov" | sort -V | head -n1)" != "$TC_GO_MIN" ]; then
  log "error: Go $gov is too old; the Pulumi v$PULUMI_VERSION modules need go >= $TC_GO_MIN"; exit 1
fi
export GOMODCACHE="$TC_CACHE/gomod" GOCACHE="$TC_CACHE/gocache"
export GOFLAGS="-mod=mod -buildvcs=false" GOTOOLCHAIN=local CGO_ENABLED=0
export GOPATH="$TC_CACHE/gopath"

# run_build NAME CMD... : run a build step, its output in logs/NAME.log.
run_build() {
  local name="$1"; shift
  local logf="$TC_CACHE/logs/$name.log"
  if ! "$@" >"$logf" 2>&1; then
    log "FAILED: $name (last lines of $logf):"
    tail -n 25 "$logf" >&2
    return 1
  fi
}

# ---------------------------------------------------------------------------
# 1. Pulumi CLI
# ---------------------------------------------------------------------------
t="$(now)"
if [ -x "$TC_BIN/pulumi" ] && [ "$("$TC_BIN/pulumi" version 2>/dev/null)" = "v$PULUMI_VERSION" ]; then
  record cli "pulumi v$PULUMI_VERSION present" "$(elapsed "$t")"
else
  log "building pulumi v$PULUMI_VERSION (github.com/pulumi/pulumi/pkg/v3@v$PULUMI_VERSION) ..."
  tmp="$TC_CACHE/build-tmp/cli" && rm -rf "$tmp" && mkdir -p "$tmp"
  run_build cli "$here/build-cli.sh" "$tmp"
  mv -f "$tmp/pulumi" "$TC_BIN/pulumi"
  record cli "built pulumi $("$TC_BIN/pulumi" version)" "$(elapsed "$t")"
fi

# ---------------------------------------------------------------------------
# 2. Node.js language host (next to the CLI, which looks there first)
# ---------------------------------------------------------------------------
t="$(now)"
stamp="$TC_BIN/.pulumi-language-nodejs.stamp"
want="v$PULUMI_VERSION $(tc_source_hash langhost build-langhost.sh)"
if [ -x "$TC_BIN/pulumi-language-nodejs" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
  record language-host "pulumi-language-nodejs ($want) present" "$(elapsed "$t")"
else
  log "building pulumi-language-nodejs against github.com/pulumi/pulumi/sdk/v3@v$PULUMI_VERSION ..."
  tmp="$TC_CACHE/build-tmp/langhost" && rm -rf "$tmp" && mkdir -p "$tmp"
  run_build language-host "$here/build-langhost.sh" "$tmp"
  mv -f "$tmp/pulumi-language-nodejs" "$TC_BIN/pulumi-language-nodejs"
  echo "$want" >"$stamp"
  record language-host "built pulumi-language-nodejs ($want)" "$(elapsed "$t")"
fi

# ---------------------------------------------------------------------------
# 3. Resource provider plugins, installed into PULUMI_HOME in the cache
# ---------------------------------------------------------------------------
export PULUMI_HOME="$TC_PULUMI_HOME" PULUMI_SKIP_UPDATE_CHECK=true
export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true
missing=()
for name in $TC_PLUGINS; do
  t="$(now)"
  version="${PLUGIN_VERSION[$name]}"
  installed="$PULUMI_HOME/plugins/resource-$name-v$version/pulumi-resource-$name"
  bindir="$TC_CACHE/providers-bin/$name-$version"
  want="$(tc_source_hash providers build-provider.sh)"
  if [ -x "$installed" ] && [ "$(cat "$bindir/.stamp" 2>/dev/null)" = "$want" ] \
    && cmp -s "$installed" "$bindir/pulumi-resource-$name"; then
    record "plugin-$name" "resource $name $version installed" "$(elapsed "$t")"
    continue
  fi
  if ! tc_plugin_buildable "$name"; then
    log "WARNING: resource plugin $name $version cannot be built here: $(tc_plugin_why "$name")"
    missing+=("$name")
    record "plugin-$name" "NOT AVAILABLE" "$(elapsed "$t")"
    continue
  fi
  if [ ! -x "$bindir/pulumi-resource-$name" ] || [ "$(cat "$bindir/.stamp" 2>/dev/null)" != "$want" ]; then
    log "building pulumi-resource-$name $version ..."
    tmp="$TC_CACHE/build-tmp/$name" && rm -rf "$tmp" && mkdir -p "$tmp"
    run_build "plugin-$name" "$here/build-provider.sh" "$name" "$version" "$tmp"
    mkdir -p "$bindir" && mv -f "$tmp/pulumi-resource-$name" "$bindir/"
    echo "$want" >"$bindir/.stamp"
  fi
  "$TC_BIN/pulumi" plugin install resource "$name" "$version" --reinstall \
    --file "$bindir/pulumi-resource-$name" >&2
  record "plugin-$name" "built and installed resource $name $version" "$(elapsed "$t")"
done

echo cache >"$TC_CACHE/selected"
record total "done" "$(elapsed "$t_total")"
if [ "${#missing[@]}" -gt 0 ]; then
  log "WARNING: not provided: ${missing[*]} (programs using them will fail to load the plugin)"
  [ "$STRICT" = 1 ] && exit 1
fi
log "use it with: source scripts/toolchain/env.sh  (from the repo root: $(cd "$here/../.." && pwd))"
