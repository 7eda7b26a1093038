#!/usr/bin/env bash
# Build pulumi-language-nodejs. Usage: build-langhost.sh OUT_DIR
#
# The upstream Node.js language host of $PULUMI_VERSION is its own module,
# github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs/v3 (untagged; at the
# release commit its pseudo-version is v3.0.0-20260624120734-a88168d865b7), and the Go
# module proxy reachable here refuses it at every version tried (403 "This module version
# is not available"). So this builds ./langhost, a small host of this repo compiled
# against github.com/pulumi/pulumi/sdk/v3@v$PULUMI_VERSION (see langhost/main.go).
set -euo pipefail
out="$1"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
work="$TC_CACHE/src/langhost"
mkdir -p "$work" && cp -r "$here/langhost/." "$work/"
cd "$work"
# Build against the CLI's SDK version (go.mod pins it; keep them in step).
go mod edit -require "github.com/pulumi/pulumi/sdk/v3@v$PULUMI_VERSION"
CGO_ENABLED=0 go build -p "${TC_JOBS:-2}" -trimpath \
  -ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v$PULUMI_VERSION" \
  -o "$out/pulumi-language-nodejs" .
