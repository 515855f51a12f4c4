/**
 * privileged — `securityContext.privileged: true` is forbidden on every container: a privileged
 * container gets every capability, all host devices and no seccomp filter, whatever else is set.
 * Its Windows form, a HostProcess container (`windowsOptions.hostProcess: true`, on the pod or a
 * container), runs on the host itself with a host account; it is forbidden on every pod,
 * Windows pods included, which are otherwise exempt from these Linux rules. A container without
 * its own `hostProcess` takes the pod's, so where the pod level is not judged (a container added
 * through `pods/ephemeralcontainers`), a pod-level HostProcess counts against the new container.
 */
import { formatFieldPath, type PathSegment } from '../../json/field-path.ts';
import { containersOf, isWindowsPod } from '../pod-under-review.ts';
import type { Check, Violation } from '../violation.ts';

function hostProcessViolation(
  path: readonly PathSegment[],
  subject: string,
  order: number,
  inherited: boolean,
): Violation {
  const field = formatFieldPath([...path, 'securityContext', 'windowsOptions', 'hostProcess']);
  return {
    rule: 'privileged',
    subject,
    order,
    field,
    problem: inherited
      ? `inherits Windows HostProcess from ${field} (runs on the node itself, with a host account)`
      : 'runs as a Windows HostProcess container (on the node itself, with a host account)',
    fix: inherited
      ? 'add no containers to a HostProcess pod: every container of it runs on the node; debug it on the node instead'
      : `remove ${field}`,
  };
}

export const privileged: Check = {
  id: 'privileged',
  isEnabled: (policy) => policy.rules.privileged,
  evaluate(pod) {
    const violations: Violation[] = [];
    const podHostProcess = pod.spec.securityContext?.windowsOptions?.hostProcess === true;
    if (pod.judgePodLevel && podHostProcess) {
      violations.push(hostProcessViolation(pod.specPath, 'pod', 0, false));
    }
    const windows = isWindowsPod(pod.spec);
    for (const ref of containersOf(pod)) {
      const { securityContext } = ref.container;
      const own = securityContext?.windowsOptions?.hostProcess ?? undefined;
      if (own === true) {
        violations.push(hostProcessViolation(ref.path, ref.label, ref.order, false));
      } else if (own === undefined && podHostProcess && !pod.judgePodLevel) {
        violations.push(hostProcessViolation(pod.specPath, ref.label, ref.order, true));
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
