#!/usr/bin/env bash
# A real Kubernetes control plane on loopback for end-to-end tests and the
# demo: etcd (Debian's etcd-server) and kube-apiserver built from the
# k8s.io/kubernetes Go module (hack/tools/kube, cached). There is no
# kubelet and no controller-manager: pods stay Pending, and the "default"
# ServiceAccount is created here.
#
#   hack/controlplane.sh up     # start; prints "export KUBECONFIG=..."
#   hack/controlplane.sh down   # stop and delete the state
#   hack/controlplane.sh build  # only install etcd and build kube-apiserver
#
# State lives in $PALISADE_CONTROLPLANE_DIR (default /tmp/palisade-controlplane);
# binaries in ${PALISADE_CACHE:-$HOME/.cache/palisade}/bin. Only 127.0.0.1 is used.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
dir="${PALISADE_CONTROLPLANE_DIR:-/tmp/palisade-controlplane}"
cache="${PALISADE_CACHE:-$HOME/.cache/palisade}/bin"
kube_version="$(awk '$1 == "require" && $2 == "k8s.io/kubernetes" {print $3}' "$root/hack/tools/kube/go.mod")"
apiserver="$cache/kube-apiserver-$kube_version"

log() { echo "controlplane: $*" >&2; }
die() { log "$*"; exit 1; }

# shellcheck source=hack/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ensure_etcd() {
	command -v etcd >/dev/null && return
	log "installing Debian etcd-server"
	apt_install etcd-server
	# The package may start a system etcd on the default ports; ours uses others.
}

ensure_apiserver() {
	# The version is stamped as Kubernetes' own build does, so that clients
	# (kubectl, Helm's kubeVersion checks) see the real release.
	if [ -x "$apiserver" ] && "$apiserver" --version 2>/dev/null | grep -qx "Kubernetes $kube_version"; then
		return
	fi
	log "building kube-apiserver $kube_version from the Go module (several minutes, cached in $cache)"
	mkdir -p "$cache"
	local minor="${kube_version#v1.}"
	minor="${minor%%.*}"
	local pkg=k8s.io/component-base/version
	(cd "$root/hack/tools/kube" && GOFLAGS=-mod=mod nice go build \
		-ldflags "-X $pkg.gitVersion=$kube_version -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor -X $pkg.gitTreeState=clean" \
		-o "$apiserver.tmp" k8s.io/kubernetes/cmd/kube-apiserver) &
	wait_with_progress $! "building kube-apiserver $kube_version"
	mv "$apiserver.tmp" "$apiserver"
}

up() {
	ensure_etcd
	ensure_apiserver
	if [ -f "$dir/env" ] && kubectl --kubeconfig "$dir/kubeconfig" get --raw /readyz >/dev/null 2>&1; then
		log "already running"
		cat "$dir/env"
		return
	fi
	down_quiet
	mkdir -p "$dir/certs"
	local etcd_port peer_port api_port token
	etcd_port=$(free_port 22379)
	peer_port=$(free_port $((etcd_port + 1)))
	api_port=$(free_port 26443)
	token=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
	echo "$token,palisade-admin,palisade-admin,system:masters" >"$dir/tokens.csv"
	chmod 600 "$dir/tokens.csv"
	openssl genrsa -out "$dir/sa.key" 2048 2>/dev/null

	etcd --name palisade --data-dir "$dir/etcd" \
		--listen-client-urls "http://127.0.0.1:$etcd_port" --advertise-client-urls "http://127.0.0.1:$etcd_port" \
		--listen-peer-urls "http://127.0.0.1:$peer_port" --initial-advertise-peer-urls "http://127.0.0.1:$peer_port" \
		--initial-cluster "palisade=http://127.0.0.1:$peer_port" >"$dir/etcd.log" 2>&1 &
	echo $! >"$dir/etcd.pid"

	"$apiserver" --etcd-servers "http://127.0.0.1:$etcd_port" \
		--bind-address 127.0.0.1 --advertise-address 127.0.0.1 --secure-port "$api_port" \
		--cert-dir "$dir/certs" --token-auth-file "$dir/tokens.csv" \
		--authorization-mode RBAC --allow-privileged=true \
		--service-account-issuer https://kubernetes.default.svc.cluster.local \
		--service-account-key-file "$dir/sa.key" --service-account-signing-key-file "$dir/sa.key" \
		--service-cluster-ip-range 10.96.0.0/16 --endpoint-reconciler-type none ${PALISADE_APISERVER_FLAGS:-} >"$dir/apiserver.log" 2>&1 &
	echo $! >"$dir/apiserver.pid"

	kubeconfig "https://127.0.0.1:$api_port" "$token" "insecure-skip-tls-verify: true" >"$dir/kubeconfig"
	chmod 600 "$dir/kubeconfig"

	local i
	for i in $(seq 1 120); do
		kubectl --kubeconfig "$dir/kubeconfig" get --raw /readyz >/dev/null 2>&1 && break
		kill -0 "$(cat "$dir/apiserver.pid")" 2>/dev/null || die "kube-apiserver exited: $(tail -5 "$dir/apiserver.log")"
		sleep 0.5
	done
	kubectl --kubeconfig "$dir/kubeconfig" get --raw /readyz >/dev/null 2>&1 || die "kube-apiserver not ready after 60 s: $(tail -5 "$dir/apiserver.log")"
	# No controller-manager: create the default ServiceAccount ourselves.
	for i in $(seq 1 40); do
		kubectl --kubeconfig "$dir/kubeconfig" get namespace default >/dev/null 2>&1 && break
		sleep 0.25
	done
	for ns in default kube-system; do
		kubectl --kubeconfig "$dir/kubeconfig" create serviceaccount default -n "$ns" >/dev/null 2>&1 || true
	done
	echo "export KUBECONFIG=$dir/kubeconfig" >"$dir/env"
	log "kube-apiserver $kube_version ready on https://127.0.0.1:$api_port"
	cat "$dir/env"
}

down_quiet() {
	local f
	for f in apiserver etcd; do
		if [ -f "$dir/$f.pid" ]; then
			kill "$(cat "$dir/$f.pid")" 2>/dev/null || true
			for _ in $(seq 1 20); do kill -0 "$(cat "$dir/$f.pid")" 2>/dev/null || break; sleep 0.25; done
			kill -9 "$(cat "$dir/$f.pid")" 2>/dev/null || true
		fi
	done
	rm -rf "$dir"
}

case "${1:-}" in
up) up ;;
down) down_quiet; log "stopped" ;;
build) ensure_etcd; ensure_apiserver; log "etcd $(etcd --version | head -1); $apiserver" ;;
*) echo "usage: $0 up|down|build" >&2; exit 2 ;;
esac
