{{/* Chart name. */}}
{{- define "palisade.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Full name: the prefix of every resource name. Truncated to 52 characters so
suffixes such as "-selfsigned" stay within the 63-character limit.
*/}}
{{- define "palisade.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 52 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 52 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 52 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "palisade.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Selector labels: stable across upgrades (never add version labels here). */}}
{{- define "palisade.selectorLabels" -}}
app.kubernetes.io/name: {{ include "palisade.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: agent
{{- end }}

{{- define "palisade.consoleSelectorLabels" -}}
app.kubernetes.io/name: {{ include "palisade.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: console
{{- end }}

{{- define "palisade.postgresqlSelectorLabels" -}}
app.kubernetes.io/name: {{ include "palisade.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: postgresql
{{- end }}

{{/*
The sensor's pods: component sensor, so neither the agent's selectors (its
Service, metrics Service, NetworkPolicy, PodDisruptionBudget) nor the
sensor's own select the other's pods.
*/}}
{{- define "palisade.sensorSelectorLabels" -}}
app.kubernetes.io/name: {{ include "palisade.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: sensor
{{- end }}

{{/* Labels every object carries besides its selector labels. */}}
{{- define "palisade.commonLabels" -}}
helm.sh/chart: {{ include "palisade.chart" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: palisade
{{- end }}

{{- define "palisade.consoleLabels" -}}
{{ include "palisade.consoleSelectorLabels" . }}
{{ include "palisade.commonLabels" . }}
{{- end }}

{{- define "palisade.postgresqlLabels" -}}
{{ include "palisade.postgresqlSelectorLabels" . }}
{{ include "palisade.commonLabels" . }}
{{- end }}

{{- define "palisade.sensorLabels" -}}
{{ include "palisade.sensorSelectorLabels" . }}
{{ include "palisade.commonLabels" . }}
{{- end }}

{{- define "palisade.labels" -}}
helm.sh/chart: {{ include "palisade.chart" . }}
{{ include "palisade.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: palisade
{{- end }}

{{- define "palisade.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "palisade.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "palisade.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}
{{- end }}

{{/*
The console's image: console.image, each empty field falling back to image.
The agent's digest is inherited only when neither repository nor tag is
overridden.
*/}}
{{- define "palisade.consoleImage" -}}
{{- $c := .Values.console.image }}
{{- $repo := default .Values.image.repository $c.repository }}
{{- $digest := $c.digest }}
{{- if and (not $digest) (not $c.repository) (not $c.tag) }}
{{- $digest = .Values.image.digest }}
{{- end }}
{{- if $digest }}
{{- printf "%s@%s" $repo $digest }}
{{- else }}
{{- printf "%s:%s" $repo (default (default .Chart.AppVersion .Values.image.tag) $c.tag) }}
{{- end }}
{{- end }}

{{/* Name of the ValidatingWebhookConfiguration: palisade-<release>. */}}
{{- define "palisade.webhookConfigurationName" -}}
{{- printf "palisade-%s" .Release.Name | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "palisade.policyConfigMapName" -}}
{{- default (printf "%s-policy" (include "palisade.fullname" .)) .Values.existingPolicyConfigMap }}
{{- end }}

{{/* The Secret holding tls.crt and tls.key, for every certificates.mode. */}}
{{- define "palisade.tlsSecretName" -}}
{{- if eq .Values.certificates.mode "secret" }}
{{- required "certificates.existingSecret is required when certificates.mode is secret" .Values.certificates.existingSecret }}
{{- else }}
{{- printf "%s-tls" (include "palisade.fullname" .) }}
{{- end }}
{{- end }}

{{/* DNS names the serving certificate must cover. */}}
{{- define "palisade.serviceDNSNames" -}}
{{- $svc := include "palisade.fullname" . }}
{{- $ns := .Release.Namespace }}
{{- list $svc (printf "%s.%s" $svc $ns) (printf "%s.%s.svc" $svc $ns) (printf "%s.%s.svc.%s" $svc $ns .Values.certificates.clusterDomain) | toJson }}
{{- end }}

{{/* The console's Deployment and Service. */}}
{{- define "palisade.consoleName" -}}
{{- printf "%s-console" (include "palisade.fullname" .) }}
{{- end }}

{{/*
The bundled PostgreSQL's StatefulSet, Service and Secret. At most 52
characters: a StatefulSet's name goes into its pods' controller-revision-hash
label (63 characters at most) with a hash suffix.
*/}}
{{- define "palisade.postgresqlName" -}}
{{- printf "%s-postgresql" (include "palisade.fullname" . | trunc 41 | trimSuffix "-") }}
{{- end }}

{{- define "palisade.adminTokenSecretName" -}}
{{- default (printf "%s-admin-token" (include "palisade.consoleName" .)) .Values.console.adminToken.existingSecret }}
{{- end }}

{{- define "palisade.viewerTokenSecretName" -}}
{{- default (printf "%s-viewer-token" (include "palisade.consoleName" .)) .Values.console.viewerToken.existingSecret }}
{{- end }}

{{/* Secret and key of the console's PostgreSQL URL ({"name", "key"} as JSON). */}}
{{- define "palisade.databaseURLSecret" -}}
{{- if .Values.postgresql.enabled }}
{{- dict "name" (include "palisade.postgresqlName" .) "key" "url" | toJson }}
{{- else }}
{{- dict "name" .Values.console.database.postgres.existingSecret "key" .Values.console.database.postgres.key | toJson }}
{{- end }}
{{- end }}

{{/* "true" when the agent is managed by a console (agent.console.tokenSecret). */}}
{{- define "palisade.managed" -}}
{{- if .Values.agent.console.tokenSecret }}true{{ end }}
{{- end }}

{{/* The console URL a managed agent uses. */}}
{{- define "palisade.agentConsoleURL" -}}
{{- if .Values.agent.console.url }}
{{- .Values.agent.console.url }}
{{- else if .Values.console.enabled }}
{{- $scheme := ternary "https" "http" (not (empty .Values.console.tls.existingSecret)) }}
{{- printf "%s://%s.%s.svc:%d" $scheme (include "palisade.consoleName" .) .Release.Namespace (int .Values.console.service.port) }}
{{- end }}
{{- end }}

{{/*
A group list as --oidc-*-groups flags, one group each, quoted as a CSV
field (the flag splits on commas; an LDAP DN holds some).
*/}}
{{- define "palisade.oidcGroupArgs" -}}
{{- range .groups }}
- {{ printf "--oidc-%s-groups=\"%s\"" $.role (replace "\"" "\"\"" .) | quote }}
{{- end }}
{{- end }}

{{/* Fails the render on contradictory values. */}}
{{- define "palisade.validate" -}}
{{- $modes := list "helm" "certManager" "secret" }}
{{- if not (has .Values.certificates.mode $modes) }}
{{- fail (printf "certificates.mode must be one of helm, certManager, secret (got %q)" .Values.certificates.mode) }}
{{- end }}
{{- if not (has .Values.webhook.failurePolicy (list "Ignore" "Fail")) }}
{{- fail (printf "webhook.failurePolicy must be Ignore or Fail (got %q)" .Values.webhook.failurePolicy) }}
{{- end }}
{{- if eq .Values.certificates.mode "secret" }}
{{- $_ := required "certificates.existingSecret is required when certificates.mode is secret" .Values.certificates.existingSecret }}
{{- $ca := required "certificates.caBundle (base64 PEM) is required when certificates.mode is secret" .Values.certificates.caBundle }}
{{- if not (contains "BEGIN CERTIFICATE" (b64dec $ca)) }}
{{- fail "certificates.caBundle must be the base64 encoding of a PEM certificate (-----BEGIN CERTIFICATE-----)" }}
{{- end }}
{{- end }}
{{- $managed := include "palisade.managed" . }}
{{- $ac := .Values.agent.console }}
{{- if and (not $managed) (not .Values.existingPolicyConfigMap) (not .Values.policy) }}
{{- fail "policy (a Palisade policy document) or existingPolicyConfigMap is required" }}
{{- end }}
{{- if and $ac.url (not $managed) }}
{{- fail "agent.console.url needs agent.console.tokenSecret: a Secret with the cluster's agent token (register the cluster in the console first; see the chart README)" }}
{{- end }}
{{- if and $ac.url (not (regexMatch "^https?://[^/]+" $ac.url)) }}
{{- fail (printf "agent.console.url must be an http:// or https:// URL (got %q)" $ac.url) }}
{{- end }}
{{- if and $managed (not $ac.url) (not .Values.console.enabled) }}
{{- fail "agent.console.tokenSecret needs agent.console.url, or console.enabled=true to use this release's console" }}
{{- end }}
{{- if and $managed .Values.existingPolicyConfigMap }}
{{- fail "existingPolicyConfigMap is for a standalone agent: a managed agent (agent.console.tokenSecret) takes its policy from the console" }}
{{- end }}
{{- if and $ac.caSecret (not $managed) }}
{{- fail "agent.console.caSecret is only used by a managed agent (set agent.console.tokenSecret)" }}
{{- end }}
{{- if and $managed $ac.caSecret (not (hasPrefix "https://" (include "palisade.agentConsoleURL" .))) }}
{{- fail "agent.console.caSecret needs an https:// console URL (agent.console.url, or console.tls.existingSecret for this release's console)" }}
{{- end }}
{{- if and $managed (not $ac.tokenSecretKey) }}
{{- fail "agent.console.tokenSecretKey must not be empty" }}
{{- end }}
{{- $c := .Values.console }}
{{- if not (has $c.database.type (list "sqlite" "postgres")) }}
{{- fail (printf "console.database.type must be sqlite or postgres (got %q)" $c.database.type) }}
{{- end }}
{{- if and (ne $c.database.type "postgres") (gt (int (include "palisade.consoleReplicas" .)) 1) }}
{{- fail "console.replicaCount above 1 needs console.database.type=postgres: SQLite is the single-process store (one pod opens the file)" }}
{{- end }}
{{- if .Values.postgresql.enabled }}
{{- if not $c.enabled }}
{{- fail "postgresql.enabled needs console.enabled=true: the bundled PostgreSQL only serves this release's console" }}
{{- end }}
{{- if ne $c.database.type "postgres" }}
{{- fail "postgresql.enabled needs console.database.type=postgres" }}
{{- end }}
{{- if $c.database.postgres.existingSecret }}
{{- fail "console.database.postgres.existingSecret and postgresql.enabled are exclusive: use your PostgreSQL or the bundled one" }}
{{- end }}
{{- end }}
{{- if and $c.enabled (eq $c.database.type "postgres") (not .Values.postgresql.enabled) }}
{{- if not $c.database.postgres.existingSecret }}
{{- fail "console.database.type=postgres needs the database URL: console.database.postgres.existingSecret (a Secret holding postgres://...) or postgresql.enabled=true (bundled, for evaluation)" }}
{{- end }}
{{- if not $c.database.postgres.key }}
{{- fail "console.database.postgres.key must not be empty" }}
{{- end }}
{{- end }}
{{- if and $c.enabled $c.tls.existingSecret $c.insecureHttp }}
{{- fail "console.insecureHttp and console.tls.existingSecret are exclusive: the console serves HTTPS with the Secret, or plain HTTP" }}
{{- end }}
{{- if and $c.enabled (not $c.tls.existingSecret) (not $c.insecureHttp) }}
{{- fail "the console needs console.tls.existingSecret (a kubernetes.io/tls Secret: it serves HTTPS), or console.insecureHttp=true to serve plain HTTP (inside the cluster, or behind a TLS-terminating Ingress: then set console.trustedProxies)" }}
{{- end }}
{{- if and $c.enabled (hasKey $c "eventRetention") }}
{{- $d := toString $c.eventRetention }}
{{- if not (regexMatch (printf "^(0|%s)$" (include "palisade.durationPattern" .)) $d) }}
{{- fail (printf "console.eventRetention must be a duration such as 720h, or 0 (got %q)" $d) }}
{{- end }}
{{- $s := include "palisade.durationSeconds" $d | float64 }}
{{- if and (gt $s 0.0) (lt $s 86400.0) }}
{{- fail (printf "console.eventRetention %s: want 0 (keep every event) or at least 24h (events expire by whole days)" $d) }}
{{- end }}
{{- end }}
{{- if and $c.enabled (hasKey $c "tokenRotationOverlap") }}
{{- $d := toString $c.tokenRotationOverlap }}
{{- if not (regexMatch (printf "^%s$" (include "palisade.durationPattern" .)) $d) }}
{{- fail (printf "console.tokenRotationOverlap must be a duration such as 24h (got %q)" $d) }}
{{- end }}
{{- $s := include "palisade.durationSeconds" $d | float64 }}
{{- if or (le $s 0.0) (gt $s 2592000.0) }}
{{- fail (printf "console.tokenRotationOverlap %s: want more than 0 and at most 720h (to stop an old token at once, rotate with no overlap)" $d) }}
{{- end }}
{{- end }}
{{- $oidc := $c.oidc | default dict }}
{{- if and $c.enabled $oidc.enabled }}
{{- $_ := required "console.oidc.enabled needs console.oidc.issuerURL: the provider's issuer URL" $oidc.issuerURL }}
{{- $_ := required "console.oidc.enabled needs console.oidc.clientID: the console's client ID at the provider" $oidc.clientID }}
{{- $_ := required "console.oidc.enabled needs console.oidc.clientSecret.existingSecret: a Secret holding the client secret" $oidc.clientSecret.existingSecret }}
{{- $_ := required "console.oidc.clientSecret.key must not be empty" $oidc.clientSecret.key }}
{{- $_ := required "console.oidc.enabled needs console.oidc.redirectURL: the console's external URL + /login/oidc/callback" $oidc.redirectURL }}
{{- if not (regexMatch "^https?://[^/]+" $oidc.issuerURL) }}
{{- fail (printf "console.oidc.issuerURL must be an http:// or https:// URL (got %q)" $oidc.issuerURL) }}
{{- end }}
{{- if not (regexMatch "^https?://[^/]+/login/oidc/callback$" $oidc.redirectURL) }}
{{- fail (printf "console.oidc.redirectURL must be the console's external URL + /login/oidc/callback (got %q)" $oidc.redirectURL) }}
{{- end }}
{{- if not (has "openid" $oidc.scopes) }}
{{- fail "console.oidc.scopes must include openid" }}
{{- end }}
{{- if and (empty $oidc.adminGroups) (empty $oidc.viewerGroups) }}
{{- fail "console.oidc.enabled needs console.oidc.adminGroups or console.oidc.viewerGroups: without them nobody can log in with single sign-on" }}
{{- end }}
{{- end }}
{{- if and (include "palisade.sensorEnabled" .) (not .Values.runtime.enabled) }}
{{- fail "sensor.enabled needs runtime.enabled=true: the sensor posts its alerts to the agent's /falco, which only the runtime intake serves" }}
{{- end }}
{{- if and (include "palisade.sensorEnabled" .) (not (hasKey .Values.sensor "metricsPort")) }}
{{- fail "sensor.enabled with the values of a release made before the chart had a sensor (helm upgrade --reuse-values keeps that chart's defaults): upgrade with --reset-then-reuse-values instead" }}
{{- end }}
{{- end }}

{{/* A Go duration (time.ParseDuration's form, unsigned): "720h", "1h30m". */}}
{{- define "palisade.durationPattern" -}}
([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+
{{- end }}

{{/*
The seconds of a Go duration that matches palisade.durationPattern, for
bounds checked at render time (Helm parses no durations).
*/}}
{{- define "palisade.durationSeconds" -}}
{{- $unit := dict "ns" 1e-9 "us" 1e-6 "µs" 1e-6 "ms" 1e-3 "s" 1.0 "m" 60.0 "h" 3600.0 }}
{{- $total := 0.0 }}
{{- range regexFindAll "[0-9.]+(ns|us|µs|ms|s|m|h)" . -1 }}
{{- $u := regexFind "(ns|us|µs|ms|s|m|h)$" . }}
{{- $total = addf $total (mulf (trimSuffix $u .) (get $unit $u)) }}
{{- end }}
{{- $total }}
{{- end }}

{{/*
"true" when the syscall sensor is deployed. `helm upgrade --reuse-values`
from a release made before the sensor existed reuses values without a
sensor section.
*/}}
{{- define "palisade.sensorEnabled" -}}
{{- if (.Values.sensor | default dict).enabled }}true{{ end }}
{{- end }}

{{/* The sensor's DaemonSet, rules ConfigMap and CA ConfigMap. */}}
{{- define "palisade.sensorName" -}}
{{- printf "%s-sensor" (include "palisade.fullname" .) }}
{{- end }}

{{/*
The Secret holding the runtime intake token.
*/}}
{{- define "palisade.admissionClientCASecretName" -}}
{{- default (printf "%s-apiserver-client" (include "palisade.fullname" .)) .Values.webhook.clientAuth.caSecret -}}
{{- end -}}

{{- define "palisade.runtimeTokenSecretName" -}}
{{- default (printf "%s-runtime-token" (include "palisade.fullname" .)) .Values.runtime.token.existingSecret -}}
{{- end -}}

{{/*
agent.shutdownDelaySeconds, 5 when the values lack it: `helm upgrade
--reuse-values` from a release made before the value existed reuses the old
values, without it.
*/}}
{{- define "palisade.shutdownDelay" -}}
{{- if hasKey .Values.agent "shutdownDelaySeconds" }}{{ .Values.agent.shutdownDelaySeconds }}{{ else }}5{{ end }}
{{- end }}

{{/*
The console's replica count: console.replicaCount, or when it is 0, 2 on an
external PostgreSQL and 1 otherwise (SQLite, or the bundled single-pod
PostgreSQL meant for evaluation).
*/}}
{{- define "palisade.consoleReplicas" -}}
{{- $c := .Values.console -}}
{{- $n := int ($c.replicaCount | default 0) -}}
{{- if eq $n 0 -}}
{{- $n = ternary 2 1 (and (eq $c.database.type "postgres") (not .Values.postgresql.enabled)) -}}
{{- end -}}
{{- $n -}}
{{- end }}
