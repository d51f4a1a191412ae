#!/usr/bin/env bash
# Build the third-party CLIs used by compare.sh (kube-score, gator) from the
# versions pinned in hack/bench/tools/go.mod (gator) and
# hack/bench/tools/kubescore/go.mod (kube-score) into a cache dir.
#
#   hack/bench/build-tools.sh            # -> ${PALISADE_CACHE:-$HOME/.cache/palisade}/bin
#   BENCH_BIN=/some/dir hack/bench/build-tools.sh
#   FORCE=1 hack/bench/build-tools.sh    # rebuild even if present
#
# The tools are built under `nice -n 10` with `go build -p 1` so a
# parallel developer on the same 2-core box is not starved. First build of
# gator takes several minutes.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
tools_dir="$here/tools"
bin_dir="${BENCH_BIN:-${PALISADE_CACHE:-$HOME/.cache/palisade}/bin}"
mkdir -p "$bin_dir"
# The tools modules are standalone: never let a go.work or -mod flag from the
# environment pull them into another build list.
export GOWORK=off GOFLAGS="${GOFLAGS:-} -mod=readonly"

# Versions come from the tools go.mod files; a stamp file records what was
# built so a version bump in go.mod triggers a rebuild.
build() { # name module-dir pkg module version-var
	local name="$1" dir="$2" pkg="$3" mod="$4" vvar="$5" v stamp
	v="$(cd "$dir" && go list -m -f '{{.Version}}' "$mod")"
	stamp="$bin_dir/.$name.version"
	if [[ -z "${FORCE:-}" && -x "$bin_dir/$name" && -f "$stamp" && "$(cat "$stamp")" == "$v" ]]; then
		echo "build-tools: $name $v already built ($bin_dir/$name)"
		return
	fi
	echo "build-tools: building $name $v -> $bin_dir/$name"
	local start=$SECONDS
	(cd "$dir" && CGO_ENABLED=0 nice -n 10 go build -trimpath -p 1 \
		-ldflags "-s -w -X $vvar=$v" -o "$bin_dir/$name" "$pkg")
	echo "$v" >"$stamp"
	echo "build-tools: $name built in $((SECONDS - start))s"
}

build kube-score "$tools_dir/kubescore" \
	github.com/zegl/kube-score/cmd/kube-score github.com/zegl/kube-score main.version
build gator "$tools_dir" \
	github.com/open-policy-agent/gatekeeper/v3/cmd/gator github.com/open-policy-agent/gatekeeper/v3 \
	github.com/open-policy-agent/gatekeeper/v3/pkg/version.Version

echo "build-tools: done; binaries in $bin_dir"
