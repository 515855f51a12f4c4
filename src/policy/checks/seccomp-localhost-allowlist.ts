/**
 * seccompLocalhostAllowlist — when the configuration lists profile patterns, a `Localhost`
 * seccomp profile must match one of them: a node's profile directory can hold permissive
 * profiles that are Unconfined in all but name.
 */
import { formatFieldPath } from '../field-path.ts';
import { isWindowsPod } from '../pod-under-review.ts';
import { profileSites } from '../profile-sites.ts';
import type { Check, Violation } from '../violation.ts';

export const seccompLocalhostAllowlist: Check = {
  id: 'seccompLocalhostAllowlist',
  isEnabled: (policy) =>
    policy.rules.seccompLocalhostAllowlist.enabled &&
    policy.rules.seccompLocalhostAllowlist.patterns.length > 0,
  evaluate(pod, policy) {
    if (isWindowsPod(pod.spec)) return [];
    const { patterns, matchers } = policy.rules.seccompLocalhostAllowlist;
    const violations: Violation[] = [];
    for (const site of profileSites(pod, 'seccompProfile')) {
      if (site.profile.type !== 'Localhost') continue;
      const name = site.profile.localhostProfile ?? '';
      if (matchers.some((m) => m.test(name))) continue;
      const field = `${formatFieldPath(site.path)}.localhostProfile`;
      violations.push({
        rule: 'seccompLocalhostAllowlist',
        subject: site.subject,
        order: site.order,
        field,
        problem: `${site.inherited ? 'inherits' : 'uses'} Localhost seccomp profile "${name}", which is not in the allowed list (${patterns.join(', ')})`,
        fix: `set ${field} to an allowed profile, or ${formatFieldPath(site.path)}.type: RuntimeDefault`,
      });
    }
    return violations;
  },
};
