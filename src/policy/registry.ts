import { appArmor } from './checks/apparmor.ts';
import { capabilitiesAdded } from './checks/capabilities-added.ts';
import { capabilitiesDropAll } from './checks/capabilities-drop-all.ts';
import { privileged } from './checks/privileged.ts';
import { seccompLocalhostAllowlist } from './checks/seccomp-localhost-allowlist.ts';
import { seccompRequired } from './checks/seccomp-required.ts';
import { seccompUnconfined } from './checks/seccomp-unconfined.ts';
import { RULE_ORDER, type Policy } from './policy.ts';
import type { PodUnderReview } from './pod-under-review.ts';
import type { Check, Violation } from './violation.ts';

export const CHECKS: readonly Check[] = [
  privileged,
  seccompUnconfined,
  seccompRequired,
  seccompLocalhostAllowlist,
  capabilitiesAdded,
  capabilitiesDropAll,
  appArmor,
];

const RULE_RANK = new Map(RULE_ORDER.map((id, rank) => [id, rank]));

/**
 * Every enabled check on one pod; violations ordered by container, then rule, then as the check
 * found them (in list order: `add[2]` before `add[10]`). The sort is stable.
 */
export function evaluatePod(pod: PodUnderReview, policy: Policy): Violation[] {
  const violations: Violation[] = [];
  for (const check of CHECKS) {
    if (!check.isEnabled(policy)) continue;
    // A loop, not push(...found): 150,000 violations as arguments overflow the stack.
    for (const violation of check.evaluate(pod, policy)) violations.push(violation);
  }
  return violations.sort(
    (a, b) => a.order - b.order || (RULE_RANK.get(a.rule) ?? 0) - (RULE_RANK.get(b.rule) ?? 0),
  );
}
