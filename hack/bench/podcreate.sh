#!/usr/bin/env bash
# Pod-create latency through a real kube-apiserver, with Palisade's webhook
# registered versus no webhook at all (the method Kyverno publishes).
#
#   hack/bench/podcreate.sh          # BENCH_PODS=2000 measured creations per phase
#
# Starts its own control plane (hack/controlplane.sh), creates pods one at a
# time in namespace "bench", then registers the agent (policy: every rule of
# the recommended preset at log plus podSecurityStandard restricted at block;
# the pods comply with restricted, so they are admitted with warnings) and
# measures again. Prints both rows and the p50 difference.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
n="${BENCH_PODS:-2000}"
export PALISADE_CONTROLPLANE_DIR="${PALISADE_CONTROLPLANE_DIR:-$(mktemp -d /tmp/palisade-bench-cp.XXXXXX)}"
work="$(mktemp -d /tmp/palisade-podcreate.XXXXXX)"
agent_pid=""
cleanup() {
	[ -n "$agent_pid" ] && kill "$agent_pid" 2>/dev/null || true
	hack/controlplane.sh down >/dev/null 2>&1 || true
	rm -rf "$work"
}
trap cleanup EXIT

hack/controlplane.sh up >/dev/null
export KUBECONFIG="$PALISADE_CONTROLPLANE_DIR/kubeconfig"
server=$(sed -n 's/.*server: "\(https:[^"]*\)".*/\1/p' "$KUBECONFIG")
token=$(sed -n 's/.*token: "\([^"]*\)".*/\1/p' "$KUBECONFIG")
kubectl create namespace bench >/dev/null
kubectl create serviceaccount default -n bench >/dev/null
go build -o "$work/podcreate" ./hack/bench/podcreate
go build -o "$work/palisade" ./cmd/palisade

echo "no webhook:        $("$work/podcreate" -server "$server" -token "$token" -n "$n")"

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj /CN=127.0.0.1 \
	-addext subjectAltName=IP:127.0.0.1 -keyout "$work/tls.key" -out "$work/tls.crt" 2>/dev/null
{
	go run ./cmd/palisade policy preset recommended | sed '/^    continuous:/,$d' | sed 's/name: recommended/name: bench/'
	echo "        - {rule: podSecurityStandard, action: block, properties: {level: restricted}}"
} >"$work/policy.yaml"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$work/palisade" agent --listen "127.0.0.1:$port" --tls-cert-file "$work/tls.crt" --tls-key-file "$work/tls.key" \
	--policy "$work/policy.yaml" --events "$work/events.jsonl" 2>"$work/agent.log" &
agent_pid=$!
for _ in $(seq 1 100); do curl -sk "https://127.0.0.1:$port/readyz" >/dev/null && break; sleep 0.1; done
kubectl apply -f - >/dev/null <<YAML
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingWebhookConfiguration
metadata: {name: palisade-bench}
webhooks:
- name: validate.palisade.dev
  clientConfig: {url: "https://127.0.0.1:$port/validate", caBundle: "$(base64 -w0 "$work/tls.crt")"}
  rules: [{operations: [CREATE, UPDATE], apiGroups: [""], apiVersions: [v1], resources: [pods]}]
  namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: bench}}
  failurePolicy: Fail
  sideEffects: None
  admissionReviewVersions: [v1]
  timeoutSeconds: 5
YAML
sleep 1 # let the API server's webhook informer see the configuration
echo "palisade webhook:  $("$work/podcreate" -server "$server" -token "$token" -n "$n")"
echo "agent events recorded: $(wc -l <"$work/events.jsonl")"
