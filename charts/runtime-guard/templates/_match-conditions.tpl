{{- /*
matchConditions: CEL the kube-apiserver evaluates before it calls a webhook (Kubernetes 1.28 on;
1.27 drops the field and makes every call). A webhook call costs the apiserver more than the
review costs runtime-guard, so the calls whose answer is known in advance are left out:

- mutating: objects the configured mutation (config.mutation, with the server's defaults) would
  leave as they are, and the UPDATEs it skips anyway;
- validating: only the UPDATEs runtime-guard skips anyway (src/admission/request-scope.ts).
  Every CREATE is still judged by the webhook.

Each condition is "not this case, or call": all must hold for a call, so kinds not named here
(config.extraKinds) are always called. Written for the built-in kinds, whose objects reach CEL
from typed Go structs: a field is absent or of its type, never null. When in doubt, call: every
has() guards a step, so no expression errs (an error would fail the request under Fail and drop
the call under Ignore). test/property/match-conditions.test.ts checks them against the webhook's
own answers; test/e2e/match-conditions.test.ts through a real apiserver.

A webhook left out in the first round is not called again when a later mutating webhook changes
the object (the apiserver reinvokes only webhooks it called): see the chart README.
*/}}

{{- /* Where each kind keeps its pod (src/workloads/kinds.ts), and the CEL test for the kind. */}}
{{- define "runtime-guard.cel.templateKinds" -}}
{{- toJson (list
  (dict "name" "template" "path" "object.spec.template" "kind" "(request.kind.group == 'apps' && request.kind.kind in ['Deployment', 'ReplicaSet', 'StatefulSet', 'DaemonSet'] || request.kind.group == 'batch' && request.kind.kind == 'Job' || request.kind.group == '' && request.kind.kind == 'ReplicationController')")
  (dict "name" "cronjob-template" "path" "object.spec.jobTemplate.spec.template" "kind" "(request.kind.group == 'batch' && request.kind.kind == 'CronJob')")
  (dict "name" "podtemplate-template" "path" "object.template" "kind" "(request.kind.group == '' && request.kind.kind == 'PodTemplate')")
) }}
{{- end }}

{{- /* request.subResource is absent, not empty, when the request has none. */}}
{{- define "runtime-guard.cel.isPod" -}}
(request.kind.group == '' && request.kind.kind == 'Pod')
{{- end }}

{{- /* has() for every step of a dotted CEL path below its root variable: "a.b.c" → has(a.b) && has(a.b.c). */}}
{{- define "runtime-guard.cel.present" -}}
{{- $parts := splitList "." . }}
{{- $tests := list }}
{{- range $i, $_ := $parts }}
{{- if gt $i 0 }}
{{- $tests = append $tests (printf "has(%s)" (join "." (slice $parts 0 (add1 $i)))) }}
{{- end }}
{{- end }}
{{- join " && " $tests }}
{{- end }}

{{- /*
The mutation as the server runs it: config.mutation with the defaults of src/config/schema.ts
and the preset's drop list (src/config/load-config.ts), names as Kubernetes spells them.
*/}}
{{- define "runtime-guard.cel.mutation" -}}
{{- $m := .Values.config.mutation | default dict }}
{{- $restricted := eq (.Values.config.preset | default "baseline") "restricted" }}
{{- $drop := list }}
{{- if dig "dropCapabilities" "enabled" true $m }}
{{- range dig "dropCapabilities" "drop" (ternary (list "ALL") (list) $restricted) $m }}
{{- $name := . | toString | trim | upper | trimPrefix "CAP_" }}
{{- if not (regexMatch "^[A-Z0-9_]+$" $name) }}
{{- fail (printf "config.mutation.dropCapabilities.drop: %q is not a capability name" .) }}
{{- end }}
{{- $drop = append $drop $name }}
{{- end }}
{{- end }}
{{- toJson (dict
  "enabled" (dig "enabled" true $m)
  "seccompAnnotations" (dig "legacySeccompAnnotations" "enabled" true $m)
  "appArmorAnnotations" (dig "legacyAppArmorAnnotations" "enabled" false $m)
  "defaultProfile" (dig "defaultSeccompProfile" "enabled" true $m)
  "drop" (uniq $drop)) }}
{{- end }}

{{- /*
CEL that is true when the mutation provably leaves this pod as it is (src/policy/mutate.ts):
a Windows pod, or one with no legacy annotation an enabled step reads, a pod-level seccomp
profile when the default profile is on, and every configured name in every container's
capabilities.drop. Args: (list $ SPEC METADATA), CEL paths whose presence is already tested
for SPEC only.
*/}}
{{- define "runtime-guard.cel.podUnchanged" -}}
{{- $root := index . 0 }}
{{- $spec := index . 1 }}
{{- $meta := index . 2 }}
{{- $m := include "runtime-guard.cel.mutation" $root | fromJson }}
{{- $parts := list }}
{{- $prefixes := list }}
{{- if $m.seccompAnnotations }}
{{- $prefixes = append $prefixes (printf "k == 'seccomp.security.alpha.kubernetes.io/pod'") }}
{{- $prefixes = append $prefixes "k.startsWith('container.seccomp.security.alpha.kubernetes.io/')" }}
{{- end }}
{{- if $m.appArmorAnnotations }}
{{- $prefixes = append $prefixes "k.startsWith('container.apparmor.security.beta.kubernetes.io/')" }}
{{- end }}
{{- if $prefixes }}
{{- $parts = append $parts (printf "(!(%s && has(%s.annotations)) || !%s.annotations.exists(k, %s))" (include "runtime-guard.cel.present" $meta) $meta $meta (join " || " $prefixes)) }}
{{- end }}
{{- if $m.defaultProfile }}
{{- $parts = append $parts (printf "(has(%s.securityContext) && has(%s.securityContext.seccompProfile))" $spec $spec) }}
{{- end }}
{{- if $m.drop }}
{{- $caps := "c.securityContext.capabilities" }}
{{- $has := list }}
{{- range $m.drop }}
{{- $has = append $has (printf "'%s' in %s.drop" . $caps) }}
{{- end }}
{{- $dropped := printf "has(c.securityContext) && has(%s) && has(%s.drop) && %s" $caps $caps (join " && " $has) }}
{{- range list "initContainers" "containers" "ephemeralContainers" }}
{{- $parts = append $parts (printf "(!has(%s.%s) || %s.%s.all(c, %s))" $spec . $spec . $dropped) }}
{{- end }}
{{- end }}
{{- $windows := printf "(has(%s.os) && has(%s.os.name) && %s.os.name == 'windows')" $spec $spec $spec }}
{{- if $parts }}
{{- printf "%s || %s" $windows (join " && " $parts) }}
{{- else }}
{{- "true" }}
{{- end }}
{{- end }}

{{- /* The UPDATEs runtime-guard skips on both endpoints, where CEL can say so exactly: an
ephemeralcontainers update that adds no container, and a workload UPDATE that leaves its pod
template as it was. Expressions, joined into each kind's one condition below. */}}
{{- define "runtime-guard.cel.ephemeralContainerAdded" -}}
{{- printf "!(request.operation == 'UPDATE' && %s && (has(request.subResource) && request.subResource == 'ephemeralcontainers')) || has(object.spec.ephemeralContainers) && object.spec.ephemeralContainers.exists(c, oldObject == null || !has(oldObject.spec.ephemeralContainers) || !oldObject.spec.ephemeralContainers.exists(o, o.name == c.name))" (include "runtime-guard.cel.isPod" .) }}
{{- end }}

{{- /* Args: a kind of runtime-guard.cel.templateKinds. */}}
{{- define "runtime-guard.cel.templateChanged" -}}
{{- $old := replace "object." "oldObject." .path }}
{{- printf "!(request.operation == 'UPDATE' && oldObject != null && %s) || !(%s) || !(%s) || %s != %s" .kind (include "runtime-guard.cel.present" .path) (include "runtime-guard.cel.present" $old) .path $old }}
{{- end }}

{{- /*
One condition per kind, the conjunction of what decides for that kind: the apiserver runs each
condition as a program of its own, and a program costs it about 6 µs before the first test of
its expression (a profile of bench:apiserver), so ten small conditions cost a compliant
Deployment create more than the one or two that decide it.
*/}}
{{- define "runtime-guard.mutatingMatchConditions" -}}
{{- $m := include "runtime-guard.cel.mutation" . | fromJson }}
{{- if not $m.enabled }}
# config.mutation.enabled is false: nothing to call for.
- name: mutation-enabled
  expression: "false"
{{- else }}
- name: pod-would-be-mutated
  # A pod's spec is only mutated on CREATE and through pods/ephemeralcontainers, when a
  # container is added there, and when the mutation would change it.
  expression: {{ printf "!(request.operation == 'UPDATE' && %s && !(has(request.subResource) && request.subResource == 'ephemeralcontainers') && oldObject != null) && (%s) && (!%s || !has(object.spec) || !(%s))" (include "runtime-guard.cel.isPod" .) (include "runtime-guard.cel.ephemeralContainerAdded" .) (include "runtime-guard.cel.isPod" .) (include "runtime-guard.cel.podUnchanged" (list . "object.spec" "object.metadata")) | quote }}
{{- $root := . }}
{{- range include "runtime-guard.cel.templateKinds" . | fromJsonArray }}
- name: {{ printf "%s-would-be-mutated" .name }}
  expression: {{ printf "(%s) && (!%s || !(%s && has(%s.spec)) || !(%s))" (include "runtime-guard.cel.templateChanged" .) .kind (include "runtime-guard.cel.present" .path) .path (include "runtime-guard.cel.podUnchanged" (list $root (printf "%s.spec" .path) (printf "%s.metadata" .path))) | quote }}
{{- end }}
{{- end }}
{{- end }}

{{- define "runtime-guard.validatingMatchConditions" -}}
{{- $fields := "['initContainers', 'containers', 'ephemeralContainers', 'securityContext', 'os', 'runtimeClassName']" }}
{{- $prefixes := "k.startsWith('seccomp.security.alpha.kubernetes.io/') || k.startsWith('container.seccomp.security.alpha.kubernetes.io/') || k.startsWith('apparmor.security.beta.kubernetes.io/') || k.startsWith('container.apparmor.security.beta.kubernetes.io/')" }}
{{- $kept := "(!has(%[1]s.metadata.annotations) || %[1]s.metadata.annotations.all(k, !(%[3]s) || has(%[2]s.metadata.annotations) && k in %[2]s.metadata.annotations && %[2]s.metadata.annotations[k] == %[1]s.metadata.annotations[k]))" }}
{{- $tests := list }}
{{- $tests = append $tests (include "runtime-guard.cel.ephemeralContainerAdded" .) }}
{{- $tests = append $tests (printf "!(%s && !(has(request.subResource) && request.subResource == 'ephemeralcontainers') && oldObject != null) || %s.exists(f, (f in object.spec) != (f in oldObject.spec) || f in object.spec && object.spec[f] != oldObject.spec[f]) || !(%s && %s)" (include "runtime-guard.cel.isPod" .) $fields (printf $kept "object" "oldObject" $prefixes) (printf $kept "oldObject" "object" $prefixes)) }}
{{- range include "runtime-guard.cel.templateKinds" . | fromJsonArray }}
{{- $tests = append $tests (include "runtime-guard.cel.templateChanged" .) }}
{{- end }}
- name: judged-change
  # Only UPDATEs are left out, so a CREATE is decided by the first test. What an UPDATE must
  # change to be judged: for a pod an ephemeral container added, or the fields and legacy
  # annotations a rule reads (request-scope.ts, JUDGED_POD_FIELDS); for a workload its pod
  # template. One condition, not one per kind: each would be a program of its own, and all of
  # them run on every CREATE.
  expression: {{ printf "request.operation != 'UPDATE' || (%s)" (join ") && (" $tests) | quote }}
{{- end }}
