/**
 * Legacy AppArmor annotations → fields (opt-in; the fields exist from Kubernetes 1.30).
 * `container.apparmor.security.beta.kubernetes.io/<name>` becomes that container's
 * `securityContext.appArmorProfile`; a field already set wins; the annotation is then removed
 * unless configured otherwise. Unknown containers and values are left alone and reported.
 */
import type { Policy } from '../policy.ts';
import {
  APPARMOR_CONTAINER_ANNOTATION_PREFIX,
  appArmorProfileFromAnnotation,
} from '../legacy-annotations.ts';
import {
  findContainer,
  removeAnnotation,
  setContainerProfile,
  type MutablePod,
  type MutationReport,
} from './mutable-pod.ts';

export function translateLegacyAppArmorAnnotations(
  pod: MutablePod,
  policy: Policy,
  report: MutationReport,
): void {
  const { enabled, removeAnnotations } = policy.mutation.legacyAppArmorAnnotations;
  if (!enabled || !pod.canChangePodLevel) return;

  for (const [key, value] of Object.entries(pod.annotations)) {
    if (!key.startsWith(APPARMOR_CONTAINER_ANNOTATION_PREFIX)) continue;
    const name = key.slice(APPARMOR_CONTAINER_ANNOTATION_PREFIX.length);
    const ref = findContainer(pod, name);
    if (!ref) {
      report.notes.push(`annotation ${key} names no container of this pod; left as is`);
      continue;
    }
    const profile = appArmorProfileFromAnnotation(value);
    if (!profile) {
      report.notes.push(`annotation ${key}: "${value}" maps to no AppArmor profile; left as is`);
      continue;
    }
    if (ref.container.securityContext?.appArmorProfile) {
      report.changes.push(`kept existing appArmorProfile of ${ref.label} over annotation ${key}`);
    } else {
      setContainerProfile(pod, ref, 'appArmorProfile', profile);
      report.changes.push(
        `set appArmorProfile of ${ref.label} to ${profile.type} from annotation ${key}`,
      );
    }
    if (removeAnnotations) removeAnnotation(pod, key);
  }
}
