/**
 * privileged — `securityContext.privileged: true` is forbidden on every container: a privileged
 * container gets every capability, all host devices and no seccomp filter, whatever else is set.
 */
import { formatFieldPath } from '../field-path.ts';
import { containersOf, isWindowsPod } from '../pod-under-review.ts';
import type { Check, Violation } from '../violation.ts';

export const privileged: Check = {
  id: 'privileged',
  isEnabled: (policy) => policy.rules.privileged,
  evaluate(pod) {
    if (isWindowsPod(pod.spec)) return [];
    const violations: Violation[] = [];
    for (const ref of containersOf(pod)) {
      if (ref.container.securityContext?.privileged !== true) continue;
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
