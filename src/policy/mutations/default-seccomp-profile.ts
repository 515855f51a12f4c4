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
  writablePodSecurityContext,
  writableSecurityContext,
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
    writablePodSecurityContext(pod).seccompProfile = { ...profile };
    report.changes.push(`set spec.securityContext.seccompProfile to ${profile.type}`);
    return;
  }
  for (const { container, label } of mutableContainers(pod)) {
    if (container.securityContext?.seccompProfile) continue;
    writableSecurityContext(pod, container).seccompProfile = { ...profile };
    report.changes.push(`set ${label} seccompProfile to ${profile.type}`);
  }
}
