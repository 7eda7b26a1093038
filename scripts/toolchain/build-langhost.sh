#!/usr/bin/env bash
# Build pulumi-language-nodejs. Usage: build-langhost.sh OUT_DIR
#
# The language host of $PULUMI_VERSION lives in its own module,
# github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs/v3 (no tags; its
# pseudo-version at the release commit is v3.0.0-20260624120734-a88168d865b7), and the
# Go module proxy reachable here refuses it at every version tried. The newest source of
# the Node.js language host that the proxy serves is the one that was still part of the
# sdk/v3 module (up to sdk/v3.68.0, where it moved into that separate module), so it is
# built from sdk/v3@$LANGHOST_SDK_VERSION, laid out and built with that module's go.sum.
set -euo pipefail
out="$1"
v="v${LANGHOST_SDK_VERSION:?}"
src="$TC_CACHE/src/pulumi-sdk-$v"
if [ ! -f "$src/go.mod" ]; then
  sdkdir="$(go mod download -json "github.com/pulumi/pulumi/sdk/v3@$v" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p')"
  rm -rf "$src.tmp" && cp -r "$sdkdir" "$src.tmp" && chmod -R u+w "$src.tmp"
  rm -rf "$src" && mv "$src.tmp" "$src"
fi
cd "$src"
CGO_ENABLED=0 go build -p "${TC_JOBS:-2}" -trimpath \
  -ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$v" \
  -o "$out/pulumi-language-nodejs" ./nodejs/cmd/pulumi-language-nodejs
