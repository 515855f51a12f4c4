import type { AppArmorProfile, SeccompProfile } from 'kubernetes-types/core/v1.js';
import type { PathSegment } from '../json/field-path.ts';
import { containersOf, type PodUnderReview } from './pod-under-review.ts';

export type ProfileField = 'seccompProfile' | 'appArmorProfile';

/** A place where a seccomp or AppArmor profile is set, and whom it confines. */
export interface ProfileSite<P> {
  profile: P;
  /** Path to the profile object itself, e.g. `[..., 'securityContext', 'seccompProfile']`. */
  path: readonly PathSegment[];
  subject: string;
  order: number;
  /** True when a judged container takes the pod-level profile (only on the ephemeralcontainers subresource). */
  inherited: boolean;
}

/**
 * The profiles to judge: the pod level (when the pod level is judged) and each judged container's
 * own. When the pod level is not judged, a container without its own profile is judged by the
 * pod's, since that is what it will run with.
 */
export function profileSites(
  pod: PodUnderReview,
  field: 'seccompProfile',
): ProfileSite<SeccompProfile>[];
export function profileSites(
  pod: PodUnderReview,
  field: 'appArmorProfile',
): ProfileSite<AppArmorProfile>[];
export function profileSites(
  pod: PodUnderReview,
  field: ProfileField,
): ProfileSite<SeccompProfile | AppArmorProfile>[] {
  const sites: ProfileSite<SeccompProfile | AppArmorProfile>[] = [];
  const podProfile = pod.spec.securityContext?.[field] ?? undefined;
  const podPath = [...pod.specPath, 'securityContext', field];
  if (podProfile && pod.judgePodLevel) {
    sites.push({ profile: podProfile, path: podPath, subject: 'pod', order: 0, inherited: false });
  }
  for (const ref of containersOf(pod)) {
    const own = ref.container.securityContext?.[field] ?? undefined;
    if (own) {
      sites.push({
        profile: own,
        path: [...ref.path, 'securityContext', field],
        subject: ref.label,
        order: ref.order,
        inherited: false,
      });
    } else if (podProfile && !pod.judgePodLevel) {
      sites.push({
        profile: podProfile,
        path: podPath,
        subject: ref.label,
        order: ref.order,
        inherited: true,
      });
    }
  }
  return sites;
}
