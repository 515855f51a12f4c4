/**
 * capabilitiesDropAll (restricted) — every container's `securityContext.capabilities.drop` must
 * contain exactly `ALL`; capabilities it needs are then added back by name. Dropping a long list
 * of names is not enough: a kernel update can bring a new capability that the list misses.
 */
import { formatFieldPath } from '../../json/field-path.ts';
import { containersOf, isWindowsPod } from '../pod-under-review.ts';
import type { Check, Violation } from '../violation.ts';

export const capabilitiesDropAll: Check = {
  id: 'capabilitiesDropAll',
  isEnabled: (policy) => policy.rules.capabilitiesDropAll,
  evaluate(pod) {
    if (isWindowsPod(pod.spec)) return [];
    const violations: Violation[] = [];
    for (const ref of containersOf(pod)) {
      const dropped = ref.container.securityContext?.capabilities?.drop ?? [];
      if (dropped.includes('ALL')) continue;
      const field = formatFieldPath([...ref.path, 'securityContext', 'capabilities', 'drop']);
      violations.push({
        rule: 'capabilitiesDropAll',
        subject: ref.label,
        order: ref.order,
        field,
        problem: 'does not drop ALL capabilities',
        fix: `add "ALL" to ${field}`,
      });
    }
    return violations;
  },
};
