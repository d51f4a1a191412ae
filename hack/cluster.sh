#!/usr/bin/env bash
# A real single-node Kubernetes cluster on this machine, for the tests and
# the demo that need running containers, with Palisade installed from its
# own image by Helm:
#   - etcd (Debian) and kube-apiserver, kube-controller-manager,
#     kube-scheduler, kubelet and kube-proxy built from the k8s.io/kubernetes
#     Go module (hack/tools/kube, cached like hack/controlplane.sh's);
#   - Debian's containerd, runc and containernetworking-plugins (bridge,
#     host-local, portmap, loopback) on the bridge palisade0 (10.244.0.1/24);
#   - kube-router's NetworkPolicy firewall, built from its Go module
#     (hack/tools/kuberouter; its router and service proxy stay off);
#   - the images the node needs, built locally (hack/image): the pause
#     image, palisade.test/busybox:1 and Palisade's own, imported into
#     containerd, since nothing can be pulled from a registry here;
#   - `helm install palisade` into palisade-system (unless --no-palisade),
#     then the API server restarted with its audit webhook pointed at the
#     agent's /audit (the runtime intake).
# Pod and Service addresses live only on the node's bridge and network
# namespaces; a FORWARD rule drops anything a pod sends out of the bridge.
#
#   hack/cluster.sh up [--no-palisade] [--no-netpol] [--with-sensor]
#                                                      # prints "export KUBECONFIG=..."; --with-sensor
#                                                      # also runs Palisade's syscall sensor (DaemonSet)
#   hack/cluster.sh down                               # stop and delete the state
#   hack/cluster.sh install                            # rebuild Palisade's image, helm upgrade
#   hack/cluster.sh build                              # install packages, build binaries and images
#   hack/cluster.sh netpol start|stop                  # start or stop the NetworkPolicy enforcer
#
# State lives in $PALISADE_CLUSTER_DIR (default /tmp/palisade-cluster), the
# kubeconfig at $PALISADE_CLUSTER_DIR/kubeconfig; binaries in
# ${PALISADE_CACHE:-$HOME/.cache/palisade}/bin. Needs root (containers,
# bridges, iptables). One cluster per machine: the bridge and the node's
# iptables rules are the machine's.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
dir="$(realpath -m "${PALISADE_CLUSTER_DIR:-/tmp/palisade-cluster}")"
cache="${PALISADE_CACHE:-$HOME/.cache/palisade}/bin"
kube_version="$(awk '$1 == "require" && $2 == "k8s.io/kubernetes" {print $3}' "$root/hack/tools/kube/go.mod")"
router_version="$(awk '$1 == "require" && $2 == "github.com/cloudnativelabs/kube-router/v2" {print $3}' "$root/hack/tools/kuberouter/go.mod")"
node=palisade-node
bridge=palisade0
gateway=10.244.0.1
pod_cidr=10.244.0.0/24
service_cidr=10.96.0.0/16
release=palisade
release_ns=palisade-system
lock=/run/palisade-cluster

log() { echo "cluster: $*" >&2; }
die() { log "$*"; exit 1; }

# shellcheck source=hack/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

[ "$(id -u)" -eq 0 ] || die "needs root: containers, the bridge and iptables rules are the machine's (run with sudo)"

ensure_packages() {
	local missing=()
	command -v etcd >/dev/null || missing+=(etcd-server)
	command -v containerd >/dev/null || missing+=(containerd)
	command -v runc >/dev/null || missing+=(runc)
	[ -x /usr/lib/cni/bridge ] || missing+=(containernetworking-plugins)
	[ -x /bin/busybox ] || missing+=(busybox-static)
	command -v iptables >/dev/null || missing+=(iptables)
	command -v ipset >/dev/null || missing+=(ipset)
	command -v conntrack >/dev/null || missing+=(conntrack)
	command -v kubectl >/dev/null || missing+=(kubectl)
	command -v openssl >/dev/null || missing+=(openssl)
	[ -r /etc/ssl/certs/ca-certificates.crt ] || missing+=(ca-certificates)
	if [ ${#missing[@]} -gt 0 ]; then
		log "installing Debian packages: ${missing[*]}"
		apt_install "${missing[@]}"
	fi
}

# ensure_kube builds the node's components in one go build (they share
# most packages) and kube-apiserver through hack/controlplane.sh's build.
ensure_kube() {
	PALISADE_CACHE="${PALISADE_CACHE:-$HOME/.cache/palisade}" "$root/hack/controlplane.sh" build >/dev/null
	local c missing=()
	for c in kube-controller-manager kube-scheduler kubelet kube-proxy; do
		if ! [ -x "$cache/$c-$kube_version" ] || ! "$cache/$c-$kube_version" --version 2>/dev/null | grep -qx "Kubernetes $kube_version"; then
			missing+=("$c")
		fi
	done
	[ ${#missing[@]} -eq 0 ] && return
	log "building ${missing[*]} $kube_version from the Go module (several minutes the first time, cached in $cache)"
	local minor="${kube_version#v1.}" pkg=k8s.io/component-base/version tmp
	minor="${minor%%.*}"
	tmp=$(mktemp -d "$cache/.build.XXXXXX")
	local pkgs=()
	for c in "${missing[@]}"; do pkgs+=("k8s.io/kubernetes/cmd/$c"); done
	(cd "$root/hack/tools/kube" && CGO_ENABLED=0 GOFLAGS=-mod=mod nice go build \
		-ldflags "-s -w -X $pkg.gitVersion=$kube_version -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor -X $pkg.gitTreeState=clean" \
		-o "$tmp/" "${pkgs[@]}") &
	wait_with_progress $! "building ${missing[*]}" || { rm -rf "$tmp"; die "go build failed"; }
	for c in "${missing[@]}"; do mv "$tmp/$c" "$cache/$c-$kube_version"; done
	rm -rf "$tmp"
}

ensure_router() {
	local bin="$cache/kube-router-$router_version"
	[ -x "$bin" ] && return
	log "building kube-router $router_version from the Go module (cached in $cache)"
	mkdir -p "$cache"
	(cd "$root/hack/tools/kuberouter" && CGO_ENABLED=0 GOFLAGS=-mod=mod nice go build -ldflags "-s -w" \
		-o "$bin.tmp" github.com/cloudnativelabs/kube-router/v2/cmd/kube-router) &
	wait_with_progress $! "building kube-router $router_version" || die "go build failed"
	mv "$bin.tmp" "$bin"
}

# ensure_images builds the pause and busybox images and Palisade's own
# (hack/image.sh); the tarballs land in $dir/images.
ensure_images() {
	mkdir -p "$dir/images"
	(cd "$root" && go run ./hack/image -test-images "$dir/images" >/dev/null) || die "building the test images failed"
	if [ "${want_palisade:-1}" = 1 ]; then
		(cd "$root" && hack/image.sh --out "$dir/images/palisade" --version "$(image_version)" >/dev/null) || die "building Palisade's image failed"
	fi
}

# image_version is the chart's appVersion: the chart's default tag, so
# `helm install` needs no --set image.tag.
image_version() { awk '$1 == "appVersion:" {gsub(/"/, "", $2); print $2}' "$root/deploy/helm/palisade/Chart.yaml"; }

build() {
	ensure_packages
	ensure_kube
	ensure_router
	ensure_helm
}

# pki issues the cluster's certificates from one CA: the API server's
# serving certificate (for its loopback, bridge and Service addresses) and
# its client certificate towards the kubelet.
pki() {
	local p="$dir/pki"
	mkdir -p "$p"
	openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj "/CN=palisade-cluster-ca" \
		-keyout "$p/ca.key" -out "$p/ca.crt" 2>/dev/null
	cat >"$p/apiserver.ext" <<EXT
subjectAltName = IP:127.0.0.1, IP:$gateway, IP:10.96.0.1, DNS:kubernetes, DNS:kubernetes.default, DNS:kubernetes.default.svc, DNS:kubernetes.default.svc.cluster.local, DNS:localhost
extendedKeyUsage = serverAuth
EXT
	issue apiserver "/CN=kube-apiserver" "$p/apiserver.ext"
	printf 'extendedKeyUsage = clientAuth\n' >"$p/client.ext"
	issue apiserver-kubelet-client "/O=system:masters/CN=kube-apiserver-kubelet-client" "$p/client.ext"
	openssl genrsa -out "$p/sa.key" 2048 2>/dev/null
	chmod 600 "$p"/*.key
}

issue() {
	local p="$dir/pki" name=$1 subj=$2 ext=$3
	openssl req -newkey rsa:2048 -nodes -subj "$subj" -keyout "$p/$name.key" -out "$p/$name.csr" 2>/dev/null
	openssl x509 -req -in "$p/$name.csr" -CA "$p/ca.crt" -CAkey "$p/ca.key" -CAcreateserial -days 30 \
		-extfile "$ext" -out "$p/$name.crt" 2>/dev/null
}

# network sets up the bridge before anything needs the node's address (the
# API server listens on it, the kubelet reports it), and the sysctls and
# the rule that keep pod traffic on the machine.
network() {
	if ! ip link show "$bridge" >/dev/null 2>&1; then
		ip link add "$bridge" type bridge
	fi
	ip addr replace "$gateway/24" dev "$bridge"
	ip link set "$bridge" up
	# Service addresses belong on the bridge too: without kube-proxy's
	# rules they would otherwise follow the default route off the machine.
	ip route replace "$service_cidr" dev "$bridge" src "$gateway"
	# Bridged pod-to-pod traffic reaches iptables (NetworkPolicy) only
	# through br_netfilter.
	[ -d /proc/sys/net/bridge ] || modprobe br_netfilter 2>/dev/null || true
	[ -d /proc/sys/net/bridge ] || die "the kernel has no br_netfilter: NetworkPolicy could not filter pods on one bridge"
	local k
	for k in net.ipv4.ip_forward net.bridge.bridge-nf-call-iptables; do
		echo "$k=$(sysctl -n "$k")" >>"$dir/sysctl.saved"
		sysctl -qw "$k=1"
	done
	# Nothing a pod sends may leave through another interface: pods reach
	# each other, Services (DNAT happens before this) and the node itself.
	iptables -N PALISADE-NODE-LOCAL 2>/dev/null || iptables -F PALISADE-NODE-LOCAL
	iptables -A PALISADE-NODE-LOCAL -i "$bridge" ! -o "$bridge" -j DROP
	iptables -C FORWARD -j PALISADE-NODE-LOCAL 2>/dev/null || iptables -I FORWARD 1 -j PALISADE-NODE-LOCAL
}

network_down() {
	iptables -D FORWARD -j PALISADE-NODE-LOCAL 2>/dev/null || true
	iptables -F PALISADE-NODE-LOCAL 2>/dev/null || true
	iptables -X PALISADE-NODE-LOCAL 2>/dev/null || true
	ip link del "$bridge" 2>/dev/null || true
	if [ -f "$dir/sysctl.saved" ]; then
		local line
		# The first value saved for each key is the machine's own.
		sort -u -t= -k1,1 -s "$dir/sysctl.saved" | while read -r line; do sysctl -qw "$line" || true; done
	fi
}

# start NAME CMD... runs a component in the background, its output in
# $dir/NAME.log and its PID in $dir/NAME.pid.
start() {
	local name=$1
	shift
	"$@" >"$dir/$name.log" 2>&1 &
	local pid=$!
	echo "$pid" >"$dir/$name.pid"
	# Until the forked shell has exec'd the command, its command line is
	# this script's, which ours (below) does not count as the component.
	for _ in $(seq 1 100); do
		ours "$pid" || ! kill -0 "$pid" 2>/dev/null && break
		sleep 0.01
	done
}

running() { [ -f "$dir/$1.pid" ] && ours "$(cat "$dir/$1.pid")"; }

# wait_for WHAT SECONDS COMPONENT CMD... polls CMD every half second, and
# gives up early when COMPONENT's process is gone.
wait_for() {
	local what=$1 secs=$2 comp=$3 i
	shift 3
	for i in $(seq 1 $((secs * 2))); do
		"$@" >/dev/null 2>&1 && return 0
		if [ -n "$comp" ] && ! running "$comp"; then
			die "$comp exited while waiting for $what: $(tail -5 "$dir/$comp.log")"
		fi
		sleep 0.5
	done
	die "$what not ready after $secs s (logs in $dir)"
}

k() { kubectl --kubeconfig "$dir/kubeconfig" "$@"; }

start_containerd() {
	mkdir -p "$dir/containerd" "$dir/cni/net.d" "$dir/cni/ipam"
	cat >"$dir/containerd/config.toml" <<TOML
version = 2
root = "$dir/containerd/root"
state = "$dir/containerd/state"
[grpc]
  address = "$dir/containerd.sock"
[plugins."io.containerd.internal.v1.opt"]
  path = "$dir/containerd/opt"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "palisade.test/pause:3.10"
  # This machine refuses a negative oom_score_adj even to root: without
  # this, every pod sandbox fails ("can't get final child's PID from pipe").
  restrict_oom_score_adj = true
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "$dir/cni/net.d"
TOML
	cat >"$dir/cni/net.d/10-palisade.conflist" <<CNI
{
  "cniVersion": "1.0.0",
  "name": "palisade",
  "plugins": [
    {
      "type": "bridge",
      "bridge": "$bridge",
      "isGateway": true,
      "ipMasq": false,
      "hairpinMode": true,
      "ipam": {
        "type": "host-local",
        "ranges": [[{"subnet": "$pod_cidr", "gateway": "$gateway"}]],
        "routes": [{"dst": "0.0.0.0/0"}],
        "dataDir": "$dir/cni/ipam"
      }
    },
    {"type": "portmap", "capabilities": {"portMappings": true}}
  ]
}
CNI
	start containerd containerd --config "$dir/containerd/config.toml"
	wait_for "containerd" 30 containerd ctr --address "$dir/containerd.sock" version
	local t
	for t in pause busybox; do
		ctr --address "$dir/containerd.sock" -n k8s.io images import --no-unpack=false "$dir/images/$t.tar" >/dev/null ||
			die "importing $t.tar into containerd failed"
	done
	[ -f "$dir/images/palisade/digest" ] && import_palisade
	return 0
}

# import_palisade imports the OCI layout, so that containerd knows the
# image by the digest hack/image printed (a `docker save` tarball is
# converted on import, under another digest); the chart runs it by digest,
# so every new build rolls the agents.
import_palisade() {
	local ref digest
	digest=$(cat "$dir/images/palisade/digest")
	ref=$(sed -n 's/.*"org.opencontainers.image.ref.name": *"\([^"]*\)".*/\1/p' "$dir/images/palisade/oci/index.json")
	[ -n "$ref" ] || die "no image name in $dir/images/palisade/oci/index.json"
	tar -C "$dir/images/palisade/oci" -cf "$dir/images/palisade/oci.tar" . &&
		ctr --address "$dir/containerd.sock" -n k8s.io images import "$dir/images/palisade/oci.tar" >/dev/null ||
		die "importing Palisade's image into containerd failed"
	# The CRI finds an image by digest only under a name of that form.
	ctr --address "$dir/containerd.sock" -n k8s.io images tag --force "$ref" "${ref%:*}@$digest" >/dev/null ||
		die "tagging Palisade's image by its digest failed"
}

start_control_plane() {
	local token=$1 etcd_port peer_port
	etcd_port=$(free_port 23379)
	peer_port=$(free_port $((etcd_port + 1)))
	api_port=$(free_port 27443)
	echo "$token,palisade-admin,palisade-admin,system:masters" >"$dir/tokens.csv"
	chmod 600 "$dir/tokens.csv"
	start etcd etcd --name palisade --data-dir "$dir/etcd" \
		--listen-client-urls "http://127.0.0.1:$etcd_port" --advertise-client-urls "http://127.0.0.1:$etcd_port" \
		--listen-peer-urls "http://127.0.0.1:$peer_port" --initial-advertise-peer-urls "http://127.0.0.1:$peer_port" \
		--initial-cluster "palisade=http://127.0.0.1:$peer_port"
	echo "$etcd_port" >"$dir/etcd.port"
	echo "$api_port" >"$dir/apiserver.port"
	start_apiserver
	kubeconfig "https://$gateway:$api_port" "$token" "certificate-authority: \"$dir/pki/ca.crt\"" >"$dir/kubeconfig"
	chmod 600 "$dir/kubeconfig"
	wait_for "kube-apiserver" 90 apiserver k get --raw /readyz

	start controller-manager "$cache/kube-controller-manager-$kube_version" \
		--kubeconfig "$dir/kubeconfig" --authentication-kubeconfig "$dir/kubeconfig" --authorization-kubeconfig "$dir/kubeconfig" \
		--leader-elect=false --bind-address 127.0.0.1 --secure-port "$(free_port 20257)" \
		--service-account-private-key-file "$dir/pki/sa.key" --root-ca-file "$dir/pki/ca.crt" \
		--use-service-account-credentials=false --controllers '*' \
		--cluster-cidr "$pod_cidr" --service-cluster-ip-range "$service_cidr"
	start scheduler "$cache/kube-scheduler-$kube_version" \
		--kubeconfig "$dir/kubeconfig" --authentication-kubeconfig "$dir/kubeconfig" --authorization-kubeconfig "$dir/kubeconfig" \
		--leader-elect=false --bind-address 127.0.0.1 --secure-port "$(free_port 20259)"
}

# start_apiserver starts (or restarts) kube-apiserver with the flags in
# $dir/apiserver.extra-flags (the audit webhook, once Palisade is there).
start_apiserver() {
	local extra=()
	[ -f "$dir/apiserver.extra-flags" ] && read -r -a extra <"$dir/apiserver.extra-flags"
	start apiserver "$cache/kube-apiserver-$kube_version" --etcd-servers "http://127.0.0.1:$(cat "$dir/etcd.port")" \
		--bind-address "$gateway" --advertise-address "$gateway" --secure-port "$(cat "$dir/apiserver.port")" \
		--tls-cert-file "$dir/pki/apiserver.crt" --tls-private-key-file "$dir/pki/apiserver.key" \
		--client-ca-file "$dir/pki/ca.crt" --token-auth-file "$dir/tokens.csv" \
		--kubelet-client-certificate "$dir/pki/apiserver-kubelet-client.crt" --kubelet-client-key "$dir/pki/apiserver-kubelet-client.key" \
		--authorization-mode Node,RBAC --allow-privileged=true --kubelet-preferred-address-types InternalIP \
		--service-account-issuer https://kubernetes.default.svc.cluster.local \
		--service-account-key-file "$dir/pki/sa.key" --service-account-signing-key-file "$dir/pki/sa.key" \
		--service-cluster-ip-range "$service_cidr" "${extra[@]}"
}

start_node() {
	mkdir -p "$dir/kubelet"
	cat >"$dir/kubelet/config.yaml" <<YAML
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: $gateway
port: $(free_port 20250)
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: $(free_port 20248)
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: true}
  x509: {clientCAFile: "$dir/pki/ca.crt"}
authorization: {mode: Webhook}
# This machine's cgroups are v1 (hybrid) and stay so.
cgroupDriver: cgroupfs
failCgroupV1: false
failSwapOn: false
containerRuntimeEndpoint: unix://$dir/containerd.sock
podLogsDir: $dir/pod-logs
clusterDomain: cluster.local
resolvConf: ""
# Mounted ConfigMaps (the agent's policy) are refreshed within this.
syncFrequency: 10s
# The images are imported, not pulled: never collect them.
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
evictionHard: {memory.available: "100Mi", nodefs.available: "1%", imagefs.available: "1%", nodefs.inodesFree: "1%"}
maxPods: 110
YAML
	start kubelet "$cache/kubelet-$kube_version" --config "$dir/kubelet/config.yaml" --kubeconfig "$dir/kubeconfig" \
		--hostname-override "$node" --node-ip "$gateway" --root-dir "$dir/kubelet/root" --cert-dir "$dir/kubelet/pki"
	cat >"$dir/kube-proxy.yaml" <<YAML
apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
mode: iptables
hostnameOverride: $node
clusterCIDR: $pod_cidr
clientConnection: {kubeconfig: "$dir/kubeconfig"}
bindAddress: $gateway
healthzBindAddress: 127.0.0.1:$(free_port 20256)
metricsBindAddress: 127.0.0.1:$(free_port 20249)
nodePortAddresses: ["$gateway/32"]
# Leave the machine's conntrack sysctls alone.
conntrack: {maxPerCore: 0, tcpEstablishedTimeout: 0s, tcpCloseWaitTimeout: 0s}
YAML
	start kube-proxy "$cache/kube-proxy-$kube_version" --config "$dir/kube-proxy.yaml"
	wait_for "node $node Ready" 120 kubelet sh -c "kubectl --kubeconfig '$dir/kubeconfig' get node $node -o jsonpath='{.status.conditions[?(@.type==\"Ready\")].status}' | grep -qx True"
}

netpol_start() {
	running kube-router && return
	start kube-router env NODE_NAME="$node" "$cache/kube-router-$router_version" \
		--kubeconfig "$dir/kubeconfig" --hostname-override "$node" \
		--run-firewall=true --run-router=false --run-service-proxy=false \
		--service-cluster-ip-range "$service_cidr" --enable-ipv6=false \
		--health-port 0 --metrics-port 0
	wait_for "kube-router's firewall" 60 kube-router sh -c "iptables -S KUBE-ROUTER-FORWARD"
}

netpol_stop() {
	stop kube-router
	# kube-router leaves its chains behind when it stops: take them out, so
	# that nothing enforces NetworkPolicy any more.
	local t chain
	iptables-save -t filter | grep -q KUBE-ROUTER || return 0
	local i
	for chain in INPUT FORWARD OUTPUT; do
		for i in $(seq 1 20); do
			iptables -S "$chain" | grep -q -- '-j KUBE-ROUTER-' || break
			iptables -S "$chain" | grep -m1 -- '-j KUBE-ROUTER-' | sed 's/^-A/-D/' | xargs iptables || break
		done
	done
	for t in $(iptables -S | awk '$1 == "-N" && $2 ~ /^KUBE-(ROUTER|POD-FW|NWPLCY|SRC|DST)/ {print $2}'); do iptables -F "$t"; done
	for t in $(iptables -S | awk '$1 == "-N" && $2 ~ /^KUBE-(ROUTER|POD-FW|NWPLCY|SRC|DST)/ {print $2}'); do iptables -X "$t" 2>/dev/null || true; done
	ipset list -n 2>/dev/null | grep -E '^KUBE-(SRC|DST)-' | xargs -r -n1 ipset destroy 2>/dev/null || true
}

# ours PID tells whether PID is one of this cluster's processes (each has
# the state folder in its command line), so that a stale PID file never
# makes root kill another process.
ours() { [ -r "/proc/$1/cmdline" ] && tr '\0' ' ' <"/proc/$1/cmdline" | grep -qF "$dir/"; }

stop() {
	local f=$1 pid
	[ -f "$dir/$f.pid" ] || return 0
	pid=$(cat "$dir/$f.pid")
	if ! ours "$pid"; then
		rm -f "$dir/$f.pid"
		return 0
	fi
	kill "$pid" 2>/dev/null || true
	for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
	kill -9 "$pid" 2>/dev/null || true
	rm -f "$dir/$f.pid"
}

# install_palisade installs the chart from the image built for this
# commit, waits for the agents, then points the API server's audit webhook
# at them and restarts it.
install_palisade() {
	local values="$dir/palisade-values.yaml"
	cat >"$values" <<YAML
# hack/cluster.sh: the chart's defaults, with what this node needs.
image: {pullPolicy: Never, digest: "$(cat "$dir/images/palisade/digest")"}
agent: {clusterName: palisade-node, logEvents: true}
YAML
	# up --with-sensor: Palisade's syscall sensor on the node, asking this
	# cluster's containerd for container and pod names.
	if [ -f "$dir/with-sensor" ]; then
		printf 'sensor: {enabled: true, criSocket: "%s"}\n' "$dir/containerd.sock" >>"$values"
	fi
	ln -sf "$helm" "$dir/helm" # for the tests' upgrades
	"$helm" --kubeconfig "$dir/kubeconfig" upgrade --install "$release" "$root/deploy/helm/palisade" \
		--namespace "$release_ns" --create-namespace -f "$values" ${PALISADE_HELM_ARGS:-} --wait --timeout 5m >"$dir/helm.log" 2>&1 ||
		die "helm install failed: $(tail -20 "$dir/helm.log"; k -n "$release_ns" get pods -o wide 2>&1)"
	audit_webhook
}

# audit_webhook writes the audit webhook's kubeconfig (the agent's Service
# address, its CA and the runtime token the chart generated) and the audit
# policy, and restarts the API server with them.
audit_webhook() {
	local svc ip ca token
	# The webhook's Service (the release's full name), as the webhook
	# configuration names it.
	svc=$(k get validatingwebhookconfiguration -l "app.kubernetes.io/instance=$release" -o jsonpath='{.items[0].webhooks[0].clientConfig.service.name}' 2>/dev/null || true)
	[ -n "$svc" ] || die "no webhook configuration of release $release"
	ip=$(k -n "$release_ns" get svc "$svc" -o jsonpath='{.spec.clusterIP}' 2>/dev/null || true)
	ca=$(k get validatingwebhookconfiguration -l "app.kubernetes.io/instance=$release" -o jsonpath='{.items[0].webhooks[0].clientConfig.caBundle}' 2>/dev/null || true)
	token=$(k -n "$release_ns" get secret "$svc-runtime-token" -o jsonpath='{.data.token}' 2>/dev/null | base64 -d || true)
	[ -n "$ip" ] && [ -n "$ca" ] && [ -n "$token" ] || die "could not read the agent's Service, CA or runtime token"
	echo "$ca" | base64 -d >"$dir/pki/palisade-ca.crt"
	umask 077
	cat >"$dir/palisade-audit.kubeconfig" <<KUBECONFIG
apiVersion: v1
kind: Config
clusters:
- name: palisade
  cluster:
    server: https://$ip:443/audit
    tls-server-name: $svc.$release_ns.svc
    certificate-authority: $dir/pki/palisade-ca.crt
users:
- name: kube-apiserver
  user: {token: "$token"}
contexts:
- {name: palisade, context: {cluster: palisade, user: kube-apiserver}}
current-context: palisade
KUBECONFIG
	# The agent requires the API server's client certificate on /validate
	# and /mutate (the chart's webhook.clientAuth): the chart made one, and
	# the API server presents it through its admission configuration.
	k -n "$release_ns" get secret "$svc-apiserver-client" -o jsonpath='{.data.tls\.crt}' | base64 -d >"$dir/pki/palisade-apiserver-client.crt"
	k -n "$release_ns" get secret "$svc-apiserver-client" -o jsonpath='{.data.tls\.key}' | base64 -d >"$dir/pki/palisade-apiserver-client.key"
	[ -s "$dir/pki/palisade-apiserver-client.crt" ] && [ -s "$dir/pki/palisade-apiserver-client.key" ] ||
		die "could not read the API server's client certificate (Secret $svc-apiserver-client)"
	cat >"$dir/palisade-webhook.kubeconfig" <<KUBECONFIG
apiVersion: v1
kind: Config
users:
- name: "$svc.$release_ns.svc"
  user: {client-certificate: $dir/pki/palisade-apiserver-client.crt, client-key: $dir/pki/palisade-apiserver-client.key}
KUBECONFIG
	umask 022
	cat >"$dir/palisade-admission.yaml" <<YAML
apiVersion: apiserver.config.k8s.io/v1
kind: AdmissionConfiguration
plugins:
- name: ValidatingAdmissionWebhook
  configuration: {apiVersion: apiserver.config.k8s.io/v1, kind: WebhookAdmissionConfiguration, kubeConfigFile: $dir/palisade-webhook.kubeconfig}
- name: MutatingAdmissionWebhook
  configuration: {apiVersion: apiserver.config.k8s.io/v1, kind: WebhookAdmissionConfiguration, kubeConfigFile: $dir/palisade-webhook.kubeconfig}
YAML
	cp "$root/testdata/falco-rules/audit-policy.yaml" "$dir/audit-policy.yaml" 2>/dev/null ||
		die "testdata/falco-rules/audit-policy.yaml is missing"
	echo "--audit-policy-file $dir/audit-policy.yaml --audit-webhook-config-file $dir/palisade-audit.kubeconfig --audit-webhook-mode batch --audit-webhook-batch-max-wait 1s --admission-control-config-file $dir/palisade-admission.yaml" >"$dir/apiserver.extra-flags"
	# The API server reads these at start only: restart it when they changed.
	local sum
	sum=$(cat "$dir/apiserver.extra-flags" "$dir/palisade-audit.kubeconfig" "$dir/pki/palisade-ca.crt" \
		"$dir/palisade-webhook.kubeconfig" "$dir/palisade-admission.yaml" "$dir/pki/palisade-apiserver-client.crt" | sha256sum)
	[ -f "$dir/audit.sum" ] && [ "$(cat "$dir/audit.sum")" = "$sum" ] && return 0
	echo "$sum" >"$dir/audit.sum"
	stop apiserver
	start_apiserver
	wait_for "kube-apiserver (restarted with the audit webhook)" 90 apiserver k get --raw /readyz
}

up() {
	want_palisade=1 want_netpol=1 want_sensor=0
	local a
	for a in "$@"; do
		case "$a" in
		--no-palisade) want_palisade=0 ;;
		--no-netpol) want_netpol=0 ;;
		--with-sensor) want_sensor=1 ;;
		*) die "unknown flag $a (usage: $0 up [--no-palisade] [--no-netpol] [--with-sensor])" ;;
		esac
	done
	local t0=$SECONDS
	if [ -f "$dir/env" ] && k get --raw /readyz >/dev/null 2>&1; then
		log "already running"
		cat "$dir/env"
		return
	fi
	# One cluster per machine: the bridge, the routes and the iptables
	# rules are the machine's.
	local other
	other=$(cat "$lock" 2>/dev/null || true)
	if [ -n "$other" ] && [ "$other" != "$dir" ] && [ -f "$other/kubelet.pid" ] && kill -0 "$(cat "$other/kubelet.pid")" 2>/dev/null; then
		die "another cluster runs on this machine (PALISADE_CLUSTER_DIR=$other): PALISADE_CLUSTER_DIR=$other $0 down"
	fi
	down_quiet
	mkdir -p "$dir"
	echo "$dir" >"$lock"
	[ "$want_sensor" = 1 ] && touch "$dir/with-sensor"
	# A failed start stops what it started; its logs are kept beside.
	trap 'rc=$?; if [ $rc -ne 0 ]; then log "up failed: logs in $dir.logs; stopping what was started"; rm -rf "$dir.logs"; mkdir -p "$dir.logs"; cp "$dir"/*.log "$dir.logs/" 2>/dev/null; down_quiet; fi' EXIT
	build
	ensure_images
	pki
	network
	start_containerd
	local token
	token=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
	start_control_plane "$token"
	start_node
	[ "$want_netpol" = 1 ] && netpol_start
	[ "$want_palisade" = 1 ] && install_palisade
	trap - EXIT
	echo "export KUBECONFIG=$dir/kubeconfig" >"$dir/env"
	log "node $node ready in $((SECONDS - t0)) s: kube-apiserver https://$gateway:$api_port, pods on $pod_cidr$([ "$want_palisade" = 1 ] && echo ", Palisade in $release_ns")"
	cat "$dir/env"
}

down_quiet() {
	local f
	# Pods first, through the kubelet, so that the CNI plugin tears their
	# network namespaces and veths down: nothing recreates them once the
	# controller-manager is gone.
	stop controller-manager
	if running kubelet && running apiserver; then
		k delete pods --all-namespaces --all --grace-period=0 --force --wait=false >/dev/null 2>&1 || true
		for _ in $(seq 1 40); do
			[ -z "$(ctr --address "$dir/containerd.sock" -n k8s.io tasks ls -q 2>/dev/null)" ] && break
			sleep 0.25
		done
	fi
	for f in kubelet kube-proxy kube-router scheduler apiserver; do stop "$f"; done
	if running containerd; then
		local c
		for c in $(ctr --address "$dir/containerd.sock" -n k8s.io tasks ls -q 2>/dev/null); do
			ctr --address "$dir/containerd.sock" -n k8s.io tasks kill -a -s SIGKILL "$c" >/dev/null 2>&1 || true
		done
		sleep 1
	fi
	# Shims outlive containerd.
	pkill -9 -f "containerd-shim-runc-v2 -namespace k8s.io .*-address $dir/containerd.sock" 2>/dev/null || true
	stop containerd
	stop etcd
	netpol_stop 2>/dev/null || true
	# kube-proxy's rules, by kube-proxy itself.
	[ -x "$cache/kube-proxy-$kube_version" ] && "$cache/kube-proxy-$kube_version" --cleanup >/dev/null 2>&1 || true
	# The kubelet's own chains (KUBE-FIREWALL, KUBE-KUBELET-CANARY).
	local t c
	for t in filter nat mangle; do
		for c in INPUT OUTPUT FORWARD PREROUTING POSTROUTING; do
			for _ in $(seq 1 10); do
				iptables -t "$t" -S "$c" 2>/dev/null | grep -qE -- '-j KUBE-(FIREWALL|KUBELET-CANARY|MARK-DROP)' || break
				iptables -t "$t" -S "$c" | grep -m1 -E -- '-j KUBE-(FIREWALL|KUBELET-CANARY|MARK-DROP)' | sed 's/^-A/-D/' | xargs iptables -t "$t" || break
			done
		done
		for c in KUBE-FIREWALL KUBE-KUBELET-CANARY KUBE-MARK-DROP; do
			iptables -t "$t" -F "$c" 2>/dev/null && iptables -t "$t" -X "$c" 2>/dev/null || true
		done
	done
	# Network namespaces of pods the kubelet could not tear down: the CNI
	# plugin names them cni-*, and those holding an address of this
	# cluster's pod range are ours. Deleting one deletes its veth pair.
	local n
	for n in $(ls /run/netns 2>/dev/null | grep '^cni-'); do
		if ip netns exec "$n" ip -o -4 addr show 2>/dev/null | grep -q " ${pod_cidr%.*/*}\."; then
			ip netns del "$n" 2>/dev/null || true
		fi
	done
	local v
	for v in $(ip -o link show master "$bridge" 2>/dev/null | awk -F': ' '{print $2}' | cut -d@ -f1); do
		ip link del "$v" 2>/dev/null || true
	done
	network_down
	[ "$(cat "$lock" 2>/dev/null)" = "$dir" ] && rm -f "$lock"
	# The kubelet's links to container logs (its folder is fixed).
	find /var/log/containers -maxdepth 1 -type l -lname "$dir/*" -delete 2>/dev/null || true
	if [ -d "$dir" ]; then
		# The kubelet's and containerd's mounts (volumes, rootfs, shm).
		awk -v d="$dir/" 'index($2, d) == 1 {print $2}' /proc/mounts | sort -r | while read -r m; do umount -l "$m" 2>/dev/null || true; done
		if awk -v d="$dir/" 'index($2, d) == 1 {found=1} END {exit !found}' /proc/mounts; then
			die "mounts remain under $dir; not deleting it"
		fi
		rm -rf --one-file-system "$dir"
	fi
	return 0
}

case "${1:-}" in
up) shift; up "$@" ;;
down) down_quiet; log "stopped" ;;
install)
	# Rebuild Palisade's image from this checkout and upgrade the release.
	[ -f "$dir/env" ] || die "no cluster in $dir: hack/cluster.sh up"
	ensure_helm
	(cd "$root" && hack/image.sh --out "$dir/images/palisade" --version "$(image_version)" >/dev/null) || die "building Palisade's image failed"
	import_palisade
	api_port=$(cat "$dir/apiserver.port")
	install_palisade
	log "Palisade upgraded in $release_ns"
	;;
build) mkdir -p "$dir"; build; ensure_images; log "built: kube $kube_version, kube-router $router_version, images in $dir/images" ;;
netpol)
	case "${2:-}" in
	start) netpol_start; log "kube-router's firewall running" ;;
	stop) netpol_stop; log "kube-router's firewall stopped: NetworkPolicy is not enforced" ;;
	*) die "usage: $0 netpol start|stop" ;;
	esac
	;;
*) echo "usage: $0 up [--no-palisade] [--no-netpol] [--with-sensor]|down|build|netpol start|stop" >&2; exit 2 ;;
esac
