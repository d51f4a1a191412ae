#!/usr/bin/env bash
# Build the third-party programs the benchmarks run beside Palisade, from
# the versions pinned in the tools modules, into a cache dir:
#   kube-score          hack/bench/tools/kubescore/go.mod   (compare.sh)
#   gator               hack/bench/tools/go.mod             (compare.sh)
#   gatekeeper-manager  hack/bench/tools/go.mod, the module root's main
#                       package: Gatekeeper's webhook/audit manager (peers.sh)
#   kyverno             hack/bench/tools/kyverno/go.mod, cmd/kyverno: Kyverno's
#                       admission controller (peers.sh); its own module
#                       because it needs Kyverno's replace directives
#
#   hack/bench/build-tools.sh                    # kube-score and gator
#   hack/bench/build-tools.sh gatekeeper-manager kyverno
#   BENCH_BIN=/some/dir hack/bench/build-tools.sh
#   FORCE=1 hack/bench/build-tools.sh    # rebuild even if present
#
# Binaries land in ${PALISADE_CACHE:-$HOME/.cache/palisade}/bin with a
# .NAME.version stamp. They are built under `nice -n 10` with `go build -p 1`
# so a parallel developer on the same 2-core box is not starved. A first
# build takes several minutes (gator) to most of an hour (the manager,
# kyverno) on a busy 2-core machine.
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

# A module that needs a newer Go than the machine's would have GOTOOLCHAIN
# set here, for that build only; the pinned ones build with Go 1.26.
one() {
	case "$1" in
	kube-score)
		build kube-score "$tools_dir/kubescore" \
			github.com/zegl/kube-score/cmd/kube-score github.com/zegl/kube-score main.version ;;
	gator)
		build gator "$tools_dir" \
			github.com/open-policy-agent/gatekeeper/v3/cmd/gator github.com/open-policy-agent/gatekeeper/v3 \
			github.com/open-policy-agent/gatekeeper/v3/pkg/version.Version ;;
	gatekeeper-manager)
		build gatekeeper-manager "$tools_dir" \
			github.com/open-policy-agent/gatekeeper/v3 github.com/open-policy-agent/gatekeeper/v3 \
			github.com/open-policy-agent/gatekeeper/v3/pkg/version.Version ;;
	kyverno)
		build kyverno "$tools_dir/kyverno" \
			github.com/kyverno/kyverno/cmd/kyverno github.com/kyverno/kyverno \
			github.com/kyverno/kyverno/pkg/version.BuildVersion ;;
	*)
		echo "build-tools: unknown tool $1 (kube-score, gator, gatekeeper-manager, kyverno)" >&2
		exit 2 ;;
	esac
}

[ $# -gt 0 ] || set -- kube-score gator
for t in "$@"; do one "$t"; done

echo "build-tools: done; binaries in $bin_dir"
