/**
 * Violations as the apiserver passes them on: the denial message that `kubectl apply` prints,
 * kubectl's `Warning:` lines, and the audit annotations. The words are src/render's; lengths are
 * bounded here, so a pod with hundreds of violations still gives a readable answer.
 */
import type { Preset } from '../policy/policy.ts';
import type { Violation } from '../policy/violation.ts';
import {
  clip,
  describeObject,
  violationLine,
  type ObjectDescription,
} from '../render/violation-text.ts';
import type { Mode } from './settings.ts';

export const MAX_MESSAGE_LINES = 20;
export const MAX_LINE_LENGTH = 400;
/** kubectl prints each warning on one line; the API server may truncate longer ones. */
export const MAX_WARNING_LENGTH = 255;
export const MAX_WARNINGS = 12;
export const MAX_AUDIT_VALUE_LENGTH = 4000;

export function denialMessage(
  object: ObjectDescription,
  preset: Preset,
  mode: Mode,
  violations: readonly Violation[],
): string {
  const count = violations.length === 1 ? '1 violation' : `${violations.length} violations`;
  const lines = [
    `runtime-guard: ${describeObject(object)} violates the ${preset} policy (mode: ${mode}), ${count}:`,
  ];
  for (const v of violations.slice(0, MAX_MESSAGE_LINES))
    lines.push(`- ${clip(violationLine(v), MAX_LINE_LENGTH)}`);
  const hidden = violations.length - MAX_MESSAGE_LINES;
  if (hidden > 0)
    lines.push(`- … and ${hidden} more; fix the ones above and apply again to see them`);
  return lines.join('\n');
}

export function violationWarnings(
  object: ObjectDescription,
  preset: Preset,
  mode: Mode,
  violations: readonly Violation[],
): string[] {
  const header = `runtime-guard (${mode} mode): ${describeObject(object)} violates the ${preset} policy and would be refused in enforce mode`;
  const warnings = [clip(header, MAX_WARNING_LENGTH)];
  for (const v of violations.slice(0, MAX_WARNINGS))
    warnings.push(clip(`runtime-guard: ${violationLine(v)}`, MAX_WARNING_LENGTH));
  const hidden = violations.length - MAX_WARNINGS;
  if (hidden > 0) warnings.push(`runtime-guard: … and ${hidden} more violations`);
  return warnings;
}

export function noteWarnings(notes: readonly string[]): string[] {
  const warnings = notes
    .slice(0, MAX_WARNINGS)
    .map((n) => clip(`runtime-guard: ${n}`, MAX_WARNING_LENGTH));
  if (notes.length > MAX_WARNINGS)
    warnings.push(`runtime-guard: … and ${notes.length - MAX_WARNINGS} more notes`);
  return warnings;
}

/** `rule@field` pairs for the audit log: compact, greppable, bounded. */
export function auditViolations(violations: readonly Violation[]): string {
  return clip(violations.map((v) => `${v.rule}@${v.field}`).join('; '), MAX_AUDIT_VALUE_LENGTH);
}

export function auditList(items: readonly string[]): string {
  return clip(items.join('; '), MAX_AUDIT_VALUE_LENGTH);
}
