/**
 * The data path of one review: request → which pod spec → policy → response (+ patch).
 * Both endpoints share it: `validate` judges, `mutate` patches and always allows, as in
 * Kubernetes, where validating webhooks see the object after every mutation.
 */
import type { PodSpec } from 'kubernetes-types/core/v1.js';
import type { Mode, Policy } from '../policy/policy.ts';
import type { PodUnderReview } from '../policy/pod-under-review.ts';
import { evaluatePod } from '../policy/registry.ts';
import { mutatePod } from '../policy/mutate.ts';
import type { Violation } from '../policy/violation.ts';
import {
  parseAdmissionReview,
  type AdmissionRequest,
  type AdmissionResponse,
  type AdmissionReviewResponse,
} from './admission-review.ts';
import { jsonEqual } from '../json/json-equal.ts';
import { patchFor, type Replacement } from './json-patch.ts';
import {
  auditList,
  auditViolations,
  denialMessage,
  noteWarnings,
  violationWarnings,
  type ObjectDescription,
} from './messages.ts';
import { checkAnnotations, checkPodSpec, MalformedObjectError, valueAt } from './pod-shape.ts';
import { locatePodSpec, templatePathOf, type PodLocation } from './pod-templates.ts';

export type Endpoint = 'validate' | 'mutate';

export interface ReviewContext {
  /** The mode the request's namespace asks for (label `runtime-guard.io/mode`), if any. */
  namespaceMode?: Mode | 'off';
}

export type Decision =
  'allowed' | 'denied' | 'warned' | 'audited' | 'patched' | 'skipped' | 'exempt' | 'malformed';

/** What happened, for logs and metrics: never the object itself, which may hold secrets. */
export interface ReviewOutcome {
  endpoint: Endpoint;
  uid: string;
  kind: string;
  /** True when the kind is one runtime-guard reviews (a bounded set: safe as a metric label). */
  routed: boolean;
  operation: string;
  namespace: string;
  name: string;
  username: string;
  mode: Mode | 'off';
  decision: Decision;
  reason?: string;
  violations: readonly Violation[];
  changes: readonly string[];
}

export type ReviewResult =
  | { ok: true; review: AdmissionReviewResponse; outcome: ReviewOutcome }
  | { ok: false; message: string };

const EPHEMERAL_SUBRESOURCE = 'ephemeralcontainers';

/** Entry point for a raw AdmissionReview body: the server and the `review` command call only this. */
export function handleAdmissionReview(
  endpoint: Endpoint,
  body: unknown,
  policy: Policy,
  context: ReviewContext = {},
): ReviewResult {
  const parsed = parseAdmissionReview(body);
  if (!parsed.ok) return parsed;
  const { response, outcome } = reviewRequest(endpoint, parsed.request, policy, context);
  return {
    ok: true,
    review: { apiVersion: parsed.apiVersion, kind: 'AdmissionReview', response },
    outcome,
  };
}

function objectName(request: AdmissionRequest, metadata: unknown): string {
  const meta = (metadata ?? {}) as { name?: unknown; generateName?: unknown };
  if (typeof meta.name === 'string' && meta.name) return meta.name;
  if (request.name) return request.name;
  if (typeof meta.generateName === 'string' && meta.generateName) return `${meta.generateName}*`;
  return '(unnamed)';
}

export function reviewRequest(
  endpoint: Endpoint,
  request: AdmissionRequest,
  policy: Policy,
  context: ReviewContext,
): { response: AdmissionResponse; outcome: ReviewOutcome } {
  const mode = context.namespaceMode ?? policy.mode;
  const location = locatePodSpec(request.kind, policy);
  const outcome: ReviewOutcome = {
    endpoint,
    uid: request.uid,
    kind: request.subResource ? `${request.kind.kind}/${request.subResource}` : request.kind.kind,
    routed:
      location !== undefined &&
      (!request.subResource || request.subResource === EPHEMERAL_SUBRESOURCE),
    operation: request.operation,
    namespace: request.namespace ?? '',
    name: request.name ?? '',
    username: request.userInfo?.username ?? '',
    mode,
    decision: 'allowed',
    violations: [],
    changes: [],
  };
  const allow = (decision: Decision, reason?: string, extra: Partial<AdmissionResponse> = {}) => {
    outcome.decision = decision;
    if (reason) outcome.reason = reason;
    return { response: { uid: request.uid, allowed: true, ...extra }, outcome };
  };

  if (request.operation !== 'CREATE' && request.operation !== 'UPDATE')
    return allow('skipped', `${request.operation} is not reviewed`);
  if (!location)
    return allow('skipped', `kind ${request.kind.group}/${request.kind.kind} carries no pod`);
  // The apiserver sends this subresource as an UPDATE only; anything else is judged whole.
  const isEphemeral =
    request.subResource === EPHEMERAL_SUBRESOURCE &&
    location.isPod &&
    request.operation === 'UPDATE';
  if (request.subResource && request.subResource !== EPHEMERAL_SUBRESOURCE)
    return allow('skipped', `subresource ${request.subResource} is not reviewed`);
  if (mode === 'off') return allow('skipped', 'mode is off for this namespace');

  const exemption = requestExemption(request, policy);
  if (exemption) return allow('exempt', exemption, { auditAnnotations: { exempt: exemption } });

  let pod: { spec: PodSpec; annotations: Record<string, string> | undefined; name: string };
  let old: { spec: PodSpec; annotations: Record<string, string> | undefined } | undefined;
  try {
    pod = readPod(request.object, location, 'request.object', request);
    if (
      request.operation === 'UPDATE' &&
      request.oldObject !== undefined &&
      request.oldObject !== null
    ) {
      old = readPod(request.oldObject, location, 'request.oldObject', request);
    }
  } catch (error) {
    if (!(error instanceof MalformedObjectError)) throw error;
    outcome.decision = 'malformed';
    outcome.reason = error.message;
    return {
      response: {
        uid: request.uid,
        allowed: false,
        status: {
          code: 400,
          reason: 'BadRequest',
          message: `runtime-guard: malformed ${request.kind.kind}: ${error.message}`,
        },
      },
      outcome,
    };
  }
  outcome.name = pod.name;

  const runtimeClass = pod.spec.runtimeClassName;
  if (runtimeClass && policy.exemptions.runtimeClassNames.has(runtimeClass)) {
    const reason = `runtimeClassName "${runtimeClass}" is exempt`;
    return allow('exempt', reason, { auditAnnotations: { exempt: reason } });
  }

  // Which containers are ours to judge or change on this request.
  let scope: { judgePodLevel: boolean; onlyContainers?: ReadonlySet<string> } = {
    judgePodLevel: true,
  };
  if (isEphemeral) {
    const before = new Set((old?.spec.ephemeralContainers ?? []).map((c) => c.name));
    const added = new Set(
      (pod.spec.ephemeralContainers ?? []).map((c) => c.name).filter((n) => !before.has(n)),
    );
    if (added.size === 0) return allow('skipped', 'no ephemeral container added');
    scope = { judgePodLevel: false, onlyContainers: added };
  } else if (request.operation === 'UPDATE' && old) {
    if (endpoint === 'mutate' && location.isPod)
      return allow(
        'skipped',
        "a pod's spec is only mutated through the ephemeralcontainers subresource",
      );
    const changed = location.isPod
      ? podSecurityFieldsChanged(pod, old)
      : !jsonEqual(
          valueAt(request.oldObject, templatePathOf(location)),
          valueAt(request.object, templatePathOf(location)),
        );
    if (!changed)
      return allow(
        'skipped',
        location.isPod ? 'no security-relevant change' : 'pod template unchanged',
      );
  }

  const description: ObjectDescription = { kind: request.kind.kind, name: pod.name };
  if (request.namespace) description.namespace = request.namespace;
  const baseAudit = { mode, policy: policy.preset };

  if (endpoint === 'mutate') {
    const result = mutatePod(
      {
        spec: pod.spec,
        annotations: pod.annotations,
        canChangePodLevel: scope.judgePodLevel,
        ...(scope.onlyContainers ? { onlyContainers: scope.onlyContainers } : {}),
      },
      policy,
    );
    const replacements: Replacement[] = result.specChanges.map((change) => ({
      path: [...location.specPath, ...change.path],
      value: change.value,
    }));
    if (result.annotations) {
      replacements.push({
        path: [...location.metadataPath, 'annotations'],
        value: result.annotations,
      });
    }
    const patch = patchFor(request.object as object, replacements);
    const extra: Partial<AdmissionResponse> = {};
    if (result.notes.length > 0) extra.warnings = noteWarnings(result.notes);
    if (patch.length === 0) {
      if (result.notes.length > 0)
        extra.auditAnnotations = { ...baseAudit, notes: auditList(result.notes) };
      return allow('allowed', 'nothing to change', extra);
    }
    outcome.changes = result.changes;
    extra.patch = Buffer.from(JSON.stringify(patch)).toString('base64');
    extra.patchType = 'JSONPatch';
    extra.auditAnnotations = { ...baseAudit, mutation: auditList(result.changes) };
    if (result.notes.length > 0) extra.auditAnnotations.notes = auditList(result.notes);
    return allow('patched', undefined, extra);
  }

  const podUnderReview: PodUnderReview = {
    specPath: location.specPath,
    metadataPath: location.metadataPath,
    spec: pod.spec,
    annotations: pod.annotations ?? {},
    judgePodLevel: scope.judgePodLevel,
  };
  if (scope.onlyContainers) podUnderReview.onlyContainers = scope.onlyContainers;
  const violations = evaluatePod(podUnderReview, policy);
  outcome.violations = violations;
  if (violations.length === 0) return allow('allowed');

  const auditAnnotations = {
    ...baseAudit,
    decision: mode === 'enforce' ? 'denied' : 'allowed',
    violations: auditViolations(violations),
  };
  if (mode === 'enforce') {
    outcome.decision = 'denied';
    return {
      response: {
        uid: request.uid,
        allowed: false,
        status: {
          code: 403,
          reason: 'Forbidden',
          message: denialMessage(description, policy.preset, violations),
        },
        auditAnnotations,
      },
      outcome,
    };
  }
  if (mode === 'warn') {
    return allow('warned', undefined, {
      warnings: violationWarnings(description, policy.preset, mode, violations),
      auditAnnotations,
    });
  }
  return allow('audited', undefined, { auditAnnotations });
}

function requestExemption(request: AdmissionRequest, policy: Policy): string | undefined {
  if (request.namespace && policy.exemptions.namespaces.has(request.namespace))
    return `namespace "${request.namespace}" is exempt`;
  const username = request.userInfo?.username;
  if (username && policy.exemptions.usernames.has(username)) return `user "${username}" is exempt`;
  return undefined;
}

function readPod(object: unknown, location: PodLocation, label: string, request: AdmissionRequest) {
  if (typeof object !== 'object' || object === null || Array.isArray(object)) {
    throw new MalformedObjectError([], `${label} to be a ${request.kind.kind} object`, object);
  }
  const spec = checkPodSpec(valueAt(object, location.specPath), location.specPath);
  const annotations = checkAnnotations(
    valueAt(object, location.metadataPath),
    location.metadataPath,
  );
  return {
    spec,
    annotations,
    name: objectName(request, (object as { metadata?: unknown }).metadata),
  };
}

const SECURITY_ANNOTATION =
  /^(container\.)?(seccomp\.security\.alpha|apparmor\.security\.beta)\.kubernetes\.io\//;

function securityAnnotations(
  annotations: Record<string, string> | undefined,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(annotations ?? {}))
    if (SECURITY_ANNOTATION.test(key)) out[key] = value;
  return out;
}

/** Containers, images, security contexts, OS, runtime class and the legacy annotations. */
function podSecurityFieldsChanged(
  now: { spec: PodSpec; annotations: Record<string, string> | undefined },
  before: { spec: PodSpec; annotations: Record<string, string> | undefined },
): boolean {
  const fields = [
    'initContainers',
    'containers',
    'ephemeralContainers',
    'securityContext',
    'os',
    'runtimeClassName',
  ] as const;
  return (
    fields.some((f) => !jsonEqual(now.spec[f] ?? null, before.spec[f] ?? null)) ||
    !jsonEqual(securityAnnotations(now.annotations), securityAnnotations(before.annotations))
  );
}
