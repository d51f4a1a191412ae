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
{{- if and (not .Values.existingPolicyConfigMap) (not .Values.policy) }}
{{- fail "policy (a Palisade policy document) or existingPolicyConfigMap is required" }}
{{- end }}
{{- end }}
