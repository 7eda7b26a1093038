#!/usr/bin/env bash
# Build the Pulumi CLI (pkg/cmd/pulumi) at $PULUMI_VERSION from the Go module proxy.
# Usage: build-cli.sh OUT_DIR   (expects GOMODCACHE/GOCACHE/GOFLAGS exported by install.sh)
# pkg/go.mod replaces sdk/v3 with ../sdk, so the two module zips are laid out side by
# side exactly as in the upstream repository and the CLI is built inside pkg/ with
# pkg's own go.sum: the same dependency set as an upstream build.
set -euo pipefail
out="$1"
v="v${PULUMI_VERSION:?}"
src="$TC_CACHE/src/pulumi-$v"
if [ ! -f "$src/pkg/go.mod" ]; then
  pkgdir="$(go mod download -json "github.com/pulumi/pulumi/pkg/v3@$v" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p')"
  sdkdir="$(go mod download -json "github.com/pulumi/pulumi/sdk/v3@$v" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p')"
  rm -rf "$src.tmp" && mkdir -p "$src.tmp"
  cp -r "$pkgdir" "$src.tmp/pkg" && cp -r "$sdkdir" "$src.tmp/sdk"
  chmod -R u+w "$src.tmp"
  rm -rf "$src" && mv "$src.tmp" "$src"
fi
cd "$src/pkg"
CGO_ENABLED=0 go build -p "${TC_JOBS:-2}" -trimpath -tags osusergo,grpcnotrace \
  -ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$v" \
  -o "$out/pulumi" ./cmd/pulumi
