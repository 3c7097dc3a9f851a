#!/usr/bin/env bash
# Builds the pinned Atlas community CLI into .tools/bin/atlas.
#
# Sources come from the Go module proxy, verified against tools/atlas/go.sum. The
# newest cmd/atlas the proxy serves is the v0.13.1 tag (pseudo-versions of later
# commits are refused), and its pinned Atlas library predates PostgreSQL 16. So the
# patches here are applied, in name order, to a private copy of that library before
# compiling: pg16.patch (a backport of upstream's own fix) and scale.patch (schema reading
# that grows linearly with the number of tables; see its header). No cgo: the PostgreSQL
# driver is pure Go.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
out=${1:-$root/.tools/bin/atlas}
work=$root/.tools/build/atlas
export GOFLAGS=-mod=mod GOTOOLCHAIN=local

# Go's own error for a toolchain older than go.mod's `go` line is cryptic: say it plainly.
need=$(sed -n 's/^go \([0-9][0-9.]*\)$/\1/p' "$here/go.mod")
fix="install Go $need or newer (https://go.dev/dl), or set ATLAS=/path/to/atlas to use a binary you have"
command -v go >/dev/null || { echo "error: go not found: building Atlas needs Go $need or newer: $fix" >&2; exit 1; }
have=$(go env GOVERSION | sed -n 's/^go\([0-9][0-9.]*\).*/\1/p')
if [ -z "$have" ] || [ "$(printf '%s\n%s\n' "$need" "$have" | sort -V | head -1)" != "$need" ]; then
  echo "error: building Atlas needs Go $need or newer, found $(go env GOVERSION): $fix" >&2
  exit 1
fi

echo "building Atlas v0.13.1 from the Go module proxy into ${out#"$root"/} (a few minutes, once)" >&2
# Go's progress (a hundred "go: downloading" lines) goes to a log, shown only if the build fails.
mkdir -p "$root/.tools"
log=$root/.tools/atlas-build.log
: >"$log"
trap 'status=$?; [ $status -eq 0 ] || { tail -n 40 "$log" >&2; echo "atlas build failed (exit $status): the whole log is $log" >&2; }' EXIT

cd "$here"
json=$(go mod download -json ariga.io/atlas 2>>"$log") || true
lib=$(sed -n 's/^\t"Dir": "\(.*\)",$/\1/p' <<<"$json")
if [ ! -d "$lib" ]; then
  why=$(sed -n 's/^\t"Error": "\(.*\)",*$/\1/p' <<<"$json")
  echo "atlas build: go mod download ariga.io/atlas failed: ${why:-see the log}: check the network to the Go module proxy (GOPROXY)" >&2
  exit 1
fi

rm -rf "$work" && mkdir -p "$work"
cp -R "$lib" "$work/lib" && chmod -R u+w "$work/lib"
for p in "$here"/*.patch; do
  patch --quiet -p1 -d "$work/lib" < "$p"
done
cp go.mod "$work/go.mod" && cp go.sum "$work/go.sum"
go mod edit -modfile="$work/go.mod" -replace="ariga.io/atlas=$work/lib"

mkdir -p "$(dirname "$out")"
CGO_ENABLED=0 go build -modfile="$work/go.mod" -trimpath \
  -ldflags "-s -w -X ariga.io/atlas/cmd/atlas/internal/cmdapi.version=v0.13.1+chatmaps" \
  -o "$out.tmp" ariga.io/atlas/cmd/atlas 2>>"$log"
mv "$out.tmp" "$out"
rm -rf "$work"
echo "built $("$out" version | head -1)" >&2
