/**
 * The mutating answer: always allowed, with the JSON Patch of what the mutation changed, its
 * notes as kubectl warnings, and both in the audit annotations. Judging is the validating
 * webhook's job, as in Kubernetes, where validating webhooks see the object after every mutation.
 */
import { mutatePod } from '../policy/mutate.ts';
import type { PodUnderReview } from '../policy/pod-under-review.ts';
import type { AdmissionResponse } from './admission-review.ts';
import { patchFromEdits } from './json-patch.ts';
import { auditList, noteWarnings } from './messages.ts';
import type { Mode, ReviewConfig } from './settings.ts';

export interface MutatingAnswer {
  response: Omit<AdmissionResponse, 'uid'>;
  decision: 'allowed' | 'patched';
  reason?: string;
  /** What the patch does, in words. */
  changes: readonly string[];
}

export function mutatingAnswer(
  pod: PodUnderReview,
  object: unknown,
  config: ReviewConfig,
  mode: Mode,
): MutatingAnswer {
  const result = mutatePod(pod, config.policy);
  const response: Omit<AdmissionResponse, 'uid'> = { allowed: true };
  const audit: Record<string, string> = { mode, policy: config.policy.preset };
  const notes: Record<string, string> =
    result.notes.length > 0 ? { notes: auditList(result.notes) } : {};
  if (result.notes.length > 0) response.warnings = noteWarnings(result.notes);
  if (result.edits.length === 0) {
    if (result.notes.length > 0) response.auditAnnotations = { ...audit, ...notes };
    return { response, decision: 'allowed', reason: 'nothing to change', changes: [] };
  }
  const patch = patchFromEdits(object, result.edits);
  response.patch = Buffer.from(JSON.stringify(patch)).toString('base64');
  response.patchType = 'JSONPatch';
  response.auditAnnotations = { ...audit, mutation: auditList(result.changes), ...notes };
  return { response, decision: 'patched', changes: result.changes };
}
