#!/usr/bin/env bash
# Smoke test of the toolchain: a throwaway TypeScript Pulumi project outside the repo
# (using the repo's node_modules), a local file:// backend, `pulumi up` then
# `pulumi destroy` of a random.RandomPassword and a tls.PrivateKey (plus a
# docker.Network when a Docker engine answers and the docker plugin is installed).
#
#   scripts/toolchain/install.sh && scripts/toolchain/smoke-test.sh
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
# shellcheck source=env.sh
. "$here/env.sh"

dir="$(mktemp -d /tmp/aiida-toolchain-smoke.XXXXXX)"
trap 'rm -rf "$dir"' EXIT
mkdir -p "$dir/project" "$dir/state"
cd "$dir/project"
ln -s "$repo/node_modules" node_modules

with_docker=0
if [ "${SMOKE_DOCKER:-auto}" != 0 ] && command -v docker >/dev/null 2>&1 && docker info >/dev/null 2>&1 \
  && pulumi plugin ls 2>/dev/null | awk '$1 == "docker" && $2 == "resource" { f = 1 } END { exit !f }'; then
  with_docker=1
fi

cat >Pulumi.yaml <<'EOF'
name: aiida-toolchain-smoke
runtime:
  name: nodejs
  options:
    typescript: true
EOF
cat >package.json <<'EOF'
{ "name": "aiida-toolchain-smoke", "private": true, "main": "index.ts" }
EOF
cat >tsconfig.json <<'EOF'
{
  "compilerOptions": {
    "target": "ES2022", "module": "commonjs", "moduleResolution": "node",
    "strict": true, "esModuleInterop": true, "skipLibCheck": true
  },
  "files": ["index.ts"]
}
EOF
cat >index.ts <<'EOF'
import * as random from "@pulumi/random";
import * as tls from "@pulumi/tls";

const password = new random.RandomPassword("smoke-password", { length: 24, special: false });
const key = new tls.PrivateKey("smoke-key", { algorithm: "ECDSA", ecdsaCurve: "P256" });

export const passwordLength = password.result.apply((r) => r.length);
export const publicKeyFingerprint = key.publicKeyFingerprintSha256;
export const publicKeyPemFirstLine = key.publicKeyPem.apply((p) => p.split("\n")[0]);
EOF
if [ "$with_docker" = 1 ]; then
  cat >>index.ts <<'EOF'

import * as docker from "@pulumi/docker";
const net = new docker.Network("smoke-net", { name: "aiida-toolchain-smoke" });
export const networkId = net.id;
EOF
fi

export PULUMI_CONFIG_PASSPHRASE="${PULUMI_CONFIG_PASSPHRASE:-smoke}"
export PULUMI_BACKEND_URL="file://$dir/state"
echo "== pulumi version: $(pulumi version)"
echo "== plugins:"; pulumi plugin ls
pulumi login "file://$dir/state"
pulumi stack init dev
pulumi up --yes --stack dev --non-interactive
echo "== outputs:"; pulumi stack output --stack dev --json
pulumi destroy --yes --stack dev --non-interactive
pulumi stack rm --yes --stack dev --non-interactive
echo "smoke test passed (docker resources: $([ "$with_docker" = 1 ] && echo yes || echo skipped))"
