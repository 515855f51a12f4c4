/**
 * privileged — `securityContext.privileged: true` is forbidden on every container: a privileged
 * container gets every capability, all host devices and no seccomp filter, whatever else is set.
 * Its Windows form, a HostProcess container (`windowsOptions.hostProcess: true`, on the pod or a
 * container), runs on the host itself with a host account; it is forbidden on every pod,
 * Windows pods included, which are otherwise exempt from these Linux rules.
 */
import { formatFieldPath, type PathSegment } from '../field-path.ts';
import { containersOf, isWindowsPod } from '../pod-under-review.ts';
import type { Check, Violation } from '../violation.ts';

function hostProcessViolation(
  path: readonly PathSegment[],
  subject: string,
  order: number,
): Violation {
  const field = formatFieldPath([...path, 'securityContext', 'windowsOptions', 'hostProcess']);
  return {
    rule: 'privileged',
    subject,
    order,
    field,
    problem: 'runs as a Windows HostProcess container (on the node itself, with a host account)',
    fix: `remove ${field}`,
  };
}

export const privileged: Check = {
  id: 'privileged',
  isEnabled: (policy) => policy.rules.privileged,
  evaluate(pod) {
    const violations: Violation[] = [];
    if (pod.judgePodLevel && pod.spec.securityContext?.windowsOptions?.hostProcess === true) {
      violations.push(hostProcessViolation(pod.specPath, 'pod', 0));
    }
    const windows = isWindowsPod(pod.spec);
    for (const ref of containersOf(pod)) {
      const { securityContext } = ref.container;
      if (securityContext?.windowsOptions?.hostProcess === true) {
        violations.push(hostProcessViolation(ref.path, ref.label, ref.order));
      }
      if (windows || securityContext?.privileged !== true) continue;
      const field = formatFieldPath([...ref.path, 'securityContext', 'privileged']);
      violations.push({
        rule: 'privileged',
        subject: ref.label,
        order: ref.order,
        field,
        problem: 'runs privileged (all capabilities, host devices, no seccomp)',
        fix: `set ${field}: false`,
      });
    }
    return violations;
  },
};
