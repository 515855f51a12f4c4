/**
 * Default seccomp profile: a pod with no pod-level `seccompProfile` gets the configured one
 * (RuntimeDefault unless configured otherwise). Containers' own profiles are kept; an explicit
 * pod-level profile, Unconfined included, is never overwritten (validation judges it).
 * On the ephemeralcontainers subresource the pod level is fixed, so new ephemeral containers
 * without a profile of their own get it directly.
 */
import type { Policy } from '../policy.ts';
import {
  mutableContainers,
  podSeccompField,
  setContainerProfile,
  setPodSeccompProfile,
  type MutablePod,
  type MutationReport,
} from './mutable-pod.ts';

export function applyDefaultSeccompProfile(
  pod: MutablePod,
  policy: Policy,
  report: MutationReport,
): void {
  const { enabled, profile } = policy.mutation.defaultSeccompProfile;
  if (!enabled || pod.spec.securityContext?.seccompProfile) return;
  if (pod.canChangePodLevel) {
    setPodSeccompProfile(pod, profile);
    report.changes.push(`set ${podSeccompField(pod)} to ${profile.type}`);
    return;
  }
  for (const ref of mutableContainers(pod)) {
    if (ref.container.securityContext?.seccompProfile) continue;
    setContainerProfile(pod, ref, 'seccompProfile', profile);
    report.changes.push(`set ${ref.label} seccompProfile to ${profile.type}`);
  }
}
