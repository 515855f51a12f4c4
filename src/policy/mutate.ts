import type { PodSpec } from 'kubernetes-types/core/v1.js';
import type { FieldEdit } from '../json/field-edit.ts';
import type { Policy } from './policy.ts';
import { isWindowsPod, type PodUnderReview } from './pod-under-review.ts';
import { copyForMutation, type MutationReport } from './mutations/mutable-pod.ts';
import { applyDefaultSeccompProfile } from './mutations/default-seccomp-profile.ts';
import { dropCapabilities } from './mutations/drop-capabilities.ts';
import { translateLegacyAppArmorAnnotations } from './mutations/translate-legacy-apparmor.ts';
import { translateLegacySeccompAnnotations } from './mutations/translate-legacy-seccomp.ts';

export interface MutationResult extends MutationReport {
  /** What changed, from the object root, in the order it was done; empty when nothing did. */
  edits: FieldEdit[];
  /** The pod spec after mutation (the input itself when nothing changed). */
  spec: PodSpec;
  /** The annotations after mutation. */
  annotations: Readonly<Record<string, string>>;
}

/**
 * Runs the mutation steps in order: legacy annotations first, so a translated profile is not
 * then overwritten by the default. Windows pods are never mutated: the fields we set are
 * Linux-only and the API server refuses them there. Only what `pod` puts under review may change
 * (on the ephemeralcontainers subresource, the new ephemeral containers). The input is not modified.
 */
export function mutatePod(pod: PodUnderReview, policy: Policy): MutationResult {
  const report: MutationReport = { changes: [], notes: [] };
  if (!policy.mutation.enabled || isWindowsPod(pod.spec)) {
    return { edits: [], spec: pod.spec, annotations: pod.annotations, ...report };
  }
  const mutable = copyForMutation(pod);
  translateLegacySeccompAnnotations(mutable, policy, report);
  translateLegacyAppArmorAnnotations(mutable, policy, report);
  applyDefaultSeccompProfile(mutable, policy, report);
  dropCapabilities(mutable, policy, report);
  if (mutable.edits.length === 0) {
    return { edits: [], spec: pod.spec, annotations: pod.annotations, ...report };
  }
  return {
    edits: mutable.edits,
    spec: mutable.spec,
    annotations: mutable.annotations,
    ...report,
  };
}
