/**
 * seccompRequired — every container (init, regular, ephemeral) must run with a seccomp profile
 * of type `RuntimeDefault` or `Localhost`: its own `securityContext.seccompProfile`, else the
 * pod's `spec.securityContext.seccompProfile`. A container with neither runs unconfined on most
 * nodes. Legacy annotations do not count: Kubernetes ignores them since 1.27.
 * `Unconfined` is left to the seccompUnconfined check when that check is on, so one mistake
 * gives one line.
 */
import { formatFieldPath } from '../../json/field-path.ts';
import { legacySeccompAnnotationFor } from '../legacy-annotations.ts';
import { containersOf, isWindowsPod } from '../pod-under-review.ts';
import type { Check, Violation } from '../violation.ts';

const ALLOWED_TYPES = new Set(['RuntimeDefault', 'Localhost']);

export const seccompRequired: Check = {
  id: 'seccompRequired',
  isEnabled: (policy) => policy.rules.seccompRequired,
  evaluate(pod, policy) {
    if (isWindowsPod(pod.spec)) return [];
    const violations: Violation[] = [];
    const podProfile = pod.spec.securityContext?.seccompProfile ?? undefined;
    for (const ref of containersOf(pod)) {
      const own = ref.container.securityContext?.seccompProfile ?? undefined;
      const effective = own ?? podProfile;
      if (effective && ALLOWED_TYPES.has(effective.type)) continue;
      if (effective?.type === 'Unconfined' && policy.rules.seccompUnconfined) continue;

      const ownPath = formatFieldPath([...ref.path, 'securityContext', 'seccompProfile']);
      if (!effective) {
        // Fix at the pod level when the pod level is ours to change: one line fixes every container.
        const fixPath = pod.judgePodLevel
          ? formatFieldPath([...pod.specPath, 'securityContext', 'seccompProfile', 'type'])
          : `${ownPath}.type`;
        const legacy = legacySeccompAnnotationFor(pod.annotations, ref.container.name);
        const legacyNote = legacy
          ? `; its annotation ${formatFieldPath([...pod.metadataPath, 'annotations', legacy.key])}: ${legacy.value} has been ignored since Kubernetes 1.27`
          : '';
        violations.push({
          rule: 'seccompRequired',
          subject: ref.label,
          order: ref.order,
          field: ownPath,
          problem: `has no seccomp profile${legacyNote}`,
          fix: `set ${fixPath}: RuntimeDefault`,
        });
      } else {
        const at = own
          ? ownPath
          : formatFieldPath([...pod.specPath, 'securityContext', 'seccompProfile']);
        violations.push({
          rule: 'seccompRequired',
          subject: ref.label,
          order: ref.order,
          field: `${at}.type`,
          problem: `runs seccomp profile type "${effective.type}", which is not RuntimeDefault or Localhost`,
          fix: `set ${at}.type: RuntimeDefault`,
        });
      }
    }
    return violations;
  },
};
