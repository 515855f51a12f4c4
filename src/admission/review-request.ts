/**
 * The data path of one review, top to bottom: parse the envelope → the namespace's mode → the
 * request's scope (skipped, exempt, malformed, or a pod under review) → the validating or the
 * mutating answer → the AdmissionReview and an outcome for logs and metrics. The server and the
 * `review` command call only {@link handleAdmissionReview}.
 */
import type { Violation } from '../policy/violation.ts';
import type { ObjectDescription } from '../render/violation-text.ts';
import {
  parseAdmissionReview,
  type AdmissionRequest,
  type AdmissionResponse,
  type AdmissionReviewResponse,
} from './admission-review.ts';
import { mutatingAnswer } from './mutating-answer.ts';
import { isRouted, scopeRequest, type Endpoint } from './request-scope.ts';
import type { NamespaceMode, ReviewConfig } from './settings.ts';
import { validatingAnswer } from './validating-answer.ts';

export type { Endpoint } from './request-scope.ts';

/** The `runtime-guard.io/mode` label of namespaces, as the server's informer caches it. */
export interface NamespaceModeLookup {
  modeFor(namespace: string): NamespaceMode | undefined;
}

export interface ReviewContext {
  namespaceModes?: NamespaceModeLookup | undefined;
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
  mode: NamespaceMode;
  decision: Decision;
  reason?: string;
  violations: readonly Violation[];
  changes: readonly string[];
}

export type ReviewResult =
  | { ok: true; review: AdmissionReviewResponse; outcome: ReviewOutcome }
  | { ok: false; message: string };

/** Entry point for a raw AdmissionReview body. */
export function handleAdmissionReview(
  endpoint: Endpoint,
  body: unknown,
  config: ReviewConfig,
  context: ReviewContext = {},
): ReviewResult {
  const parsed = parseAdmissionReview(body);
  if (!parsed.ok) return parsed;
  const { response, outcome } = reviewRequest(endpoint, parsed.request, config, context);
  return {
    ok: true,
    review: { apiVersion: parsed.apiVersion, kind: 'AdmissionReview', response },
    outcome,
  };
}

export function reviewRequest(
  endpoint: Endpoint,
  request: AdmissionRequest,
  config: ReviewConfig,
  context: ReviewContext = {},
): { response: AdmissionResponse; outcome: ReviewOutcome } {
  const namespaceMode = request.namespace
    ? context.namespaceModes?.modeFor(request.namespace)
    : undefined;
  const mode = namespaceMode ?? config.admission.mode;
  const outcome: ReviewOutcome = {
    endpoint,
    uid: request.uid,
    kind: request.subResource ? `${request.kind.kind}/${request.subResource}` : request.kind.kind,
    routed: isRouted(request, config),
    operation: request.operation,
    namespace: request.namespace ?? '',
    name: request.name ?? '',
    username: request.userInfo?.username ?? '',
    mode,
    decision: 'allowed',
    violations: [],
    changes: [],
  };
  const answer = (response: Omit<AdmissionResponse, 'uid'>) => ({
    response: { uid: request.uid, ...response },
    outcome,
  });

  const scope = scopeRequest(endpoint, request, config, mode);
  if (scope.action === 'skip') {
    outcome.decision = scope.decision;
    outcome.reason = scope.reason;
    return answer(
      scope.decision === 'exempt'
        ? { allowed: true, auditAnnotations: { exempt: scope.reason } }
        : { allowed: true },
    );
  }
  if (scope.action === 'refuse-malformed') {
    outcome.decision = 'malformed';
    outcome.reason = scope.message;
    return answer({
      allowed: false,
      status: {
        code: 400,
        reason: 'BadRequest',
        message: `runtime-guard: malformed ${request.kind.kind}: ${scope.message}`,
      },
    });
  }

  outcome.name = scope.name;
  if (endpoint === 'mutate') {
    const mutation = mutatingAnswer(scope.pod, request.object, config, scope.mode);
    outcome.decision = mutation.decision;
    if (mutation.reason) outcome.reason = mutation.reason;
    outcome.changes = mutation.changes;
    return answer(mutation.response);
  }
  const object: ObjectDescription = {
    kind: request.kind.kind,
    name: scope.name,
    namespace: request.namespace,
  };
  const validation = validatingAnswer(scope.pod, object, config, scope.mode);
  outcome.decision = validation.decision;
  outcome.violations = validation.violations;
  return answer(validation.response);
}
