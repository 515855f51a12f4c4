/**
 * The validating answer: the policy's violations, and what the mode makes of them — a denial
 * (enforce), an admission with kubectl warnings (warn) or a silent admission (audit); all three
 * record the violations in the audit annotations.
 */
import { evaluatePod } from '../policy/registry.ts';
import type { PodUnderReview } from '../policy/pod-under-review.ts';
import type { Violation } from '../policy/violation.ts';
import type { ObjectDescription } from '../render/violation-text.ts';
import type { AdmissionResponse } from './admission-review.ts';
import { auditViolations, denialMessage, violationWarnings } from './messages.ts';
import type { Mode, ReviewConfig } from './settings.ts';

export interface ValidatingAnswer {
  response: Omit<AdmissionResponse, 'uid'>;
  decision: 'allowed' | 'denied' | 'warned' | 'audited';
  violations: readonly Violation[];
}

export function validatingAnswer(
  pod: PodUnderReview,
  object: ObjectDescription,
  config: ReviewConfig,
  mode: Mode,
): ValidatingAnswer {
  const { policy } = config;
  const violations = evaluatePod(pod, policy);
  if (violations.length === 0)
    return { response: { allowed: true }, decision: 'allowed', violations };
  const auditAnnotations = {
    mode,
    policy: policy.preset,
    decision: mode === 'enforce' ? 'denied' : 'allowed',
    violations: auditViolations(violations),
  };
  switch (mode) {
    case 'enforce':
      return {
        response: {
          allowed: false,
          status: {
            code: 403,
            reason: 'Forbidden',
            message: denialMessage(object, policy.preset, mode, violations),
          },
          auditAnnotations,
        },
        decision: 'denied',
        violations,
      };
    case 'warn':
      return {
        response: {
          allowed: true,
          warnings: violationWarnings(object, policy.preset, mode, violations),
          auditAnnotations,
        },
        decision: 'warned',
        violations,
      };
    case 'audit':
      return { response: { allowed: true, auditAnnotations }, decision: 'audited', violations };
  }
}
