#!/usr/bin/env bash
# Pod-create latency and throughput through one real kube-apiserver, in one
# run: no webhook, then Palisade's agent, Kyverno's admission controller and
# Gatekeeper's manager, each enforcing the Pod Security Standards' restricted
# checks, one after the other.
#
#   hack/bench/peers.sh                  # BENCH_PODS=1000 per phase
#   BENCH_PODS=2000 BENCH_CONCURRENCY=8 BENCH_WARMUP=200 hack/bench/peers.sh
#   BENCH_SETUPS="none palisade" hack/bench/peers.sh   # a subset
#
# The control plane is hack/controlplane.sh's (etcd and kube-apiserver on
# loopback, no nodes: pods stay Pending, creation is what is measured), in
# its own PALISADE_CONTROLPLANE_DIR, torn down at exit. The peers are built
# from their Go modules by hack/bench/build-tools.sh (cached) and run out of
# cluster against the control plane's kubeconfig, their webhooks at
# 127.0.0.1. Their policies are in hack/bench/peers/. Each phase:
#   1. starts the webhook, waits until it is registered and enforcing;
#   2. checks that violating pods are refused: a privileged pod must be, or
#      the run stops (a number for a webhook that admits anything means
#      nothing); fifteen more, one control each, are reported;
#   3. measures BENCH_PODS creations one at a time after BENCH_WARMUP
#      unmeasured ones, then BENCH_PODS from BENCH_CONCURRENCY workers
#      (hack/bench/podcreate);
#   4. deletes its webhook configurations and stops the process.
# "no webhook" is measured first and again last, to show drift. "floor" is
# Palisade's agent with no rule: a webhook that judges nothing, so what it
# adds is the API server's webhook call itself, which every webhook pays.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
here="$root/hack/bench"

log() { echo "peers: $*" >&2; }
die() { log "error: $*"; exit 1; }
# shellcheck source=hack/lib.sh
. "$root/hack/lib.sh"

n="${BENCH_PODS:-1000}"
warmup="${BENCH_WARMUP:-200}"
conc="${BENCH_CONCURRENCY:-8}"
setups="${BENCH_SETUPS:-none floor palisade kyverno gatekeeper}"
bin_dir="${BENCH_BIN:-${PALISADE_CACHE:-$HOME/.cache/palisade}/bin}"
export GOWORK=off
export PALISADE_CONTROLPLANE_DIR="${PALISADE_CONTROLPLANE_DIR:-$(mktemp -d /tmp/palisade-peers-cp.XXXXXX)}"
work="$(mktemp -d /tmp/palisade-peers.XXXXXX)"
peer_pid=""
peer_name=""
webhooks="" # kubectl delete arguments naming the phase's webhook configurations

# stop_peer stops the phase's webhook server, then deletes its webhook
# configurations (in that order, or Kyverno would register its own again).
stop_peer() {
	if [ -n "$peer_pid" ]; then
		kill "$peer_pid" 2>/dev/null || true
		for _ in $(seq 1 60); do kill -0 "$peer_pid" 2>/dev/null || break; sleep 0.25; done
		kill -9 "$peer_pid" 2>/dev/null || true
		wait "$peer_pid" 2>/dev/null || true
	fi
	peer_pid=""
	if [ -n "$webhooks" ]; then
		# shellcheck disable=SC2086 # several words on purpose
		timeout 30 kubectl delete --ignore-not-found $webhooks >/dev/null 2>&1 || log "could not delete $webhooks"
	fi
	webhooks=""
}
cleanup() {
	local rc=$?
	stop_peer
	hack/controlplane.sh down >/dev/null 2>&1 || true
	if [ "$rc" -ne 0 ] && [ -n "$peer_name" ]; then
		log "logs kept in $work (last phase: $peer_name)"
	else
		rm -rf "$work"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# wait_for SECONDS WHAT CMD... retries CMD every half second.
wait_for() {
	local secs=$1 what=$2
	shift 2
	local deadline=$((SECONDS + secs))
	until "$@" >/dev/null 2>&1; do
		if [ -n "$peer_pid" ] && ! kill -0 "$peer_pid" 2>/dev/null; then
			die "$peer_name exited while waiting for $what; its log: $(tail -5 "$work/$peer_name.log")"
		fi
		[ "$SECONDS" -lt "$deadline" ] || die "timed out after ${secs}s waiting for $what"
		sleep 0.5
	done
}

# ---------------------------------------------------------------- binaries
peers=()
for s in $setups; do case "$s" in kyverno) peers+=(kyverno) ;; gatekeeper) peers+=(gatekeeper-manager) ;; esac; done
gk_version=- kyverno_version=-
if [ ${#peers[@]} -gt 0 ]; then
	log "building ${peers[*]} (cached in $bin_dir)"
	BENCH_BIN="$bin_dir" "$here/build-tools.sh" "${peers[@]}" >&2 || die "building ${peers[*]} failed"
fi
if [[ " ${peers[*]} " == *" kyverno "* ]]; then
	kyverno_version="$(cat "$bin_dir/.kyverno.version")"
	kyverno_dir="$(cd "$here/tools/kyverno" && go list -m -f '{{.Dir}}' github.com/kyverno/kyverno)"
	[ -d "$kyverno_dir/config/crds" ] || die "Kyverno's CRDs not found in $kyverno_dir/config/crds"
fi
if [[ " ${peers[*]} " == *" gatekeeper-manager "* ]]; then
	gk_version="$(cat "$bin_dir/.gatekeeper-manager.version")"
	gk_dir="$(cd "$here/tools" && go list -m -f '{{.Dir}}' github.com/open-policy-agent/gatekeeper/v3)"
	[ -f "$gk_dir/deploy/gatekeeper.yaml" ] || die "Gatekeeper's manifest not found in $gk_dir/deploy"
fi
go build -o "$work/podcreate" ./hack/bench/podcreate
go build -o "$work/palisade" ./cmd/palisade

# ----------------------------------------------------------- control plane
hack/controlplane.sh up >/dev/null
export KUBECONFIG="$PALISADE_CONTROLPLANE_DIR/kubeconfig"
server=$(sed -n 's/.*server: "\(https:[^"]*\)".*/\1/p' "$KUBECONFIG")
token=$(sed -n 's/.*token: "\([^"]*\)".*/\1/p' "$KUBECONFIG")
[ -n "$server" ] && [ -n "$token" ] || die "could not read the server and token from $KUBECONFIG"
kubectl create namespace bench >/dev/null
kubectl create serviceaccount default -n bench >/dev/null
apiserver_version="$(kubectl version -o json 2>/dev/null | sed -n 's/.*"gitVersion": "\([^"]*\)".*/\1/p' | tail -1)"

# One self-signed certificate serves the two webhooks that take theirs from
# files (Palisade, Gatekeeper); Kyverno makes its own.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj /CN=127.0.0.1 \
	-addext subjectAltName=IP:127.0.0.1 -keyout "$work/tls.key" -out "$work/tls.crt" 2>/dev/null
ca_bundle="$(base64 -w0 "$work/tls.crt")"

# ------------------------------------------------------------ the pods
# The measured pod complies with restricted (hack/bench/podcreate's body);
# each check pod breaks one control.
sc_ok='"runAsNonRoot":true,"runAsUser":1000,"allowPrivilegeEscalation":false,"capabilities":{"drop":["ALL"]},"seccompProfile":{"type":"RuntimeDefault"}'
pod() { # name pod-spec-extra container-securityContext
	printf '{"apiVersion":"v1","kind":"Pod","metadata":{"name":"%s","namespace":"bench"},"spec":{%s"automountServiceAccountToken":false,"containers":[{"name":"app","image":"registry.example.com/app:1.0","securityContext":{%s}}]}}' "$1" "$2" "$3"
}
checks=(
	"privileged|$(pod check-privileged '' '"privileged":true,"runAsNonRoot":true,"runAsUser":1000,"capabilities":{"drop":["ALL"]},"seccompProfile":{"type":"RuntimeDefault"}')"
	"hostNetwork|$(pod check-hostnetwork '"hostNetwork":true,' "$sc_ok")"
	"hostPath volume|$(pod check-hostpath '"volumes":[{"name":"h","hostPath":{"path":"/etc"}}],' "$sc_ok")"
	"adds SYS_ADMIN|$(pod check-sysadmin '' '"runAsNonRoot":true,"runAsUser":1000,"allowPrivilegeEscalation":false,"capabilities":{"drop":["ALL"],"add":["SYS_ADMIN"]},"seccompProfile":{"type":"RuntimeDefault"}')"
	"runAsUser 0|$(pod check-root '' '"runAsUser":0,"allowPrivilegeEscalation":false,"capabilities":{"drop":["ALL"]},"seccompProfile":{"type":"RuntimeDefault"}')"
	"no seccomp profile|$(pod check-seccomp '' '"runAsNonRoot":true,"runAsUser":1000,"allowPrivilegeEscalation":false,"capabilities":{"drop":["ALL"]}')"
	"hostPID|$(pod check-hostpid '"hostPID":true,' "$sc_ok")"
	"a host port|$(pod check-hostport '' "$sc_ok"'},"ports":[{"containerPort":80,"hostPort":80}],"resources":{')"
	"capabilities not dropped|$(pod check-nodrop '' '"runAsNonRoot":true,"runAsUser":1000,"allowPrivilegeEscalation":false,"seccompProfile":{"type":"RuntimeDefault"}')"
	"allowPrivilegeEscalation unset|$(pod check-escalation '' '"runAsNonRoot":true,"runAsUser":1000,"capabilities":{"drop":["ALL"]},"seccompProfile":{"type":"RuntimeDefault"}')"
	"procMount Unmasked|$(pod check-procmount '"hostUsers":false,' "$sc_ok"',"procMount":"Unmasked"')"
	"AppArmor Unconfined|$(pod check-apparmor '' "$sc_ok"',"appArmorProfile":{"type":"Unconfined"}')"
	"SELinux type spc_t|$(pod check-selinux '' "$sc_ok"',"seLinuxOptions":{"type":"spc_t"}')"
	"SELinux user|$(pod check-selinuxuser '' "$sc_ok"',"seLinuxOptions":{"user":"root"}')"
	"unsafe sysctl|$(pod check-sysctl '"securityContext":{"sysctls":[{"name":"kernel.msgmax","value":"65536"}]},' "$sc_ok")"
	"nfs volume|$(pod check-nfs '"volumes":[{"name":"n","nfs":{"server":"127.0.0.1","path":"/"}}],' "$sc_ok")"
)

# refused JSON prints the webhook's refusal and returns 0; it returns 1
# when the pod was admitted (and deletes it), 2 when the API server refused
# it for another reason (then the pod checks nothing: a bug here).
refused() {
	local out
	if out="$(echo "$1" | timeout 30 kubectl create -f - 2>&1)"; then
		timeout 30 kubectl delete -n bench pod "$(echo "$1" | sed 's/.*"name":"\(check-[a-z]*\)".*/\1/')" --wait=false >/dev/null 2>&1 || true
		return 1
	fi
	out="$(echo "$out" | tr '\n' ' ' | sed 's/^Error from server[^:]*: error when creating "STDIN": //; s/  */ /g')"
	echo "$out"
	[[ "$out" == *"admission webhook"*"denied the request"* ]] || return 2
}

# check_enforcing SETUP waits (up to 120 s: policies are loaded
# asynchronously) until the privileged pod is refused, then reports every
# check pod.
check_enforcing() {
	local setup=$1 c what json msg ok=0
	local deadline=$((SECONDS + 120))
	json="${checks[0]#*|}"
	until msg="$(refused "$json")"; do
		[ "$SECONDS" -lt "$deadline" ] || die "$setup did not refuse a privileged pod within 120 s (${msg:-admitted}): it does not enforce, its numbers would mean nothing"
		[ -z "$peer_pid" ] || kill -0 "$peer_pid" 2>/dev/null || die "$setup exited: $(tail -5 "$work/$peer_name.log")"
		sleep 1
	done
	for c in "${checks[@]}"; do
		what="${c%%|*}"
		json="${c#*|}"
		local rc=0
		msg="$(refused "$json")" || rc=$?
		case $rc in
		0) ok=$((ok + 1)); echo "  $setup refused a pod with $what: ${msg:0:200}" >&2 ;;
		1) echo "  $setup ADMITTED a pod with $what" >&2 ;;
		*) die "the check pod with $what is invalid: $msg" ;;
		esac
	done
	enforced[$setup]="$ok/${#checks[@]}"
}

# ------------------------------------------------------------ measuring
declare -A result enforced
measure() { # setup
	local setup=$1 seq par
	seq="$("$work/podcreate" -server "$server" -token "$token" -n "$n" -warmup "$warmup" -c 1)" ||
		die "$setup: sequential pod creation failed"
	par="$("$work/podcreate" -server "$server" -token "$token" -n "$n" -warmup 0 -c "$conc")" ||
		die "$setup: concurrent pod creation failed"
	log "$setup, one at a time: $seq"
	log "$setup, $conc concurrent: $par"
	result[$setup]="$seq|$par"
}

# field LINE KEY prints a podcreate value: durations in ms, the rate in /s.
field() {
	echo "$1" | tr ' ' '\n' | sed -n "s/^$2=//p" | awk '{
		v = $0
		if (v ~ /\/s$/) { sub(/\/s$/, "", v); print v; exit }
		if (v ~ /µs$/) { sub(/µs$/, "", v); printf "%.2f\n", v / 1000; exit }
		if (v ~ /ms$/) { sub(/ms$/, "", v); printf "%.2f\n", v; exit }
		if (v ~ /ns$/) { sub(/ns$/, "", v); printf "%.2f\n", v / 1e6; exit }
		if (v ~ /s$/) { sub(/s$/, "", v); printf "%.2f\n", v * 1000; exit }
		print v }'
}

# ---------------------------------------------------------------- phases
phase_none() {
	peer_name=none
	measure "${1:-none}"
}

phase_palisade() { # setup policy-file
	local setup=$1 policy=$2 port
	peer_name=palisade
	port=$(free_port 28443)
	"$work/palisade" agent --listen "127.0.0.1:$port" --tls-cert-file "$work/tls.crt" --tls-key-file "$work/tls.key" \
		--policy "$policy" --events "$work/palisade-events.jsonl" >"$work/palisade.log" 2>&1 &
	peer_pid=$!
	wait_for 30 "Palisade's /readyz" curl -sfk "https://127.0.0.1:$port/readyz"
	webhooks=validatingwebhookconfiguration/palisade-bench
	kubectl apply -f - >/dev/null <<YAML
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingWebhookConfiguration
metadata: {name: palisade-bench}
webhooks:
- name: validate.palisade.dev
  clientConfig: {url: "https://127.0.0.1:$port/validate", caBundle: "$ca_bundle"}
  rules: [{operations: [CREATE, UPDATE], apiGroups: [""], apiVersions: [v1], resources: [pods]}]
  failurePolicy: Fail
  sideEffects: None
  admissionReviewVersions: [v1]
  timeoutSeconds: 10
YAML
	if [ "$setup" = floor ]; then
		# Enforces nothing on purpose: create the privileged pod until the
		# agent's metrics show the API server called it, and check that it
		# was admitted.
		local deadline=$((SECONDS + 60)) rc
		until curl -sk "https://127.0.0.1:$port/metrics" | grep -q '^palisade_webhook_requests_total{.*} [1-9]'; do
			rc=0
			msg="$(refused "${checks[0]#*|}")" || rc=$?
			[ "$rc" -eq 1 ] || die "the floor webhook did not admit the privileged pod: $msg"
			[ "$SECONDS" -lt "$deadline" ] || die "the API server did not call the floor webhook within 60 s"
			sleep 0.5
		done
		echo "  floor admitted the privileged pod (no rule, as intended)" >&2
		enforced[floor]="0/${#checks[@]} (by design)"
	else
		check_enforcing "$setup"
	fi
	measure "$setup"
	stop_peer
}

phase_kyverno() {
	peer_name=kyverno
	local port mport cport
	port=$(free_port 29443)
	mport=$(free_port 28000)
	cport=$(free_port $((mport + 1)))
	kubectl create namespace kyverno >/dev/null
	kubectl create serviceaccount default -n kyverno >/dev/null
	log "installing Kyverno's CRDs from $kyverno_dir/config/crds"
	find "$kyverno_dir/config/crds" -name '*.yaml' -print0 | sort -z | xargs -0 -n1 sh -c \
		'timeout 60 kubectl apply --server-side --force-conflicts -f "$0" >/dev/null' ||
		die "could not install Kyverno's CRDs"
	wait_for 60 "Kyverno's CRDs to be established" kubectl wait --for condition=established --timeout=5s \
		crd/clusterpolicies.kyverno.io crd/policies.kyverno.io crd/ephemeralreports.reports.kyverno.io
	# Out of cluster: --serverIP puts https://127.0.0.1:PORT in the webhook
	# configurations Kyverno registers and in its certificate; the other flags
	# are the Helm chart's defaults for the admission controller.
	# The environment is the Helm chart's for the admission controller.
	KYVERNO_NAMESPACE=kyverno KYVERNO_POD_NAME=kyverno-bench KYVERNO_SERVICEACCOUNT_NAME=kyverno-admission-controller \
		KYVERNO_ROLE_NAME=kyverno:admission-controller KYVERNO_DEPLOYMENT=kyverno-admission-controller \
		KYVERNO_SVC=kyverno-svc INIT_CONFIG=kyverno METRICS_CONFIG=kyverno-metrics TUF_ROOT="$work/kyverno-tuf" \
		"$bin_dir/kyverno" --kubeconfig "$KUBECONFIG" \
		--serverIP "127.0.0.1:$port" --webhookServerHost 127.0.0.1 --webhookServerPort "$port" \
		--caSecretName kyverno-svc.kyverno.svc.kyverno-tls-ca --tlsSecretName kyverno-svc.kyverno.svc.kyverno-tls-pair \
		--metricsHost 127.0.0.1 --metricsPort "$mport" --controllerRuntimeMetricsAddress "127.0.0.1:$cport" \
		--omitEvents PolicyApplied,PolicySkipped --loggingFormat text --disableLogColor -v 2 \
		>"$work/kyverno.log" 2>&1 &
	peer_pid=$!
	webhooks="validatingwebhookconfigurations,mutatingwebhookconfigurations -l webhook.kyverno.io/managed-by=kyverno"
	wait_for 180 "Kyverno's policy webhook" kubectl get validatingwebhookconfiguration kyverno-policy-validating-webhook-cfg
	wait_for 60 "Kyverno's webhook server" curl -sk -o /dev/null "https://127.0.0.1:$port/health/liveness"
	wait_for 120 "Kyverno to accept the policies" kubectl apply -f "$here/peers/kyverno-pod-security.yaml"
	wait_for 120 "the ClusterPolicies to be ready" kubectl wait --for condition=Ready --timeout=5s clusterpolicy --all
	wait_for 120 "Kyverno's resource webhook" kubectl get validatingwebhookconfiguration kyverno-resource-validating-webhook-cfg
	check_enforcing kyverno
	measure kyverno
	stop_peer
}

phase_gatekeeper() {
	peer_name=gatekeeper
	local port hport
	port=$(free_port 30443)
	hport=$(free_port 29090)
	kubectl create namespace gatekeeper-system >/dev/null
	kubectl create serviceaccount default -n gatekeeper-system >/dev/null
	kubectl label namespace gatekeeper-system admission.gatekeeper.sh/ignore=no-self-managing >/dev/null
	log "installing Gatekeeper's CRDs from $gk_dir/deploy/gatekeeper.yaml"
	awk 'BEGIN { RS = "\n---\n" } /(^|\n)kind: CustomResourceDefinition\n/ { print "---"; print }' \
		"$gk_dir/deploy/gatekeeper.yaml" >"$work/gatekeeper-crds.yaml"
	[ -s "$work/gatekeeper-crds.yaml" ] || die "no CustomResourceDefinition in Gatekeeper's manifest"
	timeout 120 kubectl apply --server-side --force-conflicts -f "$work/gatekeeper-crds.yaml" >/dev/null ||
		die "could not install Gatekeeper's CRDs"
	wait_for 60 "Gatekeeper's CRDs to be established" kubectl wait --for condition=established --timeout=5s \
		crd/constrainttemplates.templates.gatekeeper.sh crd/configs.config.gatekeeper.sh
	# The manager sets its status objects' owner to its own Pod, read by
	# name: a stand-in Pod (Pending forever, as there are no nodes) gives it one.
	kubectl apply -f - >/dev/null <<YAML
apiVersion: v1
kind: Pod
metadata: {name: gatekeeper-bench, namespace: gatekeeper-system}
spec: {containers: [{name: manager, image: registry.example.com/gatekeeper-stand-in:1}]}
YAML
	mkdir -p "$work/gatekeeper-certs"
	cp "$work/tls.crt" "$work/gatekeeper-certs/tls.crt"
	cp "$work/tls.key" "$work/gatekeeper-certs/tls.key"
	# The controller-manager Deployment's flags (deploy/gatekeeper.yaml), with
	# the certificates from files and every address on loopback, plus the
	# audit Deployment's "generate" operation, which creates each template's
	# constraint CRD (the webhook alone only reads them).
	POD_NAME=gatekeeper-bench POD_NAMESPACE=gatekeeper-system NAMESPACE=gatekeeper-system \
		"$bin_dir/gatekeeper-manager" --kubeconfig "$KUBECONFIG" \
		--port "$port" --host 127.0.0.1 --cert-dir "$work/gatekeeper-certs" --disable-cert-rotation \
		--health-addr "127.0.0.1:$hport" --metrics-addr 0 \
		--logtostderr --exempt-namespace=gatekeeper-system --operation=webhook --operation=generate --disable-opa-builtin='{http.send}' \
		>"$work/gatekeeper.log" 2>&1 &
	peer_pid=$!
	wait_for 120 "Gatekeeper's health endpoint" curl -sf "http://127.0.0.1:$hport/healthz"
	# Templates first; each becomes a constraint CRD, then the constraints.
	awk 'BEGIN { RS = "\n---\n" } /(^|\n)kind: ConstraintTemplate\n/ { print "---"; print }' \
		"$here/peers/gatekeeper-pod-security.yaml" >"$work/gk-templates.yaml"
	awk 'BEGIN { RS = "\n---\n" } /(^|\n)apiVersion: constraints.gatekeeper.sh\// { print "---"; print }' \
		"$here/peers/gatekeeper-pod-security.yaml" >"$work/gk-constraints.yaml"
	timeout 60 kubectl apply -f "$work/gk-templates.yaml" >/dev/null || die "could not apply the constraint templates"
	# Only the audit pod's status operation fills in .status, so wait for the
	# constraint CRD each template makes instead.
	local t
	for t in $(sed -n 's/^  name: \(k8s[a-z0-9]*\)$/\1/p' "$work/gk-templates.yaml"); do
		wait_for 120 "the constraint CRD of template $t" \
			kubectl wait --for condition=established --timeout=5s "crd/$t.constraints.gatekeeper.sh"
	done
	wait_for 120 "the constraints to be accepted" kubectl apply -f "$work/gk-constraints.yaml"
	webhooks=validatingwebhookconfiguration/gatekeeper-bench
	# The validation webhook of deploy/gatekeeper.yaml, at a URL (its default
	# failurePolicy is Ignore; Fail here, as for the other two).
	kubectl apply -f - >/dev/null <<YAML
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingWebhookConfiguration
metadata: {name: gatekeeper-bench}
webhooks:
- name: validation.gatekeeper.sh
  clientConfig: {url: "https://127.0.0.1:$port/v1/admit", caBundle: "$ca_bundle"}
  rules: [{operations: [CREATE, UPDATE], apiGroups: ["*"], apiVersions: ["*"], resources: ["*"]}]
  matchPolicy: Exact
  namespaceSelector: {matchExpressions: [{key: admission.gatekeeper.sh/ignore, operator: DoesNotExist}]}
  failurePolicy: Fail
  sideEffects: None
  admissionReviewVersions: [v1, v1beta1]
  timeoutSeconds: 10
YAML
	check_enforcing gatekeeper
	measure gatekeeper
	stop_peer
}

# ------------------------------------------------------------------- run
log "control plane: kube-apiserver $apiserver_version in $PALISADE_CONTROLPLANE_DIR; $n pods per phase"
order=()
for s in $setups; do
	case "$s" in
	none) phase_none; order+=(none) ;;
	floor) phase_palisade floor "$here/peers/palisade-no-rule.yaml"; order+=(floor) ;;
	palisade) phase_palisade palisade "$here/peers/palisade-pod-security.yaml"; order+=(palisade) ;;
	kyverno) phase_kyverno; order+=(kyverno) ;;
	gatekeeper) phase_gatekeeper; order+=(gatekeeper) ;;
	*) die "unknown setup $s (none, floor, palisade, kyverno, gatekeeper)" ;;
	esac
done
if [[ " $setups " == *" none "* ]]; then
	phase_none "none (again)"
	order+=("none (again)")
fi

# ----------------------------------------------------------------- table
base="${result[none]:-}"
b50="" b99=""
if [ -n "$base" ]; then
	b50="$(field "${base%%|*}" p50)"
	b99="$(field "${base%%|*}" p99)"
fi
echo
echo "kube-apiserver $apiserver_version; palisade $(git describe --always --dirty 2>/dev/null); kyverno $kyverno_version; gatekeeper $gk_version"
echo "$n pods per phase, one at a time after $warmup warm-up creations, then $n from $conc concurrent workers; load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| setup | refused | p50 | p99 | pods/s | added p50 | added p99 | p50 ($conc conc.) | p99 ($conc conc.) | pods/s ($conc conc.) |"
echo "|---|---|---|---|---|---|---|---|---|---|"
for s in "${order[@]}"; do
	seq="${result[$s]%%|*}"
	par="${result[$s]#*|}"
	p50="$(field "$seq" p50)"
	p99="$(field "$seq" p99)"
	a50="–" a99="–"
	if [ -n "$b50" ] && [[ "$s" != none* ]]; then
		a50="$(awk -v a="$p50" -v b="$b50" 'BEGIN { printf "%+.2f ms", a - b }')"
		a99="$(awk -v a="$p99" -v b="$b99" 'BEGIN { printf "%+.2f ms", a - b }')"
	fi
	echo "| $s | ${enforced[$s]:-–} | $p50 ms | $p99 ms | $(field "$seq" rate) | $a50 | $a99 | $(field "$par" p50) ms | $(field "$par" p99) ms | $(field "$par" rate) |"
done
