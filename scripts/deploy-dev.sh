#!/usr/bin/env bash
# Deploys the dev stack on this machine's Docker engine with a local file:// state backend
# and a generated passphrase: no cloud account. Re-running it converges (a no-op when
# nothing changed). Env: AIIDA_EMQX_STATE_DIR (default ~/.aiida-emqx), STACK (default dev).
set -euo pipefail
cd "$(dirname "$0")/.."
STACK="${STACK:-dev}"
STATE_DIR="${AIIDA_EMQX_STATE_DIR:-$HOME/.aiida-emqx}"

[ -d node_modules ] || npm ci --no-audit --no-fund

# Pulumi CLI: the operator's; else the official one at the SDK's version (the engine then
# fetches each provider plugin at the version its SDK pins); else, with no way out but the
# package registries, the offline toolchain (which cannot build the Docker plugin: the deploy
# then stops at the first container, see README "End-to-end test").
if ! command -v pulumi >/dev/null 2>&1 && [ -x "$HOME/.pulumi/bin/pulumi" ]; then
    export PATH="$HOME/.pulumi/bin:$PATH"
fi
if ! command -v pulumi >/dev/null 2>&1; then
    version="$(node -p 'require("@pulumi/pulumi/package.json").version')"
    installer="$(mktemp)"
    if curl -fsSL --max-time 30 https://get.pulumi.com -o "$installer"; then
        sh "$installer" --version "$version" --silent
        export PATH="$HOME/.pulumi/bin:$PATH"
    else
        echo "the official Pulumi installer is unreachable: building the toolchain from the Go module proxy"
        bash scripts/toolchain/install.sh
        # shellcheck disable=SC1091
        source scripts/toolchain/env.sh
    fi
    rm -f "$installer"
fi
# A Docker engine: use the running one, else start Debian's (root only).
docker info >/dev/null 2>&1 || bash scripts/docker/start-engine.sh

mkdir -p "$STATE_DIR/state"
chmod 700 "$STATE_DIR"
# The passphrase encrypts this stack's secrets in the state; keep it (and back it up) with the state.
if [ -z "${PULUMI_CONFIG_PASSPHRASE:-}" ] && [ -z "${PULUMI_CONFIG_PASSPHRASE_FILE:-}" ]; then
    if [ ! -s "$STATE_DIR/passphrase" ]; then
        (umask 077 && head -c 32 /dev/urandom | base64 | tr -d '\n' >"$STATE_DIR/passphrase")
        echo "generated a stack passphrase in $STATE_DIR/passphrase"
    fi
    export PULUMI_CONFIG_PASSPHRASE_FILE="$STATE_DIR/passphrase"
fi
export PULUMI_SKIP_UPDATE_CHECK=true
# Dynamic providers need pulumi-resource-pulumi-nodejs; a CLI built offline lacks it, the SDK has it.
export PATH="$PATH:$PWD/node_modules/@pulumi/pulumi"

pulumi login "file://$STATE_DIR/state"
pulumi stack select "$STACK" 2>/dev/null || pulumi stack init "$STACK"
pulumi up --yes --stack "$STACK" "$@"
pulumi stack output --stack "$STACK"
