{{/* Chart name, truncated to the 63 characters of a DNS label. */}}
{{- define "runtime-guard.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Full name: release name, plus the chart name unless the release name already has it. */}}
{{- define "runtime-guard.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "runtime-guard.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "runtime-guard.selectorLabels" -}}
app.kubernetes.io/name: {{ include "runtime-guard.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "runtime-guard.labels" -}}
helm.sh/chart: {{ include "runtime-guard.chart" . }}
{{ include "runtime-guard.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: runtime-guard
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{- define "runtime-guard.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "runtime-guard.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "runtime-guard.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}
{{- end }}

{{/* The Secret holding the serving certificate (tls.crt, tls.key). */}}
{{- define "runtime-guard.tlsSecretName" -}}
{{- if .Values.certManager.enabled }}
{{- printf "%s-tls" (include "runtime-guard.fullname" .) }}
{{- else }}
{{- .Values.tls.existingSecret }}
{{- end }}
{{- end }}

{{/* The Service's DNS names, for the serving certificate. */}}
{{- define "runtime-guard.serviceDNSNames" -}}
{{- $svc := include "runtime-guard.fullname" . -}}
{{- $ns := .Release.Namespace -}}
- {{ $svc }}
- {{ printf "%s.%s" $svc $ns }}
- {{ printf "%s.%s.svc" $svc $ns }}
- {{ printf "%s.%s.svc.%s" $svc $ns .Values.clusterDomain }}
{{- end }}

{{/*
Refuses a TLS setup that cannot work, with a message that says what to set. Called by every
template that depends on it, so `--show-only` of one template still checks.
*/}}
{{- define "runtime-guard.validateTLS" -}}
{{- if and .Values.certManager.enabled .Values.tls.existingSecret }}
{{- fail "certManager.enabled and tls.existingSecret are two ways to get the serving certificate: set certManager.enabled=false to use tls.existingSecret" }}
{{- end }}
{{- if not (or .Values.certManager.enabled .Values.tls.existingSecret) }}
{{- fail "no serving certificate: set certManager.enabled=true (cert-manager installed) or tls.existingSecret with tls.caBundle" }}
{{- end }}
{{- if and (not .Values.certManager.enabled) (not (or .Values.webhook.caBundle .Values.tls.caBundle)) }}
{{- fail "tls.existingSecret needs tls.caBundle: the base64 PEM of the CA that signed it, so the kube-apiserver can trust the webhook" }}
{{- end }}
{{- range $key, $value := dict "webhook.caBundle" .Values.webhook.caBundle "tls.caBundle" .Values.tls.caBundle }}
{{- if and $value (not (contains "-----BEGIN CERTIFICATE-----" (b64dec $value))) }}
{{- fail (printf "%s must be base64 of PEM certificates (e.g. base64 -w0 ca.crt)" $key) }}
{{- end }}
{{- end }}
{{- end }}

{{/* caBundle of the webhook configurations, empty when cert-manager injects it. */}}
{{- define "runtime-guard.caBundle" -}}
{{- if .Values.webhook.caBundle }}
{{- .Values.webhook.caBundle }}
{{- else if not .Values.certManager.enabled }}
{{- .Values.tls.caBundle }}
{{- end }}
{{- end }}

{{/*
The config.yaml the server reads. Policy options pass through from .Values.config; the TLS
files, port and exempt release namespace are the chart's.
*/}}
{{- define "runtime-guard.configYaml" -}}
{{- $c := .Values.config }}
{{- $exempt := prepend $c.exemptions.namespaces .Release.Namespace | uniq }}
{{- $extraKinds := list }}
{{- range $c.extraKinds }}
{{- $extraKinds = append $extraKinds (dict "group" .group "kind" .kind "podTemplatePath" .podTemplatePath) }}
{{- end }}
{{- $config := dict
  "preset" $c.preset
  "mode" $c.mode
  "rules" (include "runtime-guard.profiles.rules" . | fromYaml)
  "mutation" $c.mutation
  "exemptions" (dict
    "namespaces" $exempt
    "usernames" $c.exemptions.usernames
    "runtimeClassNames" $c.exemptions.runtimeClassNames)
  "extraKinds" $extraKinds
  "server" (include "runtime-guard.serverConfig" . | fromYaml)
}}
{{- toYaml $config }}
{{- end }}

{{/* The server: section. Read once at start, so the pods roll when it changes (see the checksum). */}}
{{- define "runtime-guard.serverConfig" -}}
{{- $s := .Values.config.server }}
host: {{ $s.host | quote }}
port: 8443
tls:
  certFile: /etc/runtime-guard/tls/tls.crt
  keyFile: /etc/runtime-guard/tls/tls.key
bodyLimitBytes: {{ int64 $s.bodyLimitBytes }}
maxBytesInFlight: {{ int64 $s.maxBytesInFlight }}
maxConnections: {{ int64 $s.maxConnections }}
namespaceModes:
  enabled: {{ $s.namespaceModes.enabled }}
shutdown:
  drainSeconds: {{ $s.shutdown.drainSeconds }}
  timeoutSeconds: {{ $s.shutdown.timeoutSeconds }}
{{- end }}

{{/* The rules both webhooks share: every kind that carries a pod spec, then extraKinds. */}}
{{- define "runtime-guard.webhookRules" -}}
- operations: ["CREATE", "UPDATE"]
  apiGroups: [""]
  apiVersions: ["v1"]
  resources: ["pods", "pods/ephemeralcontainers", "podtemplates", "replicationcontrollers"]
  scope: Namespaced
- operations: ["CREATE", "UPDATE"]
  apiGroups: ["apps"]
  apiVersions: ["v1"]
  resources: ["deployments", "replicasets", "statefulsets", "daemonsets"]
  scope: Namespaced
- operations: ["CREATE", "UPDATE"]
  apiGroups: ["batch"]
  apiVersions: ["v1"]
  resources: ["jobs", "cronjobs"]
  scope: Namespaced
{{- range .Values.config.extraKinds }}
- operations: ["CREATE", "UPDATE"]
  apiGroups: [{{ .group | quote }}]
  apiVersions: {{ default (list "*") .apiVersions | toJson }}
  resources: [{{ .resource | quote }}]
  scope: Namespaced
{{- end }}
{{- end }}

{{- define "runtime-guard.namespaceSelector" -}}
matchExpressions:
  - key: kubernetes.io/metadata.name
    operator: NotIn
    values: {{ prepend .Values.webhook.excludeNamespaces .Release.Namespace | uniq | toJson }}
{{- with .Values.webhook.namespaceSelectorExpressions }}
{{ toYaml . | indent 2 }}
{{- end }}
{{- end }}

{{/* Where the kube-apiserver sends reviews: the URL of webhook.url, or the Service. */}}
{{- define "runtime-guard.clientConfig" -}}
{{- $root := index . 0 -}}
{{- $path := index . 1 -}}
{{- if $root.Values.webhook.url }}
url: {{ printf "%s%s" (trimSuffix "/" $root.Values.webhook.url) $path | quote }}
{{- else }}
service:
  name: {{ include "runtime-guard.fullname" $root }}
  namespace: {{ $root.Release.Namespace }}
  path: {{ $path }}
  port: {{ $root.Values.service.port }}
{{- end }}
{{- with include "runtime-guard.caBundle" $root }}
caBundle: {{ . }}
{{- end }}
{{- end }}

{{/* Annotations of both webhook configurations: cert-manager's CA injection, when it applies. */}}
{{- define "runtime-guard.webhookAnnotations" -}}
{{- if and .Values.certManager.enabled (not .Values.webhook.caBundle) }}
annotations:
  cert-manager.io/inject-ca-from: {{ printf "%s/%s-tls" .Release.Namespace (include "runtime-guard.fullname" .) }}
{{- end }}
{{- end }}
