/**
 * The pre-1.19 seccomp annotations and the pre-1.30 AppArmor annotations. Kubernetes ignores the
 * seccomp ones since 1.27: a pod that only carries them runs without a seccomp filter.
 */
import type { AppArmorProfile, SeccompProfile } from 'kubernetes-types/core/v1.js';

export const SECCOMP_POD_ANNOTATION = 'seccomp.security.alpha.kubernetes.io/pod';
export const SECCOMP_CONTAINER_ANNOTATION_PREFIX =
  'container.seccomp.security.alpha.kubernetes.io/';
export const APPARMOR_CONTAINER_ANNOTATION_PREFIX =
  'container.apparmor.security.beta.kubernetes.io/';

/** `runtime/default`, `docker/default`, `unconfined`, `localhost/<profile>`; anything else maps to nothing. */
export function seccompProfileFromAnnotation(value: string): SeccompProfile | undefined {
  if (value === 'runtime/default' || value === 'docker/default') return { type: 'RuntimeDefault' };
  if (value === 'unconfined') return { type: 'Unconfined' };
  if (value.startsWith('localhost/') && value.length > 'localhost/'.length) {
    return { type: 'Localhost', localhostProfile: value.slice('localhost/'.length) };
  }
  return undefined;
}

/** `runtime/default`, `unconfined`, `localhost/<profile>`; anything else maps to nothing. */
export function appArmorProfileFromAnnotation(value: string): AppArmorProfile | undefined {
  if (value === 'runtime/default') return { type: 'RuntimeDefault' };
  if (value === 'unconfined') return { type: 'Unconfined' };
  if (value.startsWith('localhost/') && value.length > 'localhost/'.length) {
    return { type: 'Localhost', localhostProfile: value.slice('localhost/'.length) };
  }
  return undefined;
}

/** The legacy seccomp annotation that would have applied to a container, if any. */
export function legacySeccompAnnotationFor(
  annotations: Readonly<Record<string, string>>,
  containerName: string,
): { key: string; value: string } | undefined {
  const containerKey = SECCOMP_CONTAINER_ANNOTATION_PREFIX + containerName;
  const containerValue = annotations[containerKey];
  if (containerValue !== undefined) return { key: containerKey, value: containerValue };
  const podValue = annotations[SECCOMP_POD_ANNOTATION];
  if (podValue !== undefined) return { key: SECCOMP_POD_ANNOTATION, value: podValue };
  return undefined;
}
