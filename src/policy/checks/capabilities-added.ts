/**
 * capabilitiesAdded — `securityContext.capabilities.add` may only name capabilities on the
 * policy's allowed list (baseline: the Pod Security Standard's 13; restricted: NET_BIND_SERVICE).
 * Names are compared after normalising (trim, upper case, no `CAP_`), because runtimes grant
 * `sys_admin` as SYS_ADMIN. `ALL` and names that are no Linux capability are always forbidden.
 * An allowed capability in another spelling (`chown`, `CAP_CHOWN`) must be written canonically,
 * as Pod Security Admission requires, so that every other tool reading the manifest agrees.
 */
import { parseCapabilityName } from '../capabilities.ts';
import { formatFieldPath } from '../../json/field-path.ts';
import { containersOf, isWindowsPod } from '../pod-under-review.ts';
import type { Check, Violation } from '../violation.ts';

export const capabilitiesAdded: Check = {
  id: 'capabilitiesAdded',
  isEnabled: (policy) => policy.rules.capabilitiesAdded.enabled,
  evaluate(pod, policy) {
    if (isWindowsPod(pod.spec)) return [];
    const allowed = policy.rules.capabilitiesAdded.allowed;
    const violations: Violation[] = [];
    for (const ref of containersOf(pod)) {
      const added = ref.container.securityContext?.capabilities?.add ?? undefined;
      if (!added) continue;
      const listPath = formatFieldPath([...ref.path, 'securityContext', 'capabilities', 'add']);
      added.forEach((raw, index) => {
        const cap = parseCapabilityName(raw);
        const field = `${listPath}[${index}]`;
        const quoted = JSON.stringify(raw);
        const shown = cap.isCanonicalSpelling ? cap.canonical : `${quoted} (${cap.canonical})`;
        let problem: string | undefined;
        let fix = `remove ${JSON.stringify(raw)} from ${listPath}`;
        if (cap.canonical === 'ALL') problem = `adds ${shown}: every Linux capability`;
        else if (!cap.isKnown) problem = `adds ${quoted}, which is not a Linux capability`;
        else if (!allowed.has(cap.canonical))
          problem = `adds capability ${shown}, which the ${policy.preset} policy does not allow`;
        else if (!cap.isCanonicalSpelling) {
          problem = `spells capability ${quoted} in a form Kubernetes does not document`;
          fix = `write ${cap.canonical} at ${field}`;
        }
        if (problem)
          violations.push({
            rule: 'capabilitiesAdded',
            subject: ref.label,
            order: ref.order,
            field,
            problem,
            fix,
          });
      });
    }
    return violations;
  },
};
