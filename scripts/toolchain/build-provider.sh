#!/usr/bin/env bash
# Build a bridged resource provider plugin. Usage: build-provider.sh NAME VERSION OUT_DIR
#
# Builds from ./providers (a Go module of this repo that bridges the upstream Terraform
# provider with pulumi-terraform-bridge; all dependencies come from the Go module proxy),
# in a work copy under the cache so the repo stays clean:
#   1. go build cmd/pulumi-tfgen-NAME, run it to write the Pulumi package schema;
#   2. stamp VERSION into it as schema-embed.json (what upstream's generate.go does),
#      and keep the bridge-metadata.json tfgen writes beside it;
#   3. go build cmd/pulumi-resource-NAME, which embeds schema-embed.json, with VERSION
#      linked in, CGO_ENABLED=0 like upstream release builds.
set -euo pipefail
name="$1" version="$2" out="$3"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
case "$name" in
  random) var=RandomVersion ;;
  tls) var=TLSVersion ;;
  *) echo "build-provider.sh: no bridge configuration for '$name'" >&2; exit 2 ;;
esac
work="$TC_CACHE/src/providers"
mkdir -p "$work"
# Refresh the work copy (sources are small; unchanged files keep the Go build cache hot).
cp -r "$here/providers/." "$work/"
ldflags="-s -w -X aiida-emqx.local/toolchain/providers/bridged.$var=$version"
cd "$work"
CGO_ENABLED=0 go build -p "${TC_JOBS:-2}" -trimpath -ldflags "$ldflags" \
  -o "$work/bin/pulumi-tfgen-$name" "./cmd/pulumi-tfgen-$name"
gen="$work/gen/$name" && rm -rf "$gen" && mkdir -p "$gen"
(cd "$gen" && "$work/bin/pulumi-tfgen-$name" schema --skip-examples --out "$gen" >"$gen/tfgen.log" 2>&1) || {
  cat "$gen/tfgen.log" >&2; exit 1; }
node -e '
  const fs = require("fs"); const [src, dst, v] = process.argv.slice(1);
  const s = JSON.parse(fs.readFileSync(src, "utf8")); s.version = v;
  fs.writeFileSync(dst, JSON.stringify(s));' \
  "$gen/schema.json" "$work/cmd/pulumi-resource-$name/schema-embed.json" "$version"
if [ -f "$gen/bridge-metadata.json" ]; then
  cp "$gen/bridge-metadata.json" "$work/cmd/pulumi-resource-$name/bridge-metadata.json"
else
  echo '{}' >"$work/cmd/pulumi-resource-$name/bridge-metadata.json"
fi
CGO_ENABLED=0 go build -p "${TC_JOBS:-2}" -trimpath -ldflags "$ldflags" \
  -o "$out/pulumi-resource-$name" "./cmd/pulumi-resource-$name"
