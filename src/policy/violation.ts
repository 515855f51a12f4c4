import type { Policy, RuleId } from './policy.ts';
import type { PodUnderReview } from './pod-under-review.ts';

/**
 * One thing a pod does that the policy forbids, as data: rendering into a denial message, a
 * warning or an audit annotation happens elsewhere (src/admission/messages.ts).
 */
export interface Violation {
  rule: RuleId;
  /** `pod`, or the container's label, e.g. `init container "setup"`. */
  subject: string;
  /** 0 for the pod level, else the container's position: gives messages a stable order. */
  order: number;
  /** The offending field, relative to the object, e.g. `spec.containers[0].securityContext.privileged`. */
  field: string;
  /** What is wrong, in a phrase that follows the subject. */
  problem: string;
  /** The exact change that fixes it. */
  fix: string;
}

export interface Check {
  id: RuleId;
  isEnabled(policy: Policy): boolean;
  evaluate(pod: PodUnderReview, policy: Policy): Violation[];
}
