#!/usr/bin/env bash
# Records real kube-apiserver audit events for the runtime benchmark
# (internal/enforce/responder/testdata/recorded-audit.jsonl): a control plane from
# hack/ with Falco's published audit policy writes its audit log while a
# workload runs (deployments, pods some privileged, secrets, configmaps,
# exec attempts, a ClusterRoleBinding to cluster-admin, a wildcard
# ClusterRole, a NodePort Service, list and get traffic).
set -euo pipefail
cd "$(dirname "$0")/../.."
out=${1:-internal/enforce/responder/testdata/recorded-audit.jsonl}
dir=$(mktemp -d)
export PALISADE_CONTROLPLANE_DIR="$dir/cp"
trap 'hack/controlplane.sh down >/dev/null 2>&1 || true; rm -rf "$dir"' EXIT
policy=$(realpath testdata/falco-rules/audit-policy.yaml)
PALISADE_APISERVER_FLAGS="--audit-policy-file=$policy --audit-log-path=$dir/audit.log --audit-log-format=json" \
	hack/controlplane.sh up >/dev/null
export KUBECONFIG="$dir/cp/kubeconfig"
kubectl create namespace shop >/dev/null
kubectl create serviceaccount default -n shop >/dev/null
for i in $(seq 1 20); do
	kubectl apply -f - >/dev/null <<YAML
apiVersion: apps/v1
kind: Deployment
metadata: {name: web-$i, namespace: shop, labels: {app: web}}
spec:
  replicas: 2
  selector: {matchLabels: {app: web-$i}}
  template:
    metadata: {labels: {app: web-$i}}
    spec: {containers: [{name: web, image: "nginx:1.27", ports: [{containerPort: 80}]}]}
YAML
done
for i in $(seq 1 20); do
	privileged=false
	[ $((i % 5)) = 0 ] && privileged=true
	kubectl apply -f - >/dev/null <<YAML
apiVersion: v1
kind: Pod
metadata: {name: pod-$i, namespace: shop, labels: {app: web}}
spec: {containers: [{name: app, image: "busybox:1.36", command: [sleep, "3600"], securityContext: {privileged: $privileged}}]}
YAML
done
for i in $(seq 1 10); do
	kubectl create secret generic "s-$i" -n shop --from-literal=k=v >/dev/null
	kubectl get secret "s-$i" -n shop >/dev/null
	kubectl create configmap "c-$i" -n shop --from-literal=k=v >/dev/null
done
for i in 1 2 3; do
	kubectl exec -n shop "pod-$i" -- sh -c id >/dev/null 2>&1 || true
	kubectl exec -it -n shop "pod-$i" -- sh </dev/null >/dev/null 2>&1 || true
done
kubectl create clusterrolebinding rec-admin --clusterrole cluster-admin --user bob >/dev/null
kubectl create clusterrole rec-wild --verb='*' --resource='*' >/dev/null
kubectl expose deployment web-1 -n shop --type NodePort --port 80 >/dev/null
for i in $(seq 1 50); do
	kubectl get pods -n shop >/dev/null
	kubectl get deploy -n shop -o name >/dev/null
done
kubectl delete pod pod-20 -n shop >/dev/null
sleep 2
cp "$dir/audit.log" "$out"
echo "recorded $(wc -l <"$out") audit events in $out"
