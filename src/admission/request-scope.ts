/**
 * The scope of one request: whether runtime-guard looks at it at all, and if so which pod and
 * which of its containers are under review. Everything that lets a request through unjudged is
 * decided here, in one place: operations, kinds and subresources we do not review, a namespace
 * in `off`, exemptions, an UPDATE that changes nothing we judge, an ephemeralcontainers update
 * that adds no container.
 */
import type { PodSpec } from 'kubernetes-types/core/v1.js';
import { jsonEqual } from '../json/json-equal.ts';
import { valueAt } from '../json/values.ts';
import { wholePod, type PodUnderReview } from '../policy/pod-under-review.ts';
import { exemptionReason } from '../workloads/exemption.ts';
import { locatePod, type PodLocation } from '../workloads/kinds.ts';
import { MalformedObjectError } from '../workloads/pod-shape.ts';
import { readWorkloadPod, type WorkloadPod } from '../workloads/read-workload-pod.ts';
import type { AdmissionRequest } from './admission-review.ts';
import type { Mode, NamespaceMode, ReviewConfig } from './settings.ts';

export type Endpoint = 'validate' | 'mutate';

export const EPHEMERAL_SUBRESOURCE = 'ephemeralcontainers';

export type RequestScope =
  | { action: 'skip'; decision: 'skipped' | 'exempt'; reason: string }
  | { action: 'refuse-malformed'; message: string }
  | {
      action: 'review';
      /** The mode the verdict is given in (never `off`: those namespaces are skipped). */
      mode: Mode;
      /** The pod as the policy sees it: paths from the object root, and what is judged. */
      pod: PodUnderReview;
      /** `metadata.name`, else the request's name, else `generateName*`. */
      name: string;
    };

/** True when runtime-guard reviews this kind and subresource at all (a bounded metric label). */
export function isRouted(request: AdmissionRequest, config: ReviewConfig): boolean {
  return (
    locatePod(request.kind, config.admission.extraKinds) !== undefined &&
    (!request.subResource || request.subResource === EPHEMERAL_SUBRESOURCE)
  );
}

export function scopeRequest(
  endpoint: Endpoint,
  request: AdmissionRequest,
  config: ReviewConfig,
  mode: NamespaceMode,
): RequestScope {
  const skip = (reason: string): RequestScope => ({ action: 'skip', decision: 'skipped', reason });
  if (request.operation !== 'CREATE' && request.operation !== 'UPDATE')
    return skip(`${request.operation} is not reviewed`);
  const { extraKinds, exemptions } = config.admission;
  const location = locatePod(request.kind, extraKinds);
  if (!location) return skip(`kind ${request.kind.group}/${request.kind.kind} carries no pod`);
  if (request.subResource && request.subResource !== EPHEMERAL_SUBRESOURCE)
    return skip(`subresource ${request.subResource} is not reviewed`);
  if (mode === 'off') return skip('mode is off for this namespace');

  const requester = exemptionReason(
    { namespace: request.namespace, username: request.userInfo?.username },
    exemptions,
  );
  if (requester) return { action: 'skip', decision: 'exempt', reason: requester };

  let now: WorkloadPod;
  let before: WorkloadPod | undefined;
  try {
    now = readWorkloadPod(request.object, request.kind, extraKinds, {
      label: 'request.object',
    }) as WorkloadPod;
    if (request.operation === 'UPDATE' && request.oldObject != null) {
      before = readWorkloadPod(request.oldObject, request.kind, extraKinds, {
        label: 'request.oldObject',
      });
    }
  } catch (error) {
    if (!(error instanceof MalformedObjectError)) throw error;
    return { action: 'refuse-malformed', message: error.message };
  }

  const runtimeClass = exemptionReason({ runtimeClassName: now.spec.runtimeClassName }, exemptions);
  if (runtimeClass) return { action: 'skip', decision: 'exempt', reason: runtimeClass };

  const pod: PodUnderReview = wholePod(now);
  // The apiserver sends this subresource as an UPDATE only; anything else is judged whole.
  if (
    request.subResource === EPHEMERAL_SUBRESOURCE &&
    location.isPod &&
    request.operation === 'UPDATE'
  ) {
    const added = addedEphemeralContainers(now.spec, before?.spec);
    if (added.size === 0) return skip('no ephemeral container added');
    pod.judgePodLevel = false;
    pod.onlyContainers = added;
  } else if (request.operation === 'UPDATE' && before) {
    if (endpoint === 'mutate' && location.isPod)
      return skip("a pod's spec is only mutated through the ephemeralcontainers subresource");
    if (!judgedFieldsChanged(request, location, now, before))
      return skip(location.isPod ? 'no security-relevant change' : 'pod template unchanged');
  }
  return { action: 'review', mode, pod, name: now.name ?? request.name ?? '(unnamed)' };
}

function addedEphemeralContainers(now: PodSpec, before: PodSpec | undefined): Set<string> {
  const existing = new Set((before?.ephemeralContainers ?? []).map((c) => c.name));
  return new Set(
    (now.ephemeralContainers ?? []).map((c) => c.name).filter((name) => !existing.has(name)),
  );
}

const SECURITY_ANNOTATION =
  /^(container\.)?(seccomp\.security\.alpha|apparmor\.security\.beta)\.kubernetes\.io\//;

function securityAnnotations(
  annotations: Readonly<Record<string, string>> | undefined,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(annotations ?? {}))
    if (SECURITY_ANNOTATION.test(key)) out[key] = value;
  return out;
}

/** The pod fields a rule reads: containers, security contexts, OS, runtime class. */
const JUDGED_POD_FIELDS = [
  'initContainers',
  'containers',
  'ephemeralContainers',
  'securityContext',
  'os',
  'runtimeClassName',
] as const;

/**
 * Whether an UPDATE changed anything a rule judges: for a workload its pod template, for a pod
 * its judged fields and legacy annotations. Controllers keep updating labels and status of
 * workloads created before runtime-guard; those updates are not refused.
 */
function judgedFieldsChanged(
  request: AdmissionRequest,
  location: PodLocation,
  now: WorkloadPod,
  before: WorkloadPod,
): boolean {
  if (location.templatePath) {
    return !jsonEqual(
      valueAt(request.oldObject, location.templatePath),
      valueAt(request.object, location.templatePath),
    );
  }
  return (
    JUDGED_POD_FIELDS.some((f) => !jsonEqual(now.spec[f] ?? null, before.spec[f] ?? null)) ||
    !jsonEqual(securityAnnotations(now.annotations), securityAnnotations(before.annotations))
  );
}
