/**
 * The one log line per admission decision. Built from the ReviewOutcome only, never from the
 * reviewed object: pods carry secrets in environment values and annotations.
 */
import type { ReviewOutcome } from '../admission/review-request.ts';

export interface DecisionLogFields {
  uid: string;
  endpoint: string;
  kind: string;
  object: string;
  operation: string;
  user: string;
  mode: string;
  decision: string;
  rules: string[];
  changes?: readonly string[];
  reason?: string;
  durationMs: number;
}

export function decisionLogFields(outcome: ReviewOutcome, durationMs: number): DecisionLogFields {
  const fields: DecisionLogFields = {
    uid: outcome.uid,
    endpoint: outcome.endpoint,
    kind: outcome.kind,
    object: outcome.namespace ? `${outcome.namespace}/${outcome.name}` : outcome.name,
    operation: outcome.operation,
    user: outcome.username,
    mode: outcome.mode,
    decision: outcome.decision,
    rules: [...new Set(outcome.violations.map((violation) => violation.rule))],
    durationMs: Math.round(durationMs * 1000) / 1000,
  };
  if (outcome.changes.length > 0) fields.changes = outcome.changes;
  if (outcome.reason) fields.reason = outcome.reason;
  return fields;
}
