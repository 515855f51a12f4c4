{{/*
Custom seccomp profiles delivered to the nodes (values `profiles`). A DaemonSet in its own
namespace copies the profiles of a ConfigMap into <kubeletRootDir>/seccomp/runtime-guard/,
where pods name them as `localhostProfile: runtime-guard/<file>`.
*/}}

{{/* The namespace of the DaemonSet and its ConfigMap. */}}
{{- define "runtime-guard.profiles.namespace" -}}
{{- default (printf "%s-profiles" .Release.Namespace) .Values.profiles.namespace | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "runtime-guard.profiles.name" -}}
{{- printf "%s-profiles" (include "runtime-guard.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* The directory the kubelet resolves `localhostProfile: runtime-guard/...` against. */}}
{{- define "runtime-guard.profiles.nodeDirectory" -}}
{{- printf "%s/seccomp/runtime-guard" (trimSuffix "/" .Values.profiles.kubeletRootDir) }}
{{- end }}

{{/*
The ConfigMap's data: file name → profile JSON. Refuses what the node agent would refuse
anyway, at install time: a name the kubelet cannot load as NAME.json, text that is not JSON,
a profile without defaultAction, and more than a ConfigMap holds.
*/}}
{{- define "runtime-guard.profiles.data" -}}
{{- $data := dict }}
{{- $total := 0 }}
{{- range $file, $profile := .Values.profiles.files }}
{{- if not (regexMatch "^[A-Za-z0-9][A-Za-z0-9._-]*\\.json$" $file) }}
{{- fail (printf "profiles.files: %q is not a profile file name (NAME.json: letters, digits, '.', '_', '-')" $file) }}
{{- end }}
{{- $parsed := $profile }}
{{- $text := "" }}
{{- if kindIs "string" $profile }}
{{- $parsed = fromJson $profile }}
{{- if hasKey $parsed "Error" }}
{{- fail (printf "profiles.files.%s is not JSON: %s" $file (get $parsed "Error")) }}
{{- end }}
{{- $text = $profile }}
{{- else }}
{{- $text = toPrettyJson $profile }}
{{- end }}
{{- if not (and (kindIs "map" $parsed) (hasKey $parsed "defaultAction")) }}
{{- fail (printf "profiles.files.%s is not a seccomp profile (no defaultAction): make it with runtime-guard profile from-strace" $file) }}
{{- end }}
{{- $total = add $total (len $text) }}
{{- $_ := set $data $file (printf "%s\n" (trimSuffix "\n" $text)) }}
{{- end }}
{{- if gt (int $total) 1000000 }}
{{- fail (printf "profiles.files: %d bytes, more than a ConfigMap holds (1 MiB): split them over releases" (int $total)) }}
{{- end }}
{{- toYaml $data }}
{{- end }}

{{/*
config.rules with the Localhost allowlist defaulted to the delivered profiles when
profiles.enabled and config.rules.seccompLocalhostAllowlist.profiles is empty.
*/}}
{{- define "runtime-guard.profiles.rules" -}}
{{- $rules := deepCopy (default dict .Values.config.rules) }}
{{- if .Values.profiles.enabled }}
{{- $allowlist := deepCopy (default dict (get $rules "seccompLocalhostAllowlist")) }}
{{- if not (get $allowlist "profiles") }}
{{- $_ := set $allowlist "profiles" (list "runtime-guard/*.json") }}
{{- $_ := set $rules "seccompLocalhostAllowlist" $allowlist }}
{{- end }}
{{- end }}
{{- toYaml $rules }}
{{- end }}
