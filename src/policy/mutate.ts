import type { PodSpec } from 'kubernetes-types/core/v1.js';
import type { Policy } from './policy.ts';
import { isWindowsPod } from './pod-under-review.ts';
import { copyForMutation, type MutationReport } from './mutations/mutable-pod.ts';
import { applyDefaultSeccompProfile } from './mutations/default-seccomp-profile.ts';
import { dropCapabilities } from './mutations/drop-capabilities.ts';
import { translateLegacyAppArmorAnnotations } from './mutations/translate-legacy-apparmor.ts';
import { translateLegacySeccompAnnotations } from './mutations/translate-legacy-seccomp.ts';

export interface MutationInput {
  spec: PodSpec;
  annotations: Readonly<Record<string, string>> | undefined;
  canChangePodLevel: boolean;
  onlyContainers?: ReadonlySet<string>;
}

export interface MutationResult extends MutationReport {
  /** The mutated spec: the input object itself when nothing changed. */
  spec: PodSpec;
  annotations: Readonly<Record<string, string>> | undefined;
}

/**
 * Runs the mutation steps in order: legacy annotations first, so a translated profile is not
 * then overwritten by the default. Windows pods are never mutated: the fields we set are
 * Linux-only and the API server refuses them there. The input is not modified.
 */
export function mutatePod(input: MutationInput, policy: Policy): MutationResult {
  const report: MutationReport = { changes: [], notes: [] };
  if (!policy.mutation.enabled || isWindowsPod(input.spec)) {
    return { spec: input.spec, annotations: input.annotations, ...report };
  }
  const pod = copyForMutation(
    input.spec,
    input.annotations,
    input.canChangePodLevel,
    input.onlyContainers,
  );
  translateLegacySeccompAnnotations(pod, policy, report);
  translateLegacyAppArmorAnnotations(pod, policy, report);
  applyDefaultSeccompProfile(pod, policy, report);
  dropCapabilities(pod, policy, report);
  return { spec: pod.spec, annotations: pod.annotations, ...report };
}
