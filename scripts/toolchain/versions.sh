# shellcheck shell=bash
# Versions of the Pulumi toolchain, derived from the npm SDKs this repo pins.
# Sourced by install.sh and env.sh. Everything else (module paths, commits) is
# fixed here so that a build is reproducible from the Go module proxy alone.

_tc_repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"

# Read "dependencies.<pkg>" from package.json (falls back to the default given).
_tc_pkg_version() {
  local pkg="$1" def="$2" v=""
  if command -v node >/dev/null 2>&1 && [ -f "$_tc_repo_root/package.json" ]; then
    v="$(node -e 'const p=require(process.argv[1]);const d={...p.devDependencies,...p.dependencies};process.stdout.write((d[process.argv[2]]||"").replace(/^[~^=v]/,""))' "$_tc_repo_root/package.json" "$pkg" 2>/dev/null || true)"
  fi
  printf '%s' "${v:-$def}"
}

PULUMI_VERSION="$(_tc_pkg_version @pulumi/pulumi 3.248.0)"

TC_CACHE="${AIIDA_TOOLCHAIN_CACHE:-/var/cache/aiida-emqx-toolchain}"
TC_BIN="$TC_CACHE/bin"                # pulumi + pulumi-language-nodejs
TC_PULUMI_HOME="$TC_CACHE/pulumi-home" # PULUMI_HOME with the installed plugins

TC_GO_MIN="1.25.11"

# Resource plugins the program needs (the npm packages @pulumi/<name>).
TC_PLUGINS="random tls docker"

# The plugin version the npm SDK expects: its package.json `pulumi.version`, else the
# version package.json pins for @pulumi/<name>.
tc_plugin_version() {
  local name="$1" v=""
  local pj="$_tc_repo_root/node_modules/@pulumi/$name/package.json"
  if command -v node >/dev/null 2>&1 && [ -f "$pj" ]; then
    v="$(node -e 'const p=require(process.argv[1]);process.stdout.write(String((p.pulumi&&p.pulumi.version)||p.version||""))' "$pj" 2>/dev/null || true)"
  fi
  [ -n "$v" ] || v="$(_tc_pkg_version "@pulumi/$name" "")"
  printf '%s' "$v"
}

tc_plugin_buildable() {
  case "$1" in random | tls) return 0 ;; *) return 1 ;; esac
}

tc_plugin_why() {
  case "$1" in
    docker)
      echo "the Go module proxy refuses github.com/pulumi/pulumi-docker/provider/v5 (and v4) at every release commit, and its upstream github.com/kreuzwerker/terraform-provider-docker (module path github.com/terraform-providers/terraform-provider-docker) at every release commit v4.0.0-v4.5.0 (403 Forbidden: This module version is not available)" ;;
    *) echo "no build recipe" ;;
  esac
}

# Hash of the sources a component is built from (this repo's files), recorded next to
# the built binaries so that a change of recipe triggers a rebuild.
tc_source_hash() {
  local dir
  dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
  (cd "$dir" && for f in "$@"; do find "$f" -type f | LC_ALL=C sort; done | xargs sha256sum) | sha256sum | cut -c1-16
}
