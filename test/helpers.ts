/** Builders for AdmissionReviews and readers for responses, shared by the policy tests. */
import assert from 'node:assert/strict';
import { applyPatch, type Operation } from 'rfc6902';
import { reviewConfigFromObject } from '../src/config/load-config.ts';
import type { AdmissionResponse } from '../src/admission/admission-review.ts';
import {
  handleAdmissionReview,
  type Endpoint,
  type ReviewContext,
  type ReviewOutcome,
} from '../src/admission/review-request.ts';
import type { ReviewConfig } from '../src/admission/settings.ts';

export type Json = Record<string, unknown>;

export interface ReviewOptions {
  operation?: 'CREATE' | 'UPDATE' | 'DELETE' | 'CONNECT';
  oldObject?: unknown;
  namespace?: string;
  username?: string;
  subResource?: string;
  apiVersion?: 'admission.k8s.io/v1' | 'admission.k8s.io/v1beta1';
  group?: string;
  kind?: string;
  uid?: string;
}

export function admissionReview(object: unknown, options: ReviewOptions = {}): Json {
  const obj = object as { kind?: string; apiVersion?: string; metadata?: { name?: string } } | null;
  const apiGroup = obj?.apiVersion?.includes('/') ? obj.apiVersion.split('/')[0] : '';
  const request: Json = {
    uid: options.uid ?? 'e911857d-c318-11e8-bbad-025000000001',
    kind: {
      group: options.group ?? apiGroup,
      version: 'v1',
      kind: options.kind ?? obj?.kind ?? 'Pod',
    },
    operation: options.operation ?? 'CREATE',
    namespace: options.namespace ?? 'team-a',
    userInfo: { username: options.username ?? 'alice', groups: ['system:authenticated'] },
    object,
  };
  if (obj?.metadata?.name) request.name = obj.metadata.name;
  if (options.oldObject !== undefined) request.oldObject = options.oldObject;
  if (options.subResource) request.subResource = options.subResource;
  return {
    apiVersion: options.apiVersion ?? 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request,
  };
}

export function pod(spec: Json, metadata: Json = {}): Json {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'web', namespace: 'team-a', ...metadata },
    spec,
  };
}

/** A pod that passes the baseline and the restricted policy. */
export function compliantSpec(extra: Json = {}): Json {
  return {
    securityContext: { seccompProfile: { type: 'RuntimeDefault' } },
    containers: [
      { name: 'app', image: 'nginx', securityContext: { capabilities: { drop: ['ALL'] } } },
    ],
    ...extra,
  };
}

/** What a review reads (policy core and admission settings) from configuration options. */
export function policy(config: Json = {}): ReviewConfig {
  return reviewConfigFromObject(config);
}

export interface Answer {
  response: AdmissionResponse;
  outcome: ReviewOutcome;
  review: Json;
}

export function answer(
  endpoint: Endpoint,
  review: unknown,
  p: ReviewConfig = policy(),
  context: ReviewContext = {},
): Answer {
  const result = handleAdmissionReview(endpoint, review, p, context);
  if (!result.ok) assert.fail(`expected a response, got the error: ${result.message}`);
  return {
    response: result.review.response,
    outcome: result.outcome,
    review: result.review as unknown as Json,
  };
}

export function validate(review: unknown, p?: ReviewConfig, context?: ReviewContext): Answer {
  return answer('validate', review, p, context);
}

export function mutate(review: unknown, p?: ReviewConfig, context?: ReviewContext): Answer {
  return answer('mutate', review, p, context);
}

export function decodePatch(response: AdmissionResponse): Operation[] {
  if (!response.patch) return [];
  assert.equal(response.patchType, 'JSONPatch');
  return JSON.parse(Buffer.from(response.patch, 'base64').toString('utf8')) as Operation[];
}

/** Applies a response's patch to a copy of the object, failing on any operation that does not apply. */
export function patched<T>(object: T, response: AdmissionResponse): T {
  const copy = structuredClone(object);
  const errors = applyPatch(copy, decodePatch(response));
  assert.deepEqual(
    errors.filter((e) => e !== null),
    [],
    'every patch operation applies',
  );
  return copy;
}

/** The violation lines of a denial message, without the header. */
export function messageLines(response: AdmissionResponse): string[] {
  assert.equal(response.allowed, false, 'the review is denied');
  return (response.status?.message ?? '').split('\n').slice(1);
}
