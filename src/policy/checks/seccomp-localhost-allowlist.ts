/**
 * seccompLocalhostAllowlist — when the configuration lists profile patterns, a `Localhost`
 * seccomp profile must match one of them: a node's profile directory can hold permissive
 * profiles that are Unconfined in all but name.
 */
import { formatFieldPath } from '../../json/field-path.ts';
import { isWindowsPod } from '../pod-under-review.ts';
import { profileSites } from '../profile-sites.ts';
import type { Check, Violation } from '../violation.ts';

/** Linux's PATH_MAX: the kubelet cannot open a longer name. */
const MAX_PROFILE_NAME = 4096;

/**
 * Why a name is not matched at all: the kubelet loads `filepath.Join(root, name)`, which cleans
 * `a//b` and `a/./b` to `a/b`, so a pattern tested on the raw string would judge another file than
 * the one loaded: with a pattern `teams/{star}/strict.json`, `teams//strict.json` would load
 * `teams/strict.json`, which no pattern allows.
 */
function uncleanPath(name: string): string | undefined {
  if (name === '') return 'it is empty';
  if (name.length > MAX_PROFILE_NAME) return `it is longer than ${MAX_PROFILE_NAME} characters`;
  if (name.startsWith('/')) return 'it is absolute';
  const segments = name.split('/');
  if (segments.some((segment) => segment === '..')) return 'it has a ".." segment';
  if (segments.some((segment) => segment === '.')) return 'it has a "." segment';
  if (segments.some((segment) => segment === '')) return 'it has an empty segment';
  return undefined;
}

/** Long names are cut in messages: the developer needs the start, not 4 KiB of it. */
function shown(name: string): string {
  return name.length > 120 ? `${name.slice(0, 120)}…` : name;
}

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
      const unclean = uncleanPath(name);
      if (!unclean && matchers.some((m) => m.test(name))) continue;
      const field = `${formatFieldPath(site.path)}.localhostProfile`;
      const uses = `${site.inherited ? 'inherits' : 'uses'} Localhost seccomp profile "${shown(name)}"`;
      violations.push({
        rule: 'seccompLocalhostAllowlist',
        subject: site.subject,
        order: site.order,
        field,
        problem: unclean
          ? `${uses}, which is not a clean relative path (${unclean})`
          : `${uses}, which is not in the allowed list (${patterns.join(', ')})`,
        // A container added to a running pod cannot change the pod level: it sets its own.
        fix: site.inherited
          ? 'set its own securityContext.seccompProfile to an allowed Localhost profile, or its type to RuntimeDefault'
          : `set ${field} to an allowed profile, or ${formatFieldPath(site.path)}.type: RuntimeDefault`,
      });
    }
    return violations;
  },
};
