#!/usr/bin/env bash
# Palisade on a real node (hack/bench/nodelatency): pods started by a
# Deployment with and without the webhook judging them, and the time from
# a terminal shell to the container killed (terminate) and to the traffic
# cut (isolate), with a fixed count of pods.
#
#   hack/bench/node.sh     # BENCH_STARTUP_PODS=50 BENCH_CONTAIN_PODS=20
#
# Uses the cluster of $PALISADE_CLUSTER_DIR (default /tmp/palisade-cluster),
# starting it with hack/cluster.sh when none runs (and stopping it after).
# For the run, the chart's terminate budget is raised (the bench terminates
# faster than the default 10 pods a minute) and the policy binds the
# terminal-shell ruleset to the bench's pods; both are put back after.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
export PALISADE_CLUSTER_DIR="${PALISADE_CLUSTER_DIR:-/tmp/palisade-cluster}"
dir="$PALISADE_CLUSTER_DIR"
started=0
if ! [ -f "$dir/env" ]; then
	hack/cluster.sh up >/dev/null
	started=1
fi
kc="$dir/kubeconfig"
helm_upgrade() {
	"$dir/helm" --kubeconfig "$kc" upgrade palisade deploy/helm/palisade -n palisade-system --reuse-values "$@" --wait --timeout 3m >/dev/null
}
old_policy=$(kubectl --kubeconfig "$kc" get configmap -n palisade-system palisade-policy -o json)
cleanup() {
	# The agents' logs, before the restore rolls them: where the time went.
	kubectl --kubeconfig "$kc" logs -n palisade-system -l app.kubernetes.io/component=agent --prefix --tail=-1 >"$dir/bench-agents.log" 2>&1 || true
	kubectl --kubeconfig "$kc" delete namespace bench-node --wait=false >/dev/null 2>&1 || true
	echo "$old_policy" | kubectl --kubeconfig "$kc" replace -f - >/dev/null 2>&1 || true
	helm_upgrade --set continuous.terminatePerMinute=10 || true
	if [ "$started" = 1 ]; then hack/cluster.sh down >/dev/null 2>&1 || true; fi
}
trap cleanup EXIT
helm_upgrade --set continuous.terminatePerMinute=600
kubectl --kubeconfig "$kc" apply -f - >/dev/null <<'YAML'
apiVersion: v1
kind: ConfigMap
metadata: {name: palisade-policy, namespace: palisade-system}
data:
  policy.yaml: |
    apiVersion: palisade.dev/v1
    kind: Policy
    metadata: {name: bench-node}
    spec:
      clusterWide:
        deployment:
          rules:
            - {rule: privileged, action: log}
            - {rule: hostPID, action: log}
            - {rule: hostIPC, action: log}
            - {rule: hostNetwork, action: log}
            - {rule: allowPrivilegeEscalation, action: log}
            - {rule: runAsNonRoot, action: log}
            - {rule: containerCapabilities, action: log, properties: {capabilityRestriction: baseline}}
            - {rule: podSecurityStandard, action: log, properties: {level: baseline}}
        runtime:
          rulesets:
            - {ruleset: terminal-shell, selector: {matchLabels: {app: bench-terminate}}, action: terminate}
            - {ruleset: terminal-shell, selector: {matchLabels: {app: bench-isolate}}, action: isolate}
YAML
# Every agent enforces it (the kubelet refreshes the mounted file first).
for _ in $(seq 1 120); do
	ok=1
	for ip in $(kubectl --kubeconfig "$kc" get pods -n palisade-system -l app.kubernetes.io/component=agent -o jsonpath='{.items[*].status.podIP}'); do
		curl -s "http://$ip:9090/metrics" | grep -q 'name="bench-node"' || ok=0
	done
	[ "$ok" = 1 ] && break
	sleep 1
done
[ "$ok" = 1 ] || { echo "the agents did not load the bench policy" >&2; exit 1; }
go run ./hack/bench/nodelatency -startup-pods "${BENCH_STARTUP_PODS:-50}" -contain-pods "${BENCH_CONTAIN_PODS:-20}"
# A sample over 2 s is named on stderr ("slow: ..."); the agents' logs of
# the run, saved in $PALISADE_CLUSTER_DIR/bench-agents.log, say where the
# time went (each isolation's event says how long the cut took once the
# pod was labelled: "verified: ... after ...").
