import type { PodSpec } from 'kubernetes-types/core/v1.js';
import type { Policy } from './policy.ts';
import type { PathSegment } from '../json/field-path.ts';
import { isWindowsPod, type ContainerListName } from './pod-under-review.ts';
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

/** A part of the pod spec that mutation replaced: its path relative to the spec, and new value. */
export interface SpecChange {
  path: readonly PathSegment[];
  value: unknown;
}

export interface MutationResult extends MutationReport {
  /** The security contexts that changed; empty when nothing did. */
  specChanges: SpecChange[];
  /** The annotations after mutation, when any was removed. */
  annotations?: Readonly<Record<string, string>>;
}

const LISTS: readonly ContainerListName[] = ['initContainers', 'containers', 'ephemeralContainers'];

/** Security contexts are copied on write, so a changed one is a different object. */
function changedSecurityContexts(before: PodSpec, after: PodSpec): SpecChange[] {
  const changes: SpecChange[] = [];
  if (after.securityContext !== before.securityContext)
    changes.push({ path: ['securityContext'], value: after.securityContext });
  for (const list of LISTS) {
    after[list]?.forEach((container, index) => {
      if (container.securityContext !== before[list]?.[index]?.securityContext) {
        changes.push({ path: [list, index, 'securityContext'], value: container.securityContext });
      }
    });
  }
  return changes;
}

/**
 * Runs the mutation steps in order: legacy annotations first, so a translated profile is not
 * then overwritten by the default. Windows pods are never mutated: the fields we set are
 * Linux-only and the API server refuses them there. The input is not modified.
 */
export function mutatePod(input: MutationInput, policy: Policy): MutationResult {
  const report: MutationReport = { changes: [], notes: [] };
  if (!policy.mutation.enabled || isWindowsPod(input.spec)) {
    return { specChanges: [], ...report };
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
  const result: MutationResult = {
    specChanges: changedSecurityContexts(input.spec, pod.spec),
    ...report,
  };
  if (
    pod.annotations &&
    input.annotations &&
    Object.keys(pod.annotations).length !== Object.keys(input.annotations).length
  ) {
    result.annotations = pod.annotations;
  }
  return result;
}
