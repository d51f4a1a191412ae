#!/usr/bin/env bash
# Check the Helm chart in deploy/helm/palisade against a real API server:
#
#   1. build Helm from the Go module pinned in hack/tools/helm (cached in
#      ${PALISADE_CACHE:-$HOME/.cache/palisade}/bin/helm-<version>);
#   2. `helm lint --strict` of each render below;
#   3. render errors: invalid values must fail the render with a message;
#   4. render with `helm template` for each certificates mode (helm, secret
#      with a throwaway certificate, certManager) and a "variant" (helm mode
#      with most optional values set); check the generated certificates with
#      openssl and that the options took effect;
#   5. create the release namespace and send every rendered object to the API
#      server with `kubectl apply --dry-run=server` (schema, defaulting,
#      validation and admission, nothing persisted). The certManager render's
#      cert-manager.io objects (Issuer, Certificate) are not sent: their CRDs
#      are not installed on the test control plane, so they are only counted;
#      every other object of that render is sent;
#   6. upgrade path of the helm mode: with the chart's TLS Secret present in
#      the cluster, `helm template --dry-run=server` (which enables lookup)
#      must reuse its CA as the webhook's caBundle. The Secret is created for
#      this check and deleted afterwards.
#
# Needs a reachable API server in $KUBECONFIG:
#
#   eval "$(hack/controlplane.sh up)" && hack/helm-check.sh; hack/controlplane.sh down
#
# Exits non-zero on the first failure.
set -euo pipefail
set -f # --set arguments such as tolerations[0].operator are not globs

root="$(cd "$(dirname "$0")/.." && pwd)"
chart="$root/deploy/helm/palisade"
tools="$root/hack/tools/helm"
release=palisade
ns=palisade-system
cache="${PALISADE_CACHE:-$HOME/.cache/palisade}/bin"

log() { echo "helm-check: $*" >&2; }
die() { log "FAIL: $*"; exit 1; }

# --- 0. preflight: the control plane must be there before anything slow.
[ -n "${KUBECONFIG:-}" ] || die 'KUBECONFIG is not set; start a control plane first: eval "$(hack/controlplane.sh up)"'
[ -r "${KUBECONFIG%%:*}" ] || die "KUBECONFIG=$KUBECONFIG: file not readable"
command -v kubectl >/dev/null || die "kubectl not found in PATH"
command -v openssl >/dev/null || die "openssl not found in PATH"
kubectl get --raw /readyz >/dev/null 2>&1 ||
	die "API server in KUBECONFIG=$KUBECONFIG is not reachable or not ready (kubectl get --raw /readyz failed); run hack/controlplane.sh up"

# --- 1. Helm, built from the pinned Go module.
helm_version="$(awk '$1 == "require" && $2 == "helm.sh/helm/v3" {print $3}' "$tools/go.mod")"
[ -n "$helm_version" ] || die "no helm.sh/helm/v3 requirement in $tools/go.mod"
helm="$cache/helm-$helm_version"
if [ ! -x "$helm" ]; then
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
fi
log "$("$helm" version --short)"

tmp="$(mktemp -d)"
cleanup_secret=""
cleanup() {
	if [ -n "$cleanup_secret" ]; then
		kubectl -n "$ns" delete secret "$cleanup_secret" --ignore-not-found >/dev/null 2>&1 || true
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT

# A throwaway CA and serving certificate for the "secret" mode.
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj "/CN=helm-check-ca" \
	-keyout "$tmp/dummy-ca.key" -out "$tmp/dummy-ca.crt" 2>/dev/null || die "openssl could not create the dummy CA"
dummy_ca_b64="$(base64 -w0 <"$tmp/dummy-ca.crt")"

mode_args() { # the --set flags that select certificates mode $1
	case "$1" in
	helm) ;;
	variant) echo "$variant_args" ;;
	certManager) echo "--set certificates.mode=certManager" ;;
	secret) echo "--set certificates.mode=secret --set certificates.existingSecret=palisade-webhook-tls --set certificates.caBundle=$dummy_ca_b64" ;;
	*) die "unknown mode $1" ;;
	esac
}
modes="helm secret certManager variant"
# "variant": helm mode with most non-default values, so the optional template
# branches reach the API server too.
variant_args="--set replicaCount=3 --set webhook.failurePolicy=Fail --set webhook.timeoutSeconds=10
 --set webhook.excludedNamespaces={kube-public,kube-node-lease} --set webhook.connect=false
 --set podAntiAffinity=hard --set priorityClassName=system-cluster-critical
 --set topologySpreadConstraints[0].maxSkew=1 --set topologySpreadConstraints[0].topologyKey=topology.kubernetes.io/zone
 --set topologySpreadConstraints[0].whenUnsatisfiable=ScheduleAnyway
 --set image.digest=sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
 --set fullnameOverride=pal --set serviceAccount.name=pal-agent --set agent.extraArgs={--log-format=text} --set agent.clusterName=prod-eu
 --set nodeSelector.kubernetes\.io/os=linux --set tolerations[0].operator=Exists"

# --- 2. lint.
for mode in $modes; do
	# shellcheck disable=SC2046
	"$helm" lint --strict --namespace "$ns" $(mode_args "$mode") "$chart" >"$tmp/lint-$mode.log" 2>&1 ||
		{ cat "$tmp/lint-$mode.log" >&2; die "helm lint --strict failed ($mode)"; }
	log "lint ok ($mode)"
done

# --- 3. invalid values must fail the render with a clear message.
expect_render_error() { # message-fragment helm-args...
	local want="$1"
	shift
	if "$helm" template "$release" "$chart" --namespace "$ns" "$@" >/dev/null 2>"$tmp/err.log"; then
		die "render with $* succeeded; expected an error containing: $want"
	fi
	grep -qF -- "$want" "$tmp/err.log" || { cat "$tmp/err.log" >&2; die "render with $* failed without the expected message: $want"; }
}
# values.schema.json first; the templates repeat the enum checks for
# --skip-schema-validation.
expect_render_error "at '/certificates/mode': value must be one of" --set certificates.mode=bogus
expect_render_error "certificates.mode must be one of" --set certificates.mode=bogus --skip-schema-validation
expect_render_error "at '/webhook/failurePolicy': value must be one of" --set webhook.failurePolicy=Maybe
expect_render_error "webhook.failurePolicy must be Ignore or Fail" --set webhook.failurePolicy=Maybe --skip-schema-validation
expect_render_error "at '/webhook/timeoutSeconds'" --set webhook.timeoutSeconds=60
expect_render_error "certificates.existingSecret is required" --set certificates.mode=secret
expect_render_error "certificates.caBundle (base64 PEM) is required" --set certificates.mode=secret --set certificates.existingSecret=x
expect_render_error "must be the base64 encoding of a PEM certificate" --set certificates.mode=secret --set certificates.existingSecret=x --set certificates.caBundle=bm90IGEgY2VydA==
log "invalid values are rejected"

# --- 4. render each mode.
field() { # print the value of the first "KEY: value" line of file $2 (any indentation)
	awk -v k="$1:" '$1 == k {print $2; exit}' "$2"
}
for mode in $modes; do
	# shellcheck disable=SC2046
	"$helm" template "$release" "$chart" --namespace "$ns" $(mode_args "$mode") >"$tmp/$mode.yaml" 2>"$tmp/err.log" ||
		{ cat "$tmp/err.log" >&2; die "helm template failed ($mode)"; }
	grep -q "^  - name: validate.palisade.dev$" "$tmp/$mode.yaml" || die "$mode: webhook validate.palisade.dev not rendered"
	grep -q "^  name: palisade-$release$" "$tmp/$mode.yaml" || die "$mode: ValidatingWebhookConfiguration palisade-$release not rendered"
done

# helm mode: the generated chain must verify and name the Service.
svc_dns="$release.$ns.svc"
field caBundle "$tmp/helm.yaml" | base64 -d >"$tmp/ca.pem"
field tls.crt "$tmp/helm.yaml" | base64 -d >"$tmp/tls.pem"
field tls.key "$tmp/helm.yaml" | base64 -d >"$tmp/tls.key"
cmp -s "$tmp/ca.pem" <(field ca.crt "$tmp/helm.yaml" | base64 -d) || die "helm: caBundle differs from the Secret's ca.crt"
openssl verify -CAfile "$tmp/ca.pem" "$tmp/tls.pem" >/dev/null 2>&1 || die "helm: serving certificate does not verify against the caBundle"
openssl x509 -in "$tmp/tls.pem" -noout -ext subjectAltName 2>/dev/null | grep -q "DNS:$svc_dns\b" ||
	die "helm: serving certificate lacks DNS:$svc_dns"
cmp -s <(openssl x509 -in "$tmp/tls.pem" -noout -pubkey) <(openssl pkey -in "$tmp/tls.key" -pubout 2>/dev/null) ||
	die "helm: tls.key does not match tls.crt"
log "helm mode: serving certificate for $svc_dns verifies against the caBundle"
# secret mode: the caBundle is the one given; certManager: none, injected.
[ "$(field caBundle "$tmp/secret.yaml")" = "$dummy_ca_b64" ] || die "secret: caBundle is not certificates.caBundle"
grep -q "secretName: palisade-webhook-tls$" "$tmp/secret.yaml" || die "secret: the Deployment does not mount certificates.existingSecret"
! grep -q "caBundle:" "$tmp/certManager.yaml" || die "certManager: caBundle must be left to cainjector"
grep -q "cert-manager.io/inject-ca-from: $ns/$release-tls$" "$tmp/certManager.yaml" || die "certManager: inject-ca-from annotation missing"

# variant: the optional branches took effect.
for want in "failurePolicy: Fail" "timeoutSeconds: 10" '- "kube-node-lease"' "requiredDuringSchedulingIgnoredDuringExecution:" \
	"priorityClassName: system-cluster-critical" "topologyKey: topology.kubernetes.io/zone" "@sha256:0123456789abcdef" \
	"serviceAccountName: pal-agent" '- "--log-format=text"' "- --cluster=prod-eu" "kubernetes.io/os: linux" "kind: PodDisruptionBudget"; do
	grep -qF -- "$want" "$tmp/variant.yaml" || die "variant: rendered manifests lack: $want"
done
! grep -q '"CONNECT"' "$tmp/variant.yaml" || die "variant: webhook.connect=false still sends CONNECT"
grep -q '"CONNECT"' "$tmp/helm.yaml" || die "helm: CONNECT on pods/exec is not sent to the webhook"
# A single replica gets no PodDisruptionBudget (it would block node drains).
"$helm" template "$release" "$chart" --namespace "$ns" --set replicaCount=1 | grep -q "^kind: PodDisruptionBudget$" &&
	die "replicaCount=1 must not render a PodDisruptionBudget"
log "rendered values checked (certificates, variant options, PodDisruptionBudget)"

# --- 5. server-side dry run.
kubectl create namespace "$ns" --dry-run=client -o yaml | kubectl apply -f - >/dev/null ||
	die "could not create namespace $ns"

split_cert_manager() { # in out-kept out-skipped: split the cert-manager.io documents out
	awk -v keep="$2" -v skip="$3" '
		function flush() { if (doc ~ /(^|\n)apiVersion: cert-manager\.io\//) printf "%s", doc > skip; else printf "%s", doc > keep; doc = "" }
		/^---$/ { flush() }
		{ doc = doc $0 "\n" }
		END { flush() }' "$1"
}
kinds() { # "Kind xN, ..." of the top-level objects of a manifest
	grep -E '^kind: ' "$1" | awk '{print $2}' | sort | uniq -c | awk '{printf "%s%s x%s", sep, $2, $1; sep=", "}'
}
total=0
for mode in $modes; do
	file="$tmp/$mode.yaml"
	skipped=0
	if [ "$mode" = certManager ]; then
		split_cert_manager "$file" "$tmp/$mode.kept.yaml" "$tmp/$mode.cm.yaml"
		skipped="$(grep -c '^kind: ' "$tmp/$mode.cm.yaml" || true)"
		[ "$skipped" -ge 2 ] || die "certManager: expected cert-manager.io objects, found $skipped"
		log "certManager: not sent (no cert-manager CRDs on the control plane): $(kinds "$tmp/$mode.cm.yaml")"
		file="$tmp/$mode.kept.yaml"
	fi
	want="$(grep -c '^kind: ' "$file")"
	kubectl apply --dry-run=server -f "$file" >"$tmp/apply.log" 2>&1 ||
		{ cat "$tmp/apply.log" >&2; die "kubectl apply --dry-run=server rejected the $mode render"; }
	got="$(grep -c '(server dry run)$' "$tmp/apply.log" || true)"
	[ "$got" -eq "$want" ] || { cat "$tmp/apply.log" >&2; die "$mode: $got of $want objects accepted"; }
	total=$((total + got))
	log "dry-run=server ok ($mode): $got objects: $(kinds "$file")"
done

# --- 6. helm mode upgrade path: an existing Secret's CA is reused.
secret_name="$release-tls"
"$helm" template "$release" "$chart" --namespace "$ns" --show-only templates/webhook.yaml >"$tmp/webhook.yaml"
if kubectl -n "$ns" get secret "$secret_name" >/dev/null 2>&1; then
	die "secret $ns/$secret_name already exists; this check creates and deletes it itself"
fi
cleanup_secret="$secret_name"
grep -q "^kind: Secret$" "$tmp/webhook.yaml" || die "templates/webhook.yaml renders no Secret in helm mode"
awk '/^---$/ && NR > 1 {exit} {print}' "$tmp/webhook.yaml" | kubectl apply -f - >/dev/null ||
	die "could not create the Secret for the upgrade check"
first_ca="$(field ca.crt "$tmp/webhook.yaml")"
"$helm" template "$release" "$chart" --namespace "$ns" --dry-run=server --show-only templates/webhook.yaml >"$tmp/webhook2.yaml" 2>"$tmp/err.log" ||
	{ cat "$tmp/err.log" >&2; die "helm template --dry-run=server failed"; }
[ "$(field caBundle "$tmp/webhook2.yaml")" = "$first_ca" ] ||
	die "helm mode: with the Secret present, the caBundle was regenerated instead of reused (lookup)"
[ "$(field tls.crt "$tmp/webhook2.yaml")" = "$(field tls.crt "$tmp/webhook.yaml")" ] ||
	die "helm mode: with the Secret present, the serving certificate was regenerated"
kubectl -n "$ns" delete secret "$secret_name" >/dev/null
cleanup_secret=""
log "helm mode: an upgrade reuses the existing Secret's CA and certificate"

log "OK: helm $helm_version; lint and dry run of $(echo $modes | wc -w) renders ($modes); $total objects accepted by the API server"
