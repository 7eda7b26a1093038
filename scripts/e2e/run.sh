#!/usr/bin/env bash
# `npm run test:e2e`: the real Pulumi engine against a real PostgreSQL and, when the Docker
# resource plugin is available, a real Docker engine. Provides what is missing (toolchain,
# Docker engine, local test images; all cached outside the repo), then runs test/e2e.
# The EMQX image is a stand-in (no EMQX image or build exists offline): it is not a broker,
# see scripts/docker/emqx-standin.
set -euo pipefail
cd "$(dirname "$0")/../.."

bash scripts/toolchain/install.sh
# shellcheck disable=SC1091
source scripts/toolchain/env.sh
export PULUMI_SKIP_UPDATE_CHECK=true
pulumi version

bash scripts/docker/start-engine.sh
bash scripts/docker/build-test-images.sh

docker_version="$(node -p 'require("@pulumi/docker/package.json").pulumi.version')"
if ! pulumi plugin ls --json | node -e '
    const want = process.argv[1];
    const plugins = JSON.parse(require("fs").readFileSync(0, "utf8")) || [];
    process.exit(plugins.some((p) => p.name === "docker" && p.kind === "resource" && p.version === want) ? 0 : 1);
' "$docker_version"; then
    echo "BLOCKED: no docker resource plugin $docker_version (not buildable from the Go module proxy, see scripts/toolchain/README.md);"
    echo "         the suites that deploy containers with Pulumi are skipped; the engine suite and the broker-files suite run."
fi

npx vitest run --config vitest.e2e.config.ts "$@"
