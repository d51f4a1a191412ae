# Shared by the hack/ scripts (sourced, not run). Each script defines
# log() and die() with its own prefix before sourcing this file.

# as_root runs a command as root, through sudo when needed.
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

# apt_install installs Debian packages, refreshing the package lists only
# when the first attempt fails (a fresh machine has none).
apt_install() {
	as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null 2>&1 ||
		{ as_root apt-get update -qq >/dev/null && as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null; } ||
		die "could not install $*"
}

# free_port prints the first port from $1 (up to $1+200) that no socket on
# 127.0.0.1 uses.
free_port() {
	# A port is free when no socket uses it at all: not only no listener,
	# but no connection either (a client socket holding it as its local
	# port makes the bind fail). Callers pick bases below the kernel's
	# ephemeral range (ip_local_port_range, 32768 and up by default), where
	# client sockets do not land.
	local p
	for p in $(seq "$1" $(($1 + 200))); do
		if (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
			continue
		fi
		if command -v ss >/dev/null && [ -n "$(ss -Htan "( sport = :$p )" 2>/dev/null)" ]; then
			continue
		fi
		echo "$p"
		return
	done
	die "no free port from $1"
}

# wait_with_progress PID WHAT waits for a background job. On a terminal
# (stderr), with $CI unset, it keeps one line up to date with the time spent
# ("WHAT … 1m20s"), erased at the end; elsewhere it waits in silence. It
# returns the job's exit status.
wait_with_progress() {
	local pid=$1 what=$2 start=$SECONDS rc=0
	if [ -t 2 ] && [ -z "${CI:-}" ]; then
		while kill -0 "$pid" 2>/dev/null; do
			local t=$((SECONDS - start))
			printf '\r%s … %dm%02ds ' "$what" $((t / 60)) $((t % 60)) >&2
			sleep 1
		done
		printf '\r\033[K' >&2
	fi
	wait "$pid" || rc=$?
	return "$rc"
}

# ensure_helm sets $helm to Helm built from the Go module pinned in
# hack/tools/helm ($helm_version), cached in ${PALISADE_CACHE:-$HOME/.cache/palisade}/bin.
ensure_helm() {
	local tools cache client_go k8s_minor ldflags pkg
	tools="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/tools/helm"
	cache="${PALISADE_CACHE:-$HOME/.cache/palisade}/bin"
	helm_version="$(awk '$1 == "require" && $2 == "helm.sh/helm/v3" {print $3}' "$tools/go.mod")"
	[ -n "$helm_version" ] || die "no helm.sh/helm/v3 requirement in $tools/go.mod"
	helm="$cache/helm-$helm_version"
	[ -x "$helm" ] && return
	log "building helm $helm_version from the Go module (cached in $cache)"
	mkdir -p "$cache"
	# Helm's Makefile sets these: the release version, and the Kubernetes
	# version `helm template` and `helm lint` assume (from client-go vX.Y.Z:
	# 1.Y) instead of the 1.20 compiled in.
	client_go="$(awk '$1 == "k8s.io/client-go" {print $2}' "$tools/go.mod")"
	k8s_minor="$(echo "$client_go" | cut -d. -f2)"
	[ -n "$k8s_minor" ] || die "no k8s.io/client-go requirement in $tools/go.mod"
	ldflags="-s -w -X helm.sh/helm/v3/internal/version.version=$helm_version -X helm.sh/helm/v3/internal/version.metadata="
	for pkg in helm.sh/helm/v3/pkg/lint/rules helm.sh/helm/v3/pkg/chartutil; do
		ldflags="$ldflags -X $pkg.k8sVersionMajor=1 -X $pkg.k8sVersionMinor=$k8s_minor"
	done
	(cd "$tools" && GOFLAGS="-mod=mod -buildvcs=false" nice go build -trimpath -ldflags "$ldflags" -o "$helm.tmp" helm.sh/helm/v3/cmd/helm) ||
		die "building helm $helm_version failed"
	mv "$helm.tmp" "$helm"
}

# kubeconfig SERVER TOKEN TRUST prints the admin kubeconfig of a test
# cluster; TRUST is the cluster entry's TLS setting (a
# `certificate-authority: "FILE"` or `insecure-skip-tls-verify: true`).
kubeconfig() {
	cat <<KUBECONFIG
apiVersion: v1
kind: Config
clusters:
- name: palisade
  cluster: {server: "$1", $3}
users:
- name: palisade-admin
  user: {token: "$2"}
contexts:
- name: palisade
  context: {cluster: palisade, user: palisade-admin}
current-context: palisade
KUBECONFIG
}
