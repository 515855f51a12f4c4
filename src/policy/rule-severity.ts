/**
 * How bad a violation of each rule is, for every report that ranks or filters findings (scan,
 * check, the in-cluster reports): privileged is the node; an added capability, Unconfined or an
 * unvetted profile is a way out of the container; a missing profile or drop list is a missing layer.
 */
import type { RuleId } from './policy.ts';

export type RuleSeverity = 'critical' | 'high' | 'medium' | 'low';

export const RULE_SEVERITY: Readonly<Record<RuleId, RuleSeverity>> = {
  privileged: 'critical',
  capabilitiesAdded: 'high',
  seccompUnconfined: 'high',
  seccompLocalhostAllowlist: 'high',
  appArmor: 'high',
  seccompRequired: 'medium',
  capabilitiesDropAll: 'medium',
};
