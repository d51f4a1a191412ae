#!/usr/bin/env bash
# The whole test suite: formatting, vet, build, every test (with the race
# detector), and a short run of every fuzz target. README's Quickstart and
# .ci/run call exactly this.
set -euo pipefail
cd "$(dirname "$0")/.."

export GOFLAGS="${GOFLAGS:--buildvcs=false}"
FUZZTIME="${FUZZTIME:-5s}"

echo "== gofmt"
unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path './hack/bench/tools/*'))
if [ -n "$unformatted" ]; then
  echo "gofmt would change:"; echo "$unformatted"; exit 1
fi

echo "== the repository stands alone"
# A clone has nothing beside it: no test or script may read ../shared (the
# folder CI and developers have beside the repository). Third-party test
# data lives in testdata/ (see testdata/README.md); tests find it, and other
# packages' test data, through internal/platform/fixture.
if outside=$(git grep -nE '\.\./shared\b|"shared[/"]' -- '*.go' '*.sh' ':!testdata' ':!hack/test.sh' 2>/dev/null); then
  echo "reads outside the repository:"; echo "$outside"; exit 1
fi

echo "== go vet"
go vet ./...

echo "== go build"
go build ./...

echo "== go test -race"
# The console's web UI is tested in headless Chromium: hack/chromium.sh
# installs Debian's chromium on first use, and the browser test fails
# (instead of skipping) when it is missing.
hack/chromium.sh >/dev/null
export PALISADE_REQUIRE_BROWSER=1
# The syscall sensor's probe is rebuilt with Debian's clang and compared
# with the committed object, and loaded into this kernel: as root the
# eBPF tests fail (instead of skipping) when they cannot run.
hack/ebpf.sh
if [ "$(id -u)" = 0 ]; then export PALISADE_REQUIRE_EBPF=1; fi
go test -race -count=1 -timeout 20m ./...

echo "== fuzz (${FUZZTIME} per target)"
# fuzz PKG TARGET runs one target. A crash found by the fuzzer ("Failing
# input written to testdata/fuzz/...") fails the suite at once. Go's fuzzing
# coordinator can also fail without any input to blame when a worker stalls
# on a loaded machine; that is reported in full and retried once, and fails
# the suite if it happens again.
fuzz() {
  local pkg=$1 target=$2 out attempt
  for attempt in 1 2; do
    if out=$(go test -run '^$' -fuzz "^${target}\$" -fuzztime "$FUZZTIME" "$pkg" 2>&1); then
      echo "$out" | tail -3
      return 0
    fi
    echo "$out" | tail -40
    if grep -q 'Failing input written' <<<"$out" || [ "$attempt" = 2 ]; then
      return 1
    fi
    echo "-- $pkg $target failed without a failing input; running it again"
  done
}
for pkg in $(go list ./...); do
  dir=$(go list -f '{{.Dir}}' "$pkg")
  for target in $(grep -ho '^func Fuzz[A-Za-z0-9_]*' "$dir"/*_test.go 2>/dev/null | sed 's/^func //' | sort -u); do
    echo "-- $pkg $target"
    fuzz "$pkg" "$target"
  done
done
echo "== storage conformance (and the console service) on PostgreSQL"
# hack/postgres.sh installs Debian's postgresql on first use and starts a
# throwaway server on loopback in its own state folder; the EXIT trap stops it.
export PALISADE_POSTGRES_DIR="${PALISADE_POSTGRES_DIR:-$(mktemp -d /tmp/palisade-test-pg.XXXXXX)}"
stop_postgres() { hack/postgres.sh down >/dev/null 2>&1 || true; }
trap stop_postgres EXIT
PALISADE_TEST_POSTGRES_URL="$(hack/postgres.sh up)"
export PALISADE_TEST_POSTGRES_URL
go test -count=1 ./internal/console/store/... ./internal/console/service/
stop_postgres
unset PALISADE_TEST_POSTGRES_URL
echo "== end-to-end (real kube-apiserver + etcd on loopback)"
# hack/controlplane.sh installs etcd (Debian) and builds kube-apiserver from
# the Go module on first use (cached); this run gets its own state folder.
export PALISADE_CONTROLPLANE_DIR="${PALISADE_CONTROLPLANE_DIR:-$(mktemp -d /tmp/palisade-test-cp.XXXXXX)}"
trap 'stop_postgres; hack/controlplane.sh down >/dev/null 2>&1 || true' EXIT
hack/controlplane.sh up >/dev/null
export PALISADE_E2E_KUBECONFIG="$PALISADE_CONTROLPLANE_DIR/kubeconfig"
e2e_log="$PALISADE_CONTROLPLANE_DIR/e2e.log"
rc=0
go test -count=1 -v ./test/e2e/ >"$e2e_log" 2>&1 || rc=$?
if [ "$rc" -ne 0 ]; then cat "$e2e_log"; exit "$rc"; fi
grep -E '^(--- |ok)' "$e2e_log"
if [ -x hack/helm-check.sh ]; then
  echo "== helm chart rendered and applied with --dry-run=server"
  KUBECONFIG="$PALISADE_E2E_KUBECONFIG" hack/helm-check.sh
fi
hack/controlplane.sh down >/dev/null 2>&1 || true
echo "== end-to-end on a real node (hack/cluster.sh: kubelet, containerd, Palisade and its syscall sensor installed by Helm)"
# hack/cluster.sh installs Debian's containerd, runc, CNI plugins and
# busybox, builds the node's components and kube-router on first use
# (cached), builds the images, and installs the chart; this run gets its
# own state folder.
export PALISADE_CLUSTER_DIR="${PALISADE_CLUSTER_DIR:-$(mktemp -d /tmp/palisade-test-node.XXXXXX)}"
trap 'stop_postgres; hack/cluster.sh down >/dev/null 2>&1 || true' EXIT
hack/cluster.sh up --with-sensor >/dev/null
node_log="$PALISADE_CLUSTER_DIR/node-e2e.log"
rc=0
PALISADE_NODE_E2E=1 PALISADE_NODE_SENSOR=1 go test -count=1 -v -timeout 30m ./test/node/ >"$node_log" 2>&1 || rc=$?
if [ "$rc" -ne 0 ]; then cat "$node_log"; exit "$rc"; fi
grep -E '^(--- |ok)|storm_test.go' "$node_log"
hack/cluster.sh down >/dev/null
echo "== palisade demo --node (its own node: a running pod terminated, another isolated)"
demo_dir=$(mktemp -d /tmp/palisade-test-demo-node.XXXXXX)
demo_out=$(go run ./cmd/palisade demo --node --exit --dir "$demo_dir" 2>&1) || { echo "$demo_out"; exit 1; }
if ! grep -q 'gone from containerd' <<<"$demo_out" || ! grep -qE 'isolated .* later; client → web: (connection refused|no answer)' <<<"$demo_out"; then
  echo "$demo_out"; echo "demo --node did not show the container killed and the pod cut off"; exit 1
fi
grep -E 'miner:|web:' <<<"$demo_out"
rm -rf "$demo_dir"
echo "== all tests passed"
