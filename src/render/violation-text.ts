/**
 * Violations as text, the same words for every reader: the denial `kubectl apply` prints,
 * kubectl's `Warning:` lines, the audit log, and the reports of scan and check.
 */
import type { Violation } from '../policy/violation.ts';

export interface ObjectDescription {
  kind: string;
  name: string;
  namespace?: string | undefined;
}

/** `Deployment "web" in namespace "shop"`. */
export function describeObject(object: ObjectDescription): string {
  const where = object.namespace ? ` in namespace "${object.namespace}"` : '';
  return `${object.kind} "${object.name}"${where}`;
}

/** `container "app": adds capability SYS_ADMIN, …. Fix: remove …`. */
export function violationLine(v: Violation): string {
  return `${v.subject}: ${v.problem}. Fix: ${v.fix}`;
}

/** At most `max` characters, the cut marked with an ellipsis. */
export function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
