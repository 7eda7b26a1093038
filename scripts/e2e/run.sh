#!/usr/bin/env bash
# `npm run test:e2e`: the real Pulumi engine against a real Docker engine and a real
# PostgreSQL. Provides what is missing (toolchain, engine, local test images; all cached
# outside the repo), then runs test/e2e with vitest. The EMQX image is a stand-in (no EMQX
# image or build is available offline): it is not a broker, see scripts/docker/emqx-standin.
set -euo pipefail
cd "$(dirname "$0")/../.."

AIIDA_TOOLCHAIN_STRICT=1 bash scripts/toolchain/install.sh
# shellcheck disable=SC1091
source scripts/toolchain/env.sh
bash scripts/docker/start-engine.sh
bash scripts/docker/build-test-images.sh

export PULUMI_SKIP_UPDATE_CHECK=true
pulumi version
npx vitest run --config vitest.e2e.config.ts "$@"
