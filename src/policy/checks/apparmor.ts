/**
 * appArmor — an `Unconfined` AppArmor profile is forbidden: in `securityContext.appArmorProfile`
 * at the pod or container level, and in the legacy annotation
 * `container.apparmor.security.beta.kubernetes.io/<container>: unconfined`, which kubelets still honour.
 */
import { formatFieldPath } from '../../json/field-path.ts';
import { APPARMOR_CONTAINER_ANNOTATION_PREFIX } from '../legacy-annotations.ts';
import { containersOf, isWindowsPod } from '../pod-under-review.ts';
import { profileSites } from '../profile-sites.ts';
import type { Check, Violation } from '../violation.ts';

export const appArmor: Check = {
  id: 'appArmor',
  isEnabled: (policy) => policy.rules.appArmor,
  evaluate(pod) {
    if (isWindowsPod(pod.spec)) return [];
    const violations: Violation[] = [];
    for (const site of profileSites(pod, 'appArmorProfile')) {
      if (site.profile.type !== 'Unconfined') continue;
      const field = `${formatFieldPath(site.path)}.type`;
      violations.push({
        rule: 'appArmor',
        subject: site.subject,
        order: site.order,
        field,
        problem: `${site.inherited ? 'inherits' : 'sets'} AppArmor profile Unconfined`,
        fix: site.inherited
          ? 'set its own securityContext.appArmorProfile.type: RuntimeDefault'
          : `set ${field}: RuntimeDefault`,
      });
    }
    for (const ref of containersOf(pod)) {
      const key = APPARMOR_CONTAINER_ANNOTATION_PREFIX + ref.container.name;
      if (pod.annotations[key] !== 'unconfined') continue;
      const field = formatFieldPath([...pod.metadataPath, 'annotations', key]);
      violations.push({
        rule: 'appArmor',
        subject: ref.label,
        order: ref.order,
        field,
        problem: `is AppArmor-unconfined by annotation ${field}`,
        fix: `remove that annotation and set ${formatFieldPath([...ref.path, 'securityContext', 'appArmorProfile', 'type'])}: RuntimeDefault`,
      });
    }
    return violations;
  },
};
