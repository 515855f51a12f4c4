/**
 * Legacy seccomp annotations → fields. `seccomp.security.alpha.kubernetes.io/pod` becomes
 * `spec.securityContext.seccompProfile`, `container.seccomp.security.alpha.kubernetes.io/<name>`
 * that container's `securityContext.seccompProfile`. A field already set wins. The annotation is
 * then removed (unless configured otherwise): Kubernetes ignores it since 1.27, and the API server
 * refuses a pod whose annotation and field disagree. Annotations naming no container, or whose
 * value maps to no profile, are left alone and reported.
 */
import type { ContainerRef } from '../../workloads/containers.ts';
import type { Policy } from '../policy.ts';
import {
  SECCOMP_CONTAINER_ANNOTATION_PREFIX,
  SECCOMP_POD_ANNOTATION,
  seccompProfileFromAnnotation,
} from '../legacy-annotations.ts';
import {
  findContainer,
  podSeccompField,
  removeAnnotation,
  setContainerProfile,
  setPodSeccompProfile,
  type MutablePod,
  type MutationReport,
} from './mutable-pod.ts';

export function translateLegacySeccompAnnotations(
  pod: MutablePod,
  policy: Policy,
  report: MutationReport,
): void {
  const { enabled, removeAnnotations } = policy.mutation.legacySeccompAnnotations;
  // On the ephemeralcontainers subresource the API server drops annotation changes.
  if (!enabled || !pod.canChangePodLevel) return;

  for (const [key, value] of Object.entries(pod.annotations)) {
    let ref: ContainerRef | undefined;
    if (key.startsWith(SECCOMP_CONTAINER_ANNOTATION_PREFIX)) {
      ref = findContainer(pod, key.slice(SECCOMP_CONTAINER_ANNOTATION_PREFIX.length));
      if (!ref) {
        report.notes.push(
          `annotation ${key} names no container of this pod; left as is (Kubernetes ignores it)`,
        );
        continue;
      }
    } else if (key !== SECCOMP_POD_ANNOTATION) continue;

    const profile = seccompProfileFromAnnotation(value);
    if (!profile) {
      report.notes.push(
        `annotation ${key}: "${value}" maps to no seccomp profile; left as is (Kubernetes ignores it)`,
      );
      continue;
    }
    const where = ref ? `${ref.label} seccompProfile` : podSeccompField(pod);
    const existing = ref
      ? ref.container.securityContext?.seccompProfile
      : pod.spec.securityContext?.seccompProfile;
    if (existing) {
      report.changes.push(`kept existing ${where} over annotation ${key}`);
    } else {
      if (ref) setContainerProfile(pod, ref, 'seccompProfile', profile);
      else setPodSeccompProfile(pod, profile);
      report.changes.push(
        `set ${where} to ${profile.type}${profile.localhostProfile ? ` ${profile.localhostProfile}` : ''} from annotation ${key}`,
      );
    }
    if (removeAnnotations) removeAnnotation(pod, key);
  }
}
