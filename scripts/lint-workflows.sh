#!/usr/bin/env bash
# Lints the GitHub Actions workflows with actionlint (which also runs shellcheck on `run:`
# scripts when shellcheck is on PATH).
#
#   bash scripts/lint-workflows.sh [workflow files...]     # default: .github/workflows/*.y*ml
#
# actionlint is built from the Go module proxy (no GitHub download needed) into a cache outside
# the repository, once: $AIIDA_TOOLCHAIN_CACHE/bin (default /var/cache/aiida-emqx-toolchain/bin),
# with the Go module and build caches next to it. A warm run takes well under a second.
#
# Environment:
#   AIIDA_TOOLCHAIN_CACHE  cache directory (shared with scripts/toolchain/install.sh)
#   ACTIONLINT_VERSION     default v1.7.12
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
version="${ACTIONLINT_VERSION:-v1.7.12}"
cache="${AIIDA_TOOLCHAIN_CACHE:-/var/cache/aiida-emqx-toolchain}"
bin_dir="$cache/bin"
bin="$bin_dir/actionlint-$version"

if [ ! -x "$bin" ]; then
  if ! command -v go >/dev/null 2>&1; then
    echo "lint-workflows: actionlint $version is not in $bin_dir and Go is not installed to build it" >&2
    exit 2
  fi
  mkdir -p "$bin_dir"
  tmp="$(mktemp -d "$bin_dir/.actionlint-build.XXXXXX")"
  trap 'rm -rf "$tmp"' EXIT
  echo "lint-workflows: building actionlint $version from the Go module proxy into $bin_dir" >&2
  # Own module and build caches under the toolchain cache, so CI can cache one directory.
  GOBIN="$tmp" \
    GOMODCACHE="${GOMODCACHE:-$cache/gomod}" \
    GOCACHE="${GOCACHE:-$cache/gocache}" \
    GOFLAGS="${GOFLAGS:-} -modcacherw" \
    CGO_ENABLED=0 \
    go install "github.com/rhysd/actionlint/cmd/actionlint@$version"
  mv "$tmp/actionlint" "$bin"
  rm -rf "$tmp"
  trap - EXIT
fi

cd "$repo"
if [ "$#" -eq 0 ]; then
  shopt -s nullglob
  set -- .github/workflows/*.yml .github/workflows/*.yaml
  if [ "$#" -eq 0 ]; then
    echo "lint-workflows: no workflow files under .github/workflows" >&2
    exit 1
  fi
fi
if ! command -v shellcheck >/dev/null 2>&1; then
  echo "lint-workflows: shellcheck not found: run: scripts are not checked (apt-get install shellcheck)" >&2
fi
echo "lint-workflows: actionlint $version on $*" >&2
exec "$bin" -no-color "$@"
