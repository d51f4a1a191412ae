#!/usr/bin/env bash
# Check the Helm chart in deploy/helm/palisade against a real API server:
#
#   1. build Helm from the Go module pinned in hack/tools/helm (cached in
#      ${PALISADE_CACHE:-$HOME/.cache/palisade}/bin/helm-<version>);
#   2. `helm lint --strict` of each render below, and of each values file in
#      the chart's ci/ folder (ci/*-values.yaml: defaults, minimal, managed
#      agents with the console, external PostgreSQL, everything enabled);
#   3. render errors: invalid values must fail the render with a message;
#   4. render with `helm template` for each certificates mode (helm, secret
#      with a throwaway certificate, certManager), a "variant" (helm mode
#      with most optional values set), the console on SQLite
#      ("console-sqlite"), on the bundled PostgreSQL with the agents managed
#      by it ("console-postgres-bundled"), on an external PostgreSQL with TLS
#      ("console-postgres-external"), and agents managed by an external
#      console ("managed"); check the generated certificates with openssl and
#      that the options took effect; `helm template` of each ci/ values
#      file, with the facts of the metrics, probes, ServiceMonitor,
#      NetworkPolicy and syscall sensor templates checked;
#   5. create the release namespace and send every rendered object to the API
#      server with `kubectl apply --dry-run=server` (schema, defaulting,
#      validation and admission, nothing persisted), the ci/ renders too.
#      cert-manager.io objects (Issuer, Certificate) and monitoring.coreos.com
#      ones (ServiceMonitor) are not sent: their CRDs are not installed on the
#      test control plane, so they are only counted; every other object of
#      those renders is sent;
#   6. upgrade path: with the chart's generated Secrets present in the
#      cluster, `helm template --dry-run=server` (which enables lookup) must
#      reuse them: the helm mode's CA as the webhook's caBundle, the console's
#      admin token, and the bundled PostgreSQL's password (also inside the
#      console's database URL). The Secrets are created for this check and
#      deleted afterwards.
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

# --- 1. Helm, built from the pinned Go module (hack/lib.sh).
# shellcheck source=hack/lib.sh
. "$root/hack/lib.sh"
ensure_helm
log "$("$helm" version --short)"

tmp="$(mktemp -d)"
cleanup_secrets="" # created by step 6; deleted on any exit
cleanup() {
	local s
	for s in $cleanup_secrets; do
		kubectl -n "$ns" delete secret "$s" --ignore-not-found >/dev/null 2>&1 || true
	done
	rm -rf "$tmp"
}
trap cleanup EXIT

# A throwaway CA and serving certificate for the "secret" mode.
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj "/CN=helm-check-ca" \
	-keyout "$tmp/dummy-ca.key" -out "$tmp/dummy-ca.crt" 2>/dev/null || die "openssl could not create the dummy CA"
dummy_ca_b64="$(base64 -w0 <"$tmp/dummy-ca.crt")"

mode_args() { # the --set flags of render $1 (a certificates mode or a console setup)
	case "$1" in
	helm) ;;
	variant) echo "$variant_args" ;;
	certManager) echo "--set certificates.mode=certManager" ;;
	secret) echo "--set certificates.mode=secret --set certificates.existingSecret=palisade-webhook-tls --set certificates.caBundle=$dummy_ca_b64" ;;
	console-sqlite) echo "--set console.enabled=true --set console.insecureHttp=true --set console.viewerToken.enabled=true" ;;
	console-postgres-bundled) echo "--set console.enabled=true --set console.insecureHttp=true --set console.database.type=postgres --set postgresql.enabled=true
 --set agent.console.tokenSecret=palisade-agent-token" ;;
	console-postgres-external) echo "$external_args" ;;
	managed) echo "--set agent.console.url=https://console.example.com:8443 --set agent.console.tokenSecret=palisade-agent-token
 --set agent.console.caSecret=palisade-console-ca --set agent.stateSizeLimit=1Gi" ;;
	*) die "unknown mode $1" ;;
	esac
}
modes="helm secret certManager variant console-sqlite console-postgres-bundled console-postgres-external managed"
# ci/<name>-values.yaml renders as "ci-<name>", with -f instead of --set.
# (find, not a glob: globbing is off, see set -f above)
ci_modes=""
for f in $(find "$chart/ci" -maxdepth 1 -name '*-values.yaml' | sort); do
	ci_modes="$ci_modes ci-$(basename "$f" -values.yaml)"
done
[ -n "$ci_modes" ] || die "no values files in $chart/ci"
# "variant": helm mode with most non-default values, so the optional template
# branches reach the API server too.
variant_args="--set replicaCount=3 --set webhook.failurePolicy=Fail --set webhook.timeoutSeconds=10
 --set webhook.excludedNamespaces={kube-public,kube-node-lease} --set webhook.connect=false
 --set podAntiAffinity=hard --set priorityClassName=system-cluster-critical
 --set topologySpreadConstraints[0].maxSkew=1 --set topologySpreadConstraints[0].topologyKey=topology.kubernetes.io/zone
 --set topologySpreadConstraints[0].whenUnsatisfiable=ScheduleAnyway
 --set image.digest=sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
 --set fullnameOverride=pal --set serviceAccount.name=pal-agent --set agent.extraArgs={--log-format=text} --set agent.clusterName=prod-eu
 --set nodeSelector.kubernetes\.io/os=linux --set tolerations[0].operator=Exists
 --set continuous.dryRun=true --set continuous.period=10m --set continuous.protectedNamespaces={payments,ops}
 --set continuous.policyReports.enabled=true --set continuous.policyReports.api=both
 --set agent.emitAdmissionEvents=true --set agent.logLevel=debug
 --set scanResults.trivyOperator=true --set scanResults.configMap=shop-scan-reports
 --set runtime.clientCASecret=palisade-runtime-ca --set runtime.token.existingSecret=palisade-runtime-token
 --set-file runtime.rules.k8s_audit_rules\.yaml=$root/testdata/falco-rules/k8s_audit_rules.yaml
 --set webhook.mutateToDigest=true --set signatures.readPullSecrets=false --set signatures.registryCredentialsSecret=pal-registry
 --set-file signatures.caBundle=$tmp/dummy-ca.crt --set signatures.timeout=2s"
# "console-postgres-external": your PostgreSQL and admin token, a console
# serving HTTPS, and this release's agents managed by it (verifying its CA).
external_args="--set console.enabled=true --set console.database.type=postgres
 --set console.database.postgres.existingSecret=palisade-console-db --set console.database.postgres.key=database-url
 --set console.adminToken.existingSecret=palisade-console-admin --set console.tls.existingSecret=palisade-console-tls
 --set console.service.port=443 --set agent.console.tokenSecret=palisade-agent-token --set agent.console.caSecret=palisade-console-ca
 --set console.image.repository=registry.example.com/palisade --set console.image.tag=0.2.0
 --set console.nodeSelector.kubernetes\.io/os=linux --set console.extraEnv[0].name=TZ --set console.extraEnv[0].value=UTC
 --set console.eventRetention=0 --set console.tokenRotationOverlap=72h"

# --- 2. lint.
for mode in $modes; do
	# shellcheck disable=SC2046
	"$helm" lint --strict --namespace "$ns" $(mode_args "$mode") "$chart" >"$tmp/lint-$mode.log" 2>&1 ||
		{ cat "$tmp/lint-$mode.log" >&2; die "helm lint --strict failed ($mode)"; }
	log "lint ok ($mode)"
done
for mode in $ci_modes; do
	"$helm" lint --strict --namespace "$ns" -f "$chart/ci/${mode#ci-}-values.yaml" "$chart" >"$tmp/lint-$mode.log" 2>&1 ||
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
# The console, the bundled PostgreSQL and managed agents.
console_pg="--set console.enabled=true --set console.insecureHttp=true --set console.database.type=postgres"
expect_render_error "at '/console/replicaCount'" --set console.replicaCount=-1
expect_render_error "console.replicaCount above 1 needs console.database.type=postgres" --set console.enabled=true --set console.insecureHttp=true --set console.replicaCount=2
expect_render_error "at '/console/database/type': value must be one of" --set console.database.type=mysql
expect_render_error "console.database.type must be sqlite or postgres" --set console.database.type=mysql --skip-schema-validation
expect_render_error "at '/agent/console/url'" --set agent.console.url=ftp://console --set agent.console.tokenSecret=t
expect_render_error "agent.console.url must be an http:// or https:// URL" --set agent.console.url=ftp://console --set agent.console.tokenSecret=t --skip-schema-validation
# shellcheck disable=SC2086
expect_render_error "console.database.type=postgres needs the database URL" $console_pg
# shellcheck disable=SC2086
expect_render_error "console.database.postgres.existingSecret and postgresql.enabled are exclusive" $console_pg --set postgresql.enabled=true --set console.database.postgres.existingSecret=db
expect_render_error "the console needs console.tls.existingSecret" --set console.enabled=true
expect_render_error "console.insecureHttp and console.tls.existingSecret are exclusive" --set console.enabled=true --set console.insecureHttp=true --set console.tls.existingSecret=t
expect_render_error "postgresql.enabled needs console.enabled=true" --set postgresql.enabled=true
expect_render_error "postgresql.enabled needs console.database.type=postgres" --set console.enabled=true --set console.insecureHttp=true --set postgresql.enabled=true
expect_render_error "agent.console.url needs agent.console.tokenSecret" --set agent.console.url=https://console.example.com
expect_render_error "agent.console.tokenSecret needs agent.console.url, or console.enabled=true" --set agent.console.tokenSecret=t
expect_render_error "existingPolicyConfigMap is for a standalone agent" --set agent.console.url=https://console.example.com --set agent.console.tokenSecret=t --set existingPolicyConfigMap=mine
expect_render_error "agent.console.caSecret is only used by a managed agent" --set agent.console.caSecret=ca
expect_render_error "agent.console.caSecret needs an https:// console URL" --set agent.console.url=http://console.example.com --set agent.console.tokenSecret=t --set agent.console.caSecret=ca
expect_render_error "agent.console.caSecret needs an https:// console URL" --set console.enabled=true --set console.insecureHttp=true --set agent.console.tokenSecret=t --set agent.console.caSecret=ca
# Single sign-on for the console's UI.
console_sso="--set console.enabled=true --set console.insecureHttp=true --set console.oidc.enabled=true"
# shellcheck disable=SC2086
expect_render_error "console.oidc.enabled needs console.oidc.issuerURL" $console_sso
sso_ok="--set console.oidc.issuerURL=https://dex.example.com --set console.oidc.clientID=palisade --set console.oidc.clientSecret.existingSecret=oidc --set console.oidc.redirectURL=https://palisade.example.com/login/oidc/callback"
# shellcheck disable=SC2086
expect_render_error "console.oidc.enabled needs console.oidc.adminGroups or console.oidc.viewerGroups" $console_sso $sso_ok
# shellcheck disable=SC2086
expect_render_error "console.oidc.redirectURL must be the console's external URL + /login/oidc/callback" $console_sso $sso_ok --set console.oidc.adminGroups[0]=a --set console.oidc.redirectURL=https://palisade.example.com/
# shellcheck disable=SC2086
expect_render_error "console.oidc.scopes must include openid" $console_sso $sso_ok --set console.oidc.adminGroups[0]=a --set console.oidc.scopes[0]=email
# Durations the console would refuse at start: the schema checks the form,
# the templates the bounds (and the form again, for --skip-schema-validation).
console_on="--set console.enabled=true --set console.insecureHttp=true"
expect_render_error "at '/console/eventRetention'" $console_on --set console.eventRetention=30d
expect_render_error "console.eventRetention must be a duration such as 720h, or 0" $console_on --set console.eventRetention=30d --skip-schema-validation
expect_render_error "console.eventRetention 12h: want 0 (keep every event) or at least 24h" $console_on --set console.eventRetention=12h
expect_render_error "console.eventRetention 1439m: want 0 (keep every event) or at least 24h" $console_on --set console.eventRetention=1439m
expect_render_error "at '/console/tokenRotationOverlap'" $console_on --set console.tokenRotationOverlap=1d
expect_render_error "console.tokenRotationOverlap 0s: want more than 0 and at most 720h" $console_on --set console.tokenRotationOverlap=0s
expect_render_error "console.tokenRotationOverlap 721h: want more than 0 and at most 720h" $console_on --set console.tokenRotationOverlap=721h
# Metrics, NetworkPolicies, probes.
expect_render_error "at '/metrics/port'" --set metrics.port=0
expect_render_error "at '/console/metrics/serviceMonitor/interval'" --set console.metrics.serviceMonitor.interval=often
expect_render_error "at '/networkPolicy/webhookFrom'" --set networkPolicy.webhookFrom=anyone
# The syscall sensor posts to the runtime intake.
expect_render_error "sensor.enabled needs runtime.enabled=true" --set sensor.enabled=true --set runtime.enabled=false
expect_render_error "at '/sensor/ringBufferBytes'" --set sensor.enabled=true --set sensor.ringBufferBytes=1024
# `helm upgrade --reuse-values` of a release from before the sensor: no sensor defaults.
expect_render_error "upgrade with --reset-then-reuse-values" --set sensor.enabled=true --set sensor.metricsPort=null
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
for mode in $ci_modes; do
	"$helm" template "$release" "$chart" --namespace "$ns" -f "$chart/ci/${mode#ci-}-values.yaml" >"$tmp/$mode.yaml" 2>"$tmp/err.log" ||
		{ cat "$tmp/err.log" >&2; die "helm template failed ($mode)"; }
	grep -q "^  - name: validate.palisade.dev$" "$tmp/$mode.yaml" || die "$mode: webhook validate.palisade.dev not rendered"
done

# The webhooks must send the agent exactly what the rule catalog reads: the
# list is derived from the catalog (palisade agent webhook-rules), never kept
# by hand. The default render has every rule's resources (CONNECT included);
# the variant also has the mutating webhook (mutateToDigest).
(cd "$root" && GOFLAGS=-buildvcs=false go build -o "$tmp/palisade" ./cmd/palisade) || die "go build ./cmd/palisade failed"
"$tmp/palisade" agent webhook-rules --check "$tmp/helm.yaml" --exact >"$tmp/webhook-rules.log" ||
	{ cat "$tmp/webhook-rules.log" >&2; die "helm: the ValidatingWebhookConfiguration's rules differ from the catalog's"; }
"$tmp/palisade" agent webhook-rules --mutating --check "$tmp/variant.yaml" --exact >"$tmp/webhook-rules.log" ||
	{ cat "$tmp/webhook-rules.log" >&2; die "variant: the MutatingWebhookConfiguration's rules differ from the catalog's"; }
log "webhook rules match the catalog (palisade agent webhook-rules)"

# helm mode: the generated chain must verify and name the Service.
svc_dns="$release.$ns.svc"
# The webhook's own documents: the API server's client certificate
# (clientauth.yaml) has a ca.crt and a tls.crt too.
awk '/^# Source: /{p = ($3 == "palisade/templates/webhook.yaml")} p' "$tmp/helm.yaml" >"$tmp/helm-webhook.yaml"
field caBundle "$tmp/helm-webhook.yaml" | base64 -d >"$tmp/ca.pem"
field tls.crt "$tmp/helm-webhook.yaml" | base64 -d >"$tmp/tls.pem"
field tls.key "$tmp/helm-webhook.yaml" | base64 -d >"$tmp/tls.key"
cmp -s "$tmp/ca.pem" <(field ca.crt "$tmp/helm-webhook.yaml" | base64 -d) || die "helm: caBundle differs from the Secret's ca.crt"
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
	"serviceAccountName: pal-agent" '- "--log-format=text"' "- --cluster-name=prod-eu" "kubernetes.io/os: linux" "kind: PodDisruptionBudget"; do
	grep -qF -- "$want" "$tmp/variant.yaml" || die "variant: rendered manifests lack: $want"
done
! grep -q '"CONNECT"' "$tmp/variant.yaml" || die "variant: webhook.connect=false still sends CONNECT"
# Continuous checks: on by default with leader election and exactly the
# verbs their actions need; a dry run gets no write access to pods.
for want in "- --continuous" "- --leader-elect" "- --continuous-period=1h" "- --terminate-per-minute=10" \
	'verbs: ["patch", "delete"]' 'resources: ["networkpolicies"]' 'resourceNames: ["palisade-continuous"]' 'resources: ["daemonsets"]'; do
	grep -qF -- "$want" "$tmp/helm.yaml" || die "helm: rendered manifests lack: $want"
done
! grep -qF 'policyreports' "$tmp/helm.yaml" || die "helm: PolicyReport access granted while continuous.policyReports.enabled=false"
# Kubernetes Events: granted to the acting agent by default; JSON logs at info.
for want in 'apiGroups: ["events.k8s.io"]' "- --log-format=json" "- --log-level=info"; do
	grep -qF -- "$want" "$tmp/helm.yaml" || die "helm: rendered manifests lack: $want"
done
! grep -qF -- "--emit-admission-events" "$tmp/helm.yaml" || die "helm: admission events emitted while agent.emitAdmissionEvents=false"
! grep -qF 'openreports.io' "$tmp/helm.yaml" || die "helm: openreports.io access granted by default"
# variant: both report APIs; admission events (granted even in a dry run).
for want in "- --policy-report-api=both" 'apiGroups: ["openreports.io"]' "- --emit-admission-events" "- --log-level=debug" \
	'apiGroups: ["events.k8s.io"]'; do
	grep -qF -- "$want" "$tmp/variant.yaml" || die "variant: rendered manifests lack: $want"
done
for want in "- --dry-run" "- --continuous-period=10m" "- --protected-namespaces=payments,ops" "- --policy-reports" \
	"- --policy-report-interval=10m" 'resources: ["policyreports"]'; do
	grep -qF -- "$want" "$tmp/variant.yaml" || die "variant: rendered manifests lack: $want"
done
! grep -qF 'verbs: ["patch", "delete"]' "$tmp/variant.yaml" || die "variant: continuous.dryRun=true still grants patch/delete on pods"
! grep -qF '"get", "create", "update", "delete"' "$tmp/variant.yaml" || die "variant: continuous.dryRun=true still grants NetworkPolicy writes"
grep -q '"CONNECT"' "$tmp/helm.yaml" || die "helm: CONNECT on pods/exec is not sent to the webhook"
# RBAC rules at admission: roles followed by default.
for want in "- --watch-roles" 'resources: ["roles", "clusterroles"]'; do
	grep -qF -- "$want" "$tmp/helm.yaml" || die "helm: rendered manifests lack: $want"
done
# Scan results: off by default; the variant follows Trivy Operator's
# reports (read access to them) and a ConfigMap of reports.
! grep -qF -- '--trivy-operator' "$tmp/helm.yaml" || die "helm: --trivy-operator without scanResults.trivyOperator"
! grep -qF 'aquasecurity.github.io' "$tmp/helm.yaml" || die "helm: Trivy Operator access granted while scanResults.trivyOperator=false"
for want in "- --trivy-operator" "- --scan-results=/etc/palisade/scan-results" "name: shop-scan-reports" \
	'resources: ["vulnerabilityreports", "clustervulnerabilityreports", "exposedsecretreports"]'; do
	grep -qF -- "$want" "$tmp/variant.yaml" || die "variant: rendered manifests lack: $want"
done
# Image signatures: pods' pull secrets read by name by default, no
# mutating webhook; the variant pins digests, has its own registry
# credentials and a private keyless CA, and reads no secrets.
for want in '- --signature-pull-secrets=true' 'resources: ["secrets"]' '- --signature-timeout=3s' '- --signature-cache-ttl=10m'; do
	grep -qF -- "$want" "$tmp/helm.yaml" || die "helm: rendered manifests lack: $want"
done
! grep -q "^kind: MutatingWebhookConfiguration$" "$tmp/helm.yaml" || die "helm: a mutating webhook without webhook.mutateToDigest"
for want in "kind: MutatingWebhookConfiguration" "path: /mutate" "- name: mutate.palisade.dev" "- --signature-pull-secrets=false" \
	"- --signature-ca-file=/etc/palisade/signatures/ca.pem" "name: pal-signatures" "secretName: pal-registry" "value: /etc/palisade/docker" \
	"- --signature-timeout=2s"; do
	grep -qF -- "$want" "$tmp/variant.yaml" || die "variant: rendered manifests lack: $want"
done
! grep -qF 'resources: ["secrets"]' "$tmp/variant.yaml" || die "variant: secrets readable while signatures.readPullSecrets=false"
# Runtime intake: on by default behind a generated token; the variant's CA,
# existing token Secret and extra rules file reach the agent.
for want in "- --runtime-token-file=/etc/palisade/runtime-token/token" "name: palisade-runtime-token"; do
	grep -qF -- "$want" "$tmp/helm.yaml" || die "helm: rendered manifests lack: $want"
done
for want in "- --runtime-client-ca-file=/etc/palisade/runtime-ca/ca.crt" "secretName: palisade-runtime-ca" \
	"secretName: palisade-runtime-token" "- --runtime-rules=/etc/palisade/runtime-rules/k8s_audit_rules.yaml" \
	"name: pal-runtime-rules" "k8s_audit_rules.yaml: "; do
	grep -qF -- "$want" "$tmp/variant.yaml" || die "variant: rendered manifests lack: $want"
done
! grep -q "^  name: pal-runtime-token$" "$tmp/variant.yaml" || die "variant: runtime.token.existingSecret set, yet a token Secret is generated"
# Runtime without the continuous checks: pods are read one by one, no
# informer, no Lease; with neither, no API access at all.
"$helm" template "$release" "$chart" --namespace "$ns" --set continuous.enabled=false --set webhook.watchRoles=false --set webhook.watchInventory=false >"$tmp/runtime-only.yaml"
for want in 'verbs: ["get"]' 'verbs: ["patch", "delete"]' "- --terminate-per-minute=10"; do
	grep -qF -- "$want" "$tmp/runtime-only.yaml" || die "runtime only: rendered manifests lack: $want"
done
for bad in '"list", "watch"' "palisade-continuous" "- --continuous"; do
	! grep -qF -- "$bad" "$tmp/runtime-only.yaml" || die "runtime only: rendered manifests must not contain: $bad"
done
"$helm" template "$release" "$chart" --namespace "$ns" --set continuous.enabled=false --set runtime.enabled=false --set webhook.watchRoles=false --set webhook.watchInventory=false \
	--set signatures.readPullSecrets=false >"$tmp/no-api.yaml"
! grep -q "^kind: ClusterRole$" "$tmp/no-api.yaml" || die "continuous and runtime off: a ClusterRole is still granted"
# A single replica gets no PodDisruptionBudget (it would block node drains).
"$helm" template "$release" "$chart" --namespace "$ns" --set replicaCount=1 | grep -q "^kind: PodDisruptionBudget$" &&
	die "replicaCount=1 must not render a PodDisruptionBudget"

# The console and managed agents.
doc() { # print the document of kind $1 named $2 from file $3
	awk -v kind="$1" -v name="$2" '
		function flush() { if (k == kind && n == name) printf "%s", d; d = ""; k = ""; n = "" }
		/^---$/ { flush(); next }
		/^kind: / { k = $2 }
		/^  name: / && !n { n = $2 }
		{ d = d $0 "\n" }
		END { flush() }' "$3"
}
has() { # has FILE WHAT STRING...: every fixed string occurs in FILE
	local file="$1" what="$2" want
	shift 2
	[ -s "$file" ] || die "$what: not rendered"
	for want in "$@"; do
		grep -qF -- "$want" "$file" || die "$what lacks: $want"
	done
}
hasnt() { # hasnt FILE WHAT STRING...: no fixed string occurs in FILE
	local file="$1" what="$2" bad
	shift 2
	for bad in "$@"; do
		! grep -qF -- "$bad" "$file" || die "$what must not contain: $bad"
	done
}
agent_dep="Deployment $release"
console_dep="Deployment $release-console"
for mode in helm secret certManager variant; do
	hasnt "$tmp/$mode.yaml" "$mode render" "component: console" "component: postgresql" "--console=" "--state-dir="
done

# console-sqlite: one replica, Recreate, the database on the claim, tokens from Secrets.
f="$tmp/console-sqlite.yaml"
doc Deployment "$release-console" "$f" >"$tmp/c.yaml"
has "$tmp/c.yaml" "console-sqlite: $console_dep" "replicas: 1" "type: Recreate" "- console" "- --listen=:8080" "- --insecure-http" \
	"- --database=sqlite:///var/lib/palisade/palisade.db" "- --admin-token-file=/etc/palisade/console/admin-token" \
	"- --viewer-token-file=/etc/palisade/console/viewer-token" "name: $release-console-admin-token" \
	"name: $release-console-viewer-token" "claimName: $release-console-data" "mountPath: /var/lib/palisade" \
	"path: /healthz" "path: /readyz" "startupProbe:" "- --metrics-bind-address=:9090" "name: metrics" "containerPort: 9090" \
	"readOnlyRootFilesystem: true" "runAsNonRoot: true" "automountServiceAccountToken: false" \
	"- ALL" "type: RuntimeDefault" 'image: "ghcr.io/palisade-dev/palisade:' \
	"- --event-retention=720h" "- --token-rotation-overlap=24h"
hasnt "$tmp/c.yaml" "console-sqlite: $console_dep" "RollingUpdate" "initContainers:" "PALISADE_DATABASE_URL" "podAntiAffinity" "--shutdown-delay"
[ -z "$(doc PodDisruptionBudget "$release-console" "$f")" ] || die "console-sqlite: a PodDisruptionBudget for one replica"
[ "$(grep -c '^  replicas: ' "$tmp/c.yaml")" -eq 1 ] || die "console-sqlite: $console_dep: one replicas field expected"
doc PersistentVolumeClaim "$release-console-data" "$f" >"$tmp/pvc.yaml"
has "$tmp/pvc.yaml" "console-sqlite: PersistentVolumeClaim" "storage: 1Gi" "- ReadWriteOnce" "helm.sh/resource-policy: keep"
doc Service "$release-console" "$f" >"$tmp/svc.yaml"
has "$tmp/svc.yaml" "console-sqlite: Service $release-console" "port: 80" "targetPort: http" "type: ClusterIP" "app.kubernetes.io/component: console"
for t in admin viewer; do
	doc Secret "$release-console-$t-token" "$f" >"$tmp/tok.yaml"
	token="$(field "$t-token" "$tmp/tok.yaml" | base64 -d)"
	[ "${#token}" -eq 43 ] || die "console-sqlite: the generated $t token has ${#token} characters, want 43"
done
# The agent stays standalone.
doc Deployment "$release" "$f" >"$tmp/a.yaml"
has "$tmp/a.yaml" "console-sqlite: $agent_dep" "- --policy=/etc/palisade/policy/policy.yaml" "- --events=/var/lib/palisade/events.jsonl"
has "$f" "console-sqlite render" "name: $release-policy"
# Without persistence: an emptyDir and no claim.
"$helm" template "$release" "$chart" --namespace "$ns" --set console.enabled=true --set console.insecureHttp=true \
	--set console.database.sqlite.persistence.enabled=false >"$tmp/nopvc.yaml"
hasnt "$tmp/nopvc.yaml" "console without persistence" "kind: PersistentVolumeClaim" "claimName:"
doc Deployment "$release-console" "$tmp/nopvc.yaml" | grep -A2 "^        - name: data$" | grep -q "emptyDir: {}" ||
	die "console without persistence: the data volume is not an emptyDir"

# console-postgres-bundled: the URL only in a Secret; a migrate init container;
# the agents managed by this release's console.
f="$tmp/console-postgres-bundled.yaml"
doc Deployment "$release-console" "$f" >"$tmp/c.yaml"
has "$tmp/c.yaml" "console-postgres-bundled: $console_dep" "replicas: 1" "initContainers:" "- name: migrate" "- migrate" \
	"name: PALISADE_DATABASE_URL" "name: $release-postgresql" "key: url"
hasnt "$tmp/c.yaml" "console-postgres-bundled: $console_dep" "type: Recreate" "claimName:" "--database"
[ -z "$(doc PodDisruptionBudget "$release-console" "$f")" ] || die "console-postgres-bundled: a PodDisruptionBudget for one replica"
doc Secret "$release-postgresql" "$f" >"$tmp/pgsecret.yaml"
pg_password="$(field password "$tmp/pgsecret.yaml" | base64 -d)"
[ "${#pg_password}" -ge 32 ] || die "console-postgres-bundled: generated password too short"
[ "$(field url "$tmp/pgsecret.yaml" | base64 -d)" = "postgres://palisade:$pg_password@$release-postgresql.$ns.svc:5432/palisade?sslmode=disable" ] ||
	die "console-postgres-bundled: the Secret's url is not the bundled PostgreSQL's URL with the generated password"
# Neither the URL nor the password in plain text anywhere (the Secret holds them base64-encoded).
hasnt "$f" "console-postgres-bundled render" "postgres://" "$pg_password"
doc StatefulSet "$release-postgresql" "$f" >"$tmp/sts.yaml"
has "$tmp/sts.yaml" "console-postgres-bundled: StatefulSet" "replicas: 1" "serviceName: $release-postgresql-hl" 'image: "postgres:16.' \
	"runAsUser: 70" "fsGroup: 70" "value: /var/lib/postgresql/data/pgdata" '"pg_isready"' "volumeClaimTemplates:" \
	"storage: 8Gi" "readOnlyRootFilesystem: true" "mountPath: /var/run/postgresql" "key: password"
doc Service "$release-postgresql-hl" "$f" | grep -q "clusterIP: None" || die "console-postgres-bundled: headless Service missing"
doc Service "$release-postgresql" "$f" | grep -q "port: 5432" || die "console-postgres-bundled: Service $release-postgresql missing"
doc Deployment "$release" "$f" >"$tmp/a.yaml"
has "$tmp/a.yaml" "console-postgres-bundled: $agent_dep" "- --console=http://$release-console.$ns.svc:80" \
	"- --token-file=/etc/palisade/console-token/token" "- --state-dir=/var/lib/palisade/state" "secretName: palisade-agent-token" \
	"sizeLimit: 320Mi"
has "$tmp/pgsecret.yaml" "console-postgres-bundled: Secret $release-postgresql" "helm.sh/resource-policy: keep"
hasnt "$tmp/a.yaml" "console-postgres-bundled: $agent_dep" "--policy" "--events" "--console-ca-file"
hasnt "$f" "console-postgres-bundled render" "kind: ConfigMap" "kind: PersistentVolumeClaim"

# console-postgres-external: your Secrets, HTTPS, an agent verifying the console's CA.
f="$tmp/console-postgres-external.yaml"
doc Deployment "$release-console" "$f" >"$tmp/c.yaml"
has "$tmp/c.yaml" "console-postgres-external: $console_dep" "name: palisade-console-db" "key: database-url" "- name: migrate" \
	"name: palisade-console-admin" "- --tls-cert-file=/etc/palisade/tls/tls.crt" "secretName: palisade-console-tls" "scheme: HTTPS" \
	'image: "registry.example.com/palisade:0.2.0"' "kubernetes.io/os: linux" "name: TZ" "type: RollingUpdate" \
	"replicas: 2" "podAntiAffinity:" "topologyKey: kubernetes.io/hostname" "- --shutdown-delay=5s" \
	"- --event-retention=0" "- --token-rotation-overlap=72h"
# `helm upgrade --reuse-values` of a release from before these values: no
# flags, the console's defaults (the chart's).
"$helm" template "$release" "$chart" --namespace "$ns" $external_args --set console.eventRetention=null \
	--set console.tokenRotationOverlap=null | doc Deployment "$release-console" /dev/stdin >"$tmp/c-old.yaml"
hasnt "$tmp/c-old.yaml" "console-postgres-external without the retention values: $console_dep" "--event-retention" "--token-rotation-overlap"
doc PodDisruptionBudget "$release-console" "$f" >"$tmp/pdb.yaml"
has "$tmp/pdb.yaml" "console-postgres-external: PodDisruptionBudget $release-console" "minAvailable: 1" \
	"app.kubernetes.io/component: console"
# Any number on PostgreSQL; your own affinity replaces the spread.
"$helm" template "$release" "$chart" --namespace "$ns" $external_args --set console.replicaCount=3 \
	--set console.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0].key=pool \
	--set console.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0].operator=Exists \
	>"$tmp/three.yaml"
doc Deployment "$release-console" "$tmp/three.yaml" >"$tmp/c3.yaml"
has "$tmp/c3.yaml" "console on PostgreSQL with replicaCount 3" "replicas: 3" "key: pool"
hasnt "$tmp/c3.yaml" "console on PostgreSQL with replicaCount 3" "podAntiAffinity"
hasnt "$f" "console-postgres-external render" "kind: StatefulSet" "kind: PersistentVolumeClaim" "$release-console-admin-token" \
	"$release-postgresql" "--viewer-token-file" "--insecure-http"
doc Deployment "$release" "$f" >"$tmp/a.yaml"
has "$tmp/a.yaml" "console-postgres-external: $agent_dep" "- --console=https://$release-console.$ns.svc:443" \
	"- --console-ca-file=/etc/palisade/console-ca/ca.crt" "secretName: palisade-console-ca"

# managed: an external console.
f="$tmp/managed.yaml"
doc Deployment "$release" "$f" >"$tmp/a.yaml"
has "$tmp/a.yaml" "managed: $agent_dep" "- --console=https://console.example.com:8443" "- --token-file=/etc/palisade/console-token/token" \
	"- --state-dir=/var/lib/palisade/state" "- --console-ca-file=/etc/palisade/console-ca/ca.crt" "secretName: palisade-agent-token" \
	"secretName: palisade-console-ca" "- key: token" "sizeLimit: 1Gi" "- --tls-cert-file=/etc/palisade/tls/tls.crt"
hasnt "$tmp/a.yaml" "managed: $agent_dep" "--policy" "--events" "name: policy" "configMap:"
hasnt "$f" "managed render" "kind: ConfigMap" "component: console" "component: postgresql"
log "rendered values checked (certificates, variant options, PodDisruptionBudget, console, PostgreSQL, managed agents)"

# Metrics on their own port, probes, PriorityClass, ServiceMonitors and
# NetworkPolicies (the ci/ renders).
count_kind() { grep -c "^kind: $1$" "$2" || true; }
f="$tmp/ci-default.yaml"
doc Deployment "$release" "$f" >"$tmp/a.yaml"
has "$tmp/a.yaml" "ci-default: $agent_dep" "- --metrics-bind-address=:9090" "name: metrics" "containerPort: 9090" \
	"startupProbe:" "priorityClassName: system-cluster-critical"
doc Service "$release-metrics" "$f" >"$tmp/msvc.yaml"
has "$tmp/msvc.yaml" "ci-default: Service $release-metrics" "port: 9090" "targetPort: metrics" "palisade.dev/service: metrics" \
	"app.kubernetes.io/component: agent"
hasnt "$f" "ci-default render" "kind: ServiceMonitor" "kind: NetworkPolicy" "component: console" "kind: DaemonSet" \
	"component: sensor"
f="$tmp/ci-minimal.yaml"
hasnt "$f" "ci-minimal render" "--metrics-bind-address" "$release-metrics" "priorityClassName:" "kind: ClusterRole" \
	"kind: PodDisruptionBudget" "kind: ServiceMonitor" "kind: NetworkPolicy"
f="$tmp/ci-managed-console.yaml"
doc Deployment "$release" "$f" >"$tmp/a.yaml"
has "$tmp/a.yaml" "ci-managed-console: $agent_dep" "- --console=http://$release-console.$ns.svc:80" "- --cluster-name=prod-eu"
doc Service "$release-console-metrics" "$f" >"$tmp/msvc.yaml"
has "$tmp/msvc.yaml" "ci-managed-console: Service $release-console-metrics" "port: 9090" "app.kubernetes.io/component: console"
f="$tmp/ci-postgres-external.yaml"
doc Deployment "$release-console" "$f" >"$tmp/c.yaml"
# HTTPS probes on the UI/API port; metrics stay plain HTTP on their port.
has "$tmp/c.yaml" "ci-postgres-external: $console_dep" "scheme: HTTPS" "path: /readyz" "- --metrics-bind-address=:9090" \
	"- --tls-cert-file=/etc/palisade/tls/tls.crt" "key: database-url"
hasnt "$tmp/c.yaml" "ci-postgres-external: $console_dep" "--oidc-" "name: oidc"
f="$tmp/ci-everything.yaml"
# Single sign-on: the flags, each group its own CSV-quoted flag, the client
# secret and the provider's CA from Secrets as files.
doc Deployment "$release-console" "$f" >"$tmp/c.yaml"
has "$tmp/c.yaml" "ci-everything: $console_dep" '- "--oidc-issuer-url=https://dex.example.com"' '- "--oidc-client-id=palisade"' \
	"- --oidc-client-secret-file=/etc/palisade/oidc/client-secret" \
	'- "--oidc-redirect-url=https://palisade.example.com/login/oidc/callback"' '- "--oidc-scopes=openid,profile,email,groups"' \
	'- "--oidc-admin-groups=\"cn=palisade admins,ou=groups,dc=example,dc=com\""' '- "--oidc-viewer-groups=\"sec-team\""' \
	'- "--oidc-provider-name=Dex"' "- --oidc-ca-file=/etc/palisade/oidc/ca.crt" "mountPath: /etc/palisade/oidc" \
	"name: palisade-oidc" "path: client-secret" "name: dex-ca"
[ "$(count_kind ServiceMonitor "$f")" -eq 2 ] || die "ci-everything: want 2 ServiceMonitors (agent, console)"
[ "$(count_kind NetworkPolicy "$f")" -eq 3 ] || die "ci-everything: want 3 NetworkPolicies (agent, console, postgresql)"
doc ServiceMonitor "$release" "$f" >"$tmp/sm.yaml"
has "$tmp/sm.yaml" "ci-everything: ServiceMonitor $release" "apiVersion: monitoring.coreos.com/v1" "release: prometheus" \
	"palisade.dev/service: metrics" "port: metrics" "interval: 15s" "app.kubernetes.io/component: agent"
doc ServiceMonitor "$release-console" "$f" | grep -q "app.kubernetes.io/component: console" ||
	die "ci-everything: ServiceMonitor $release-console does not select the console"
doc NetworkPolicy "$release" "$f" >"$tmp/np.yaml"
has "$tmp/np.yaml" "ci-everything: NetworkPolicy $release" "- Ingress" "port: https" "cidr: 10.0.0.0/8" "port: metrics" \
	"kubernetes.io/metadata.name: monitoring" "app.kubernetes.io/component: sensor"
doc NetworkPolicy "$release-console" "$f" >"$tmp/np.yaml"
has "$tmp/np.yaml" "ci-everything: NetworkPolicy $release-console" "port: http" "port: metrics" "app.kubernetes.io/component: console"
doc NetworkPolicy "$release-postgresql" "$f" >"$tmp/np.yaml"
has "$tmp/np.yaml" "ci-everything: NetworkPolicy $release-postgresql" "port: postgresql" "app.kubernetes.io/component: console" \
	"app.kubernetes.io/component: postgresql"
# The syscall sensor: one DaemonSet in the host's PID namespace, root with
# exactly its capabilities and never privileged, posting to the agent's
# /falco with the runtime token and only the CA of the agent's TLS Secret;
# its pods carry component sensor, never the agent's selector labels.
[ "$(count_kind DaemonSet "$f")" -eq 1 ] || die "ci-everything: want 1 DaemonSet (the sensor)"
sensor_ds="DaemonSet $release-sensor"
svcenv=$(echo "$release" | tr 'a-z-' 'A-Z_') # the agent Service's variables in every container
doc DaemonSet "$release-sensor" "$f" >"$tmp/ds.yaml"
has "$tmp/ds.yaml" "ci-everything: $sensor_ds" "hostPID: true" "automountServiceAccountToken: false" "- sensor" \
	"runAsUser: 0" "runAsNonRoot: false" "privileged: false" "allowPrivilegeEscalation: false" "readOnlyRootFilesystem: true" \
	'drop: ["ALL"]' "- BPF" "- PERFMON" "- SYS_PTRACE" "- DAC_READ_SEARCH" "type: Unconfined" \
	"app.kubernetes.io/component: sensor" "- --hostname=\$(NODE_NAME)" "fieldPath: spec.nodeName" \
	"- --cri-endpoint=/host/run/containerd/containerd.sock" "path: /run/containerd/containerd.sock" "type: Socket" \
	"- --agent-url=https://\$(${svcenv}_SERVICE_HOST):\$(${svcenv}_SERVICE_PORT_HTTPS)/falco" \
	"- --agent-server-name=$release.$ns.svc" "- --agent-token-file=/etc/palisade/runtime-token/token" \
	"- --agent-ca-file=/etc/palisade/agent-ca/ca.crt" "secretName: $release-runtime-token" "secretName: $release-tls" \
	"- key: ca.crt" "- --rules=/etc/palisade/sensor-rules/shell_rules.yaml" "name: $release-sensor-rules" "checksum/rules: " \
	"- --ring-buffer-bytes=8388608" "- --metrics-bind-address=:9464" "containerPort: 9464" "path: /healthz" \
	"- operator: Exists" "kubernetes.io/arch: amd64" "priorityClassName: system-node-critical" 'image: "ghcr.io/palisade-dev/palisade:'
hasnt "$tmp/ds.yaml" "ci-everything: $sensor_ds" "privileged: true" "app.kubernetes.io/component: agent" "- key: tls.key" \
	"- SYS_ADMIN" "- SYS_RESOURCE" "hostNetwork:" "--quiet"
doc ConfigMap "$release-sensor-rules" "$f" | grep -q "shell_rules.yaml: " || die "ci-everything: ConfigMap $release-sensor-rules lacks shell_rules.yaml"
# certificates.mode=secret: the CA comes from certificates.caBundle, not the Secret.
# shellcheck disable=SC2046
"$helm" template "$release" "$chart" --namespace "$ns" $(mode_args secret) --set sensor.enabled=true >"$tmp/sensor-secret.yaml"
doc ConfigMap "$release-sensor-ca" "$tmp/sensor-secret.yaml" | grep -q "BEGIN CERTIFICATE" ||
	die "secret mode with the sensor: no ConfigMap $release-sensor-ca holding certificates.caBundle"
doc DaemonSet "$release-sensor" "$tmp/sensor-secret.yaml" >"$tmp/ds.yaml"
has "$tmp/ds.yaml" "secret mode: $sensor_ds" "name: $release-sensor-ca"
hasnt "$tmp/ds.yaml" "secret mode: $sensor_ds" "secretName: palisade-webhook-tls" "--rules="
log "ci renders checked (metrics Services, probes, PriorityClass, ServiceMonitors, NetworkPolicies, syscall sensor)"

# --- 5. server-side dry run.
kubectl create namespace "$ns" --dry-run=client -o yaml | kubectl apply -f - >/dev/null ||
	die "could not create namespace $ns"

split_crds() { # in out-kept out-skipped: split out the documents whose CRDs the control plane lacks
	: >"$2"
	: >"$3"
	awk -v keep="$2" -v skip="$3" '
		function flush() { if (doc ~ /(^|\n)apiVersion: (cert-manager\.io|monitoring\.coreos\.com)\//) printf "%s", doc > skip; else printf "%s", doc > keep; doc = "" }
		/^---$/ { flush() }
		{ doc = doc $0 "\n" }
		END { flush() }' "$1"
}
kinds() { # "Kind xN, ..." of the top-level objects of a manifest
	grep -E '^kind: ' "$1" | awk '{print $2}' | sort | uniq -c | awk '{printf "%s%s x%s", sep, $2, $1; sep=", "}'
}
total=0
for mode in $modes $ci_modes; do
	split_crds "$tmp/$mode.yaml" "$tmp/$mode.kept.yaml" "$tmp/$mode.crd.yaml"
	file="$tmp/$mode.kept.yaml"
	skipped="$(grep -c '^kind: ' "$tmp/$mode.crd.yaml" || true)"
	if [ "$mode" = certManager ]; then
		[ "$skipped" -ge 2 ] || die "certManager: expected cert-manager.io objects, found $skipped"
	fi
	if [ "$skipped" -gt 0 ]; then
		log "$mode: not sent (their CRDs are not on the control plane): $(kinds "$tmp/$mode.crd.yaml")"
	fi
	want="$(grep -c '^kind: ' "$file")"
	kubectl apply --dry-run=server -f "$file" >"$tmp/apply.log" 2>&1 ||
		{ cat "$tmp/apply.log" >&2; die "kubectl apply --dry-run=server rejected the $mode render"; }
	got="$(grep -c '(server dry run)$' "$tmp/apply.log" || true)"
	[ "$got" -eq "$want" ] || { cat "$tmp/apply.log" >&2; die "$mode: $got of $want objects accepted"; }
	total=$((total + got))
	log "dry-run=server ok ($mode): $got objects: $(kinds "$file")"
done

# --- 6. upgrade path: the chart's generated Secrets are reused (lookup).
create_secret() { # create the Secret named $1, as rendered in file $2, for this check only
	if kubectl -n "$ns" get secret "$1" >/dev/null 2>&1; then
		die "secret $ns/$1 already exists; this check creates and deletes it itself"
	fi
	cleanup_secrets="$cleanup_secrets $1"
	doc Secret "$1" "$2" | grep -q "^kind: Secret$" || die "$2 renders no Secret $1"
	doc Secret "$1" "$2" | kubectl apply -f - >/dev/null || die "could not create the Secret $1 for the upgrade check"
}
render_with_lookup() { # out helm-args...: helm template --dry-run=server (lookup sees the cluster)
	local out="$1"
	shift
	"$helm" template "$release" "$chart" --namespace "$ns" --dry-run=server "$@" >"$out" 2>"$tmp/err.log" ||
		{ cat "$tmp/err.log" >&2; die "helm template --dry-run=server $* failed"; }
}
delete_secrets() {
	# shellcheck disable=SC2086
	kubectl -n "$ns" delete secret $cleanup_secrets >/dev/null
	cleanup_secrets=""
}

# The helm mode's CA and serving certificate.
secret_name="$release-tls"
"$helm" template "$release" "$chart" --namespace "$ns" --show-only templates/webhook.yaml >"$tmp/webhook.yaml"
create_secret "$secret_name" "$tmp/webhook.yaml"
first_ca="$(field ca.crt "$tmp/webhook.yaml")"
render_with_lookup "$tmp/webhook2.yaml" --show-only templates/webhook.yaml
[ "$(field caBundle "$tmp/webhook2.yaml")" = "$first_ca" ] ||
	die "helm mode: with the Secret present, the caBundle was regenerated instead of reused (lookup)"
[ "$(field tls.crt "$tmp/webhook2.yaml")" = "$(field tls.crt "$tmp/webhook.yaml")" ] ||
	die "helm mode: with the Secret present, the serving certificate was regenerated"
delete_secrets
log "helm mode: an upgrade reuses the existing Secret's CA and certificate"

# The console's admin token (two renders without the Secret differ, so the
# equality below is lookup's doing).
admin_secret="$release-console-admin-token"
"$helm" template "$release" "$chart" --namespace "$ns" --set console.enabled=true --set console.insecureHttp=true --show-only templates/console-secrets.yaml >"$tmp/tokens.yaml"
"$helm" template "$release" "$chart" --namespace "$ns" --set console.enabled=true --set console.insecureHttp=true --show-only templates/console-secrets.yaml >"$tmp/tokens-fresh.yaml"
first_token="$(field admin-token "$tmp/tokens.yaml")"
if [ -z "$first_token" ] || [ "$first_token" = "$(field admin-token "$tmp/tokens-fresh.yaml")" ]; then
	die "console: two renders without the Secret should generate two different admin tokens"
fi
create_secret "$admin_secret" "$tmp/tokens.yaml"
render_with_lookup "$tmp/tokens2.yaml" --set console.enabled=true --set console.insecureHttp=true --show-only templates/console-secrets.yaml
[ "$(field admin-token "$tmp/tokens2.yaml")" = "$first_token" ] ||
	die "console: with the Secret present, the admin token was regenerated instead of reused (lookup)"
delete_secrets
log "console: an upgrade keeps the generated admin token"

# The bundled PostgreSQL's password, and the console's URL built from it.
pg_secret="$release-postgresql"
# shellcheck disable=SC2086
"$helm" template "$release" "$chart" --namespace "$ns" $console_pg --set postgresql.enabled=true --show-only templates/postgresql.yaml >"$tmp/pg.yaml"
create_secret "$pg_secret" "$tmp/pg.yaml"
# shellcheck disable=SC2086
render_with_lookup "$tmp/pg2.yaml" $console_pg --set postgresql.enabled=true --show-only templates/postgresql.yaml
doc Secret "$pg_secret" "$tmp/pg.yaml" >"$tmp/pgs1.yaml"
doc Secret "$pg_secret" "$tmp/pg2.yaml" >"$tmp/pgs2.yaml"
[ "$(field password "$tmp/pgs2.yaml")" = "$(field password "$tmp/pgs1.yaml")" ] ||
	die "postgresql: with the Secret present, the password was regenerated instead of reused (lookup)"
[ "$(field url "$tmp/pgs2.yaml")" = "$(field url "$tmp/pgs1.yaml")" ] ||
	die "postgresql: with the Secret present, the console's database URL changed"
delete_secrets
log "postgresql: an upgrade keeps the generated password and the console's URL"

log "OK: helm $helm_version; lint and dry run of $(echo $modes $ci_modes | wc -w) renders ($modes$ci_modes); $total objects accepted by the API server"
