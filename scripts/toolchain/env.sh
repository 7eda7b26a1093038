# shellcheck shell=bash
# Source this file (after scripts/toolchain/install.sh) to use the Pulumi toolchain:
#
#   source scripts/toolchain/env.sh
#
# If install.sh chose the cached toolchain, this puts the cached `pulumi` and
# `pulumi-language-nodejs` first on PATH and exports PULUMI_HOME (where the plugins are
# installed), PULUMI_SKIP_UPDATE_CHECK=true and
# PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true (nothing can be downloaded here).
# If install.sh found a complete Pulumi already on PATH, it changes nothing.
# Safe to source more than once and from shells with `set -u`.

_tc_env_here="$(cd "$(dirname "${BASH_SOURCE[0]:-$0}")" && pwd)"
# shellcheck source=versions.sh
. "$_tc_env_here/versions.sh"

if [ "$(cat "$TC_CACHE/selected" 2>/dev/null || true)" = system ]; then
  export PULUMI_SKIP_UPDATE_CHECK=true
elif [ -x "$TC_BIN/pulumi" ] && [ -x "$TC_BIN/pulumi-language-nodejs" ]; then
  case ":$PATH:" in
    *":$TC_BIN:"*) ;;
    *) export PATH="$TC_BIN:$PATH" ;;
  esac
  export PULUMI_HOME="$TC_PULUMI_HOME"
  export PULUMI_SKIP_UPDATE_CHECK=true
  export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true
else
  echo "scripts/toolchain/env.sh: no toolchain in $TC_CACHE; run scripts/toolchain/install.sh first" >&2
fi
unset _tc_env_here
