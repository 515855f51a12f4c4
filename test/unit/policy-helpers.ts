/**
 * The policy core at its boundary, as Pod Security Admission tests its checks: a manifest read by
 * the one workload reader into a {@link PodUnderReview}, a {@link Policy} compiled from
 * configuration options, and violations as the data a rule test asserts. How violations read is
 * test/unit/messages.test.ts's business, not the rule tests'.
 */
import assert from 'node:assert/strict';
import { reviewConfigFromObject } from '../../src/config/load-config.ts';
import type { Policy, RuleId } from '../../src/policy/policy.ts';
import { wholePod, type PodUnderReview } from '../../src/policy/pod-under-review.ts';
import { evaluatePod } from '../../src/policy/registry.ts';
import type { ExtraKinds } from '../../src/workloads/kinds.ts';
import { readWorkloadPod } from '../../src/workloads/read-workload-pod.ts';
import { pod, type Json } from '../helpers.ts';

/** The policy core of the configuration these options make (default: baseline). */
export function policyOf(options: Json = {}): Policy {
  return reviewConfigFromObject(options).policy;
}

/** The pod a manifest (a Pod or any kind with a pod template) carries, judged whole, as on CREATE. */
export function reviewOf(object: Json, extraKinds: ExtraKinds = new Map()): PodUnderReview {
  const apiVersion = String(object.apiVersion);
  const group = apiVersion.includes('/') ? (apiVersion.split('/')[0] ?? '') : '';
  const read = readWorkloadPod(object, { group, kind: String(object.kind) }, extraKinds);
  assert.ok(read, `${String(object.kind)} carries a pod`);
  return wholePod(read);
}

/** A Pod with this spec (and annotations), under review. */
export function podReview(spec: Json, annotations?: Record<string, string>): PodUnderReview {
  return reviewOf(pod(spec, annotations ? { annotations } : {}));
}

/**
 * What a `pods/ephemeralcontainers` update that adds the named containers puts under review
 * (`kubectl debug`): the pod level was admitted long ago, only the new containers are judged.
 */
export function ephemeralUpdate(pod: PodUnderReview, ...added: string[]): PodUnderReview {
  return { ...pod, judgePodLevel: false, onlyContainers: new Set(added) };
}

/** A violation as a rule test asserts it: which rule, whom it is about, which field. */
export interface Found {
  rule: RuleId;
  subject: string;
  field: string;
}

/** `evaluatePod`'s violations, in its order, without their wording. */
export function violationsOf(pod: PodUnderReview, policy: Policy = policyOf()): Found[] {
  return evaluatePod(pod, policy).map(({ rule, subject, field }) => ({ rule, subject, field }));
}
