/**
 * Legacy seccomp annotations → fields. `seccomp.security.alpha.kubernetes.io/pod` becomes
 * `spec.securityContext.seccompProfile`, `container.seccomp.security.alpha.kubernetes.io/<name>`
 * that container's `securityContext.seccompProfile`. A field already set wins. The annotation is
 * then removed (unless configured otherwise): Kubernetes ignores it since 1.27, and the API server
 * refuses a pod whose annotation and field disagree. Annotations naming no container, or whose
 * value maps to no profile, are left alone and reported.
 */
import type { Container, EphemeralContainer } from 'kubernetes-types/core/v1.js';
import type { Policy } from '../policy.ts';
import {
  SECCOMP_CONTAINER_ANNOTATION_PREFIX,
  SECCOMP_POD_ANNOTATION,
  seccompProfileFromAnnotation,
} from '../legacy-annotations.ts';
import {
  findContainer,
  writablePodSecurityContext,
  writableSecurityContext,
  type MutablePod,
  type MutationReport,
} from './mutable-pod.ts';

export function translateLegacySeccompAnnotations(
  pod: MutablePod,
  policy: Policy,
  report: MutationReport,
): void {
  const { enabled, removeAnnotations } = policy.mutation.legacySeccompAnnotations;
  const annotations = pod.annotations;
  // On the ephemeralcontainers subresource the API server drops annotation changes.
  if (!enabled || !annotations || !pod.canChangePodLevel) return;

  for (const [key, value] of Object.entries(annotations)) {
    let container: Container | EphemeralContainer | undefined;
    if (key.startsWith(SECCOMP_CONTAINER_ANNOTATION_PREFIX)) {
      container = findContainer(pod, key.slice(SECCOMP_CONTAINER_ANNOTATION_PREFIX.length));
      if (!container) {
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
    const where = container
      ? `container "${container.name}" seccompProfile`
      : 'spec.securityContext.seccompProfile';
    const existing = container
      ? container.securityContext?.seccompProfile
      : pod.spec.securityContext?.seccompProfile;
    if (existing) {
      report.changes.push(`kept existing ${where} over annotation ${key}`);
    } else {
      const securityContext = container
        ? writableSecurityContext(pod, container)
        : writablePodSecurityContext(pod);
      securityContext.seccompProfile = profile;
      report.changes.push(
        `set ${where} to ${profile.type}${profile.localhostProfile ? ` ${profile.localhostProfile}` : ''} from annotation ${key}`,
      );
    }
    if (removeAnnotations) delete annotations[key];
  }
}
