/**
 * seccompUnconfined — `seccompProfile.type: Unconfined` is forbidden wherever it is written: at
 * the pod level (even when every container overrides it, since a container added later, by a
 * sidecar injector or `kubectl debug`, would inherit it) and on any container.
 */
import { formatFieldPath } from '../../json/field-path.ts';
import { isWindowsPod } from '../pod-under-review.ts';
import { profileSites } from '../profile-sites.ts';
import type { Check, Violation } from '../violation.ts';

export const seccompUnconfined: Check = {
  id: 'seccompUnconfined',
  isEnabled: (policy) => policy.rules.seccompUnconfined,
  evaluate(pod) {
    if (isWindowsPod(pod.spec)) return [];
    const violations: Violation[] = [];
    for (const site of profileSites(pod, 'seccompProfile')) {
      if (site.profile.type !== 'Unconfined') continue;
      const field = `${formatFieldPath(site.path)}.type`;
      violations.push({
        rule: 'seccompUnconfined',
        subject: site.subject,
        order: site.order,
        field,
        problem: site.inherited
          ? `inherits seccomp profile Unconfined from ${formatFieldPath(site.path)} (no syscall filtering)`
          : 'sets seccomp profile Unconfined (no syscall filtering)',
        fix: site.inherited
          ? `set its own securityContext.seccompProfile.type: RuntimeDefault`
          : `set ${field}: RuntimeDefault`,
      });
    }
    return violations;
  },
};
