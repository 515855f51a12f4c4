/**
 * What `runtime-guard check` found, as data: every renderer (text, JSON, SARIF, JUnit,
 * PolicyReport) reads this and nothing else. A finding carries the violation's own words
 * (src/render), never re-worded, and where it sits in the source.
 */
import type { Mode } from '../admission/settings.ts';
import type { RuleId } from '../policy/policy.ts';

/** A violation's rule, or `malformed` for an object the webhook refuses as unreadable. */
export type FindingRule = RuleId | 'malformed';

/** enforce: the apiserver refuses the object; warn: admitted with warnings; audit: only recorded. */
export type Severity = 'error' | 'warning' | 'note';

export const SEVERITY_OF_MODE: Record<Mode, Severity> = {
  enforce: 'error',
  warn: 'warning',
  audit: 'note',
};

export interface SourcePosition {
  /** The input as given: a path relative to the working directory, or `<stdin>`. */
  file: string;
  /** From 1. */
  line: number;
  /** From 1. */
  column: number;
}

export interface ObjectIdentity {
  apiVersion: string;
  kind: string;
  /** `metadata.name`, `generateName*`, or `(unnamed)`. */
  name: string;
  namespace: string | undefined;
}

export interface Finding extends SourcePosition {
  object: ObjectIdentity;
  rule: FindingRule;
  /** `pod`, `container "app"`, …; `object` for a malformed one. */
  subject: string;
  /** The offending field, relative to the object, as in the webhook's messages. */
  field: string;
  problem: string;
  fix: string;
  /** `subject: problem. Fix: fix`, the webhook's own line. */
  message: string;
  mode: Mode;
  severity: Severity;
}

export type ObjectStatus =
  /** Nothing to refuse. */
  | 'passed'
  /** Refused in enforce mode. */
  | 'refused'
  /** Admitted with warnings (warn) or silently (audit), violations recorded. */
  | 'warned'
  | 'audited'
  /** Exempt by namespace or runtimeClassName: allowed unevaluated. */
  | 'exempt'
  /** Not reviewed: its namespace is in mode `off`. */
  | 'skipped';

export interface CheckedObject extends SourcePosition {
  object: ObjectIdentity;
  status: ObjectStatus;
  /** Why it is exempt or skipped. */
  reason?: string;
  findings: Finding[];
  /** What the mutating webhook changes, in words (empty when judged as written). */
  changes: string[];
  /** What the mutation saw and left alone. */
  notes: string[];
  /** `chart/templates/web.yaml` when the document came out of `helm template`. */
  renderedFrom?: string;
}

/** A document `--fix` could not rewrite, with the changes to make by hand. */
export interface UnfixedDocument extends SourcePosition {
  reason: string;
  changes: string[];
}

export interface FileReport {
  file: string;
  objects: CheckedObject[];
  /** Objects of kinds that carry no pod, by kind. */
  otherKinds: Record<string, number>;
  notKubernetes: number;
  /** Set for a Helm chart template, which is not read: `helm template` it first. */
  helmTemplate?: { chart: string };
  /** With --fix: the file's new text (the old one when nothing changed). */
  fixed?: { text: string; changed: boolean; unfixed: UnfixedDocument[] };
}

export interface CheckSummary {
  files: number;
  /** Pod-carrying objects judged, exempt or skipped. */
  objects: number;
  passed: number;
  refused: number;
  warned: number;
  audited: number;
  exempt: number;
  skipped: number;
  /** Objects the mutating webhook would change. */
  mutated: number;
  findings: number;
  otherKinds: number;
  notKubernetes: number;
  helmTemplates: number;
}

export interface CheckReport {
  preset: string;
  /** False with --no-mutation: judged as written. */
  mutation: boolean;
  files: FileReport[];
  summary: CheckSummary;
}

export function summarize(files: readonly FileReport[]): CheckSummary {
  const summary: CheckSummary = {
    files: files.length,
    objects: 0,
    passed: 0,
    refused: 0,
    warned: 0,
    audited: 0,
    exempt: 0,
    skipped: 0,
    mutated: 0,
    findings: 0,
    otherKinds: 0,
    notKubernetes: 0,
    helmTemplates: 0,
  };
  for (const file of files) {
    if (file.helmTemplate) summary.helmTemplates++;
    summary.notKubernetes += file.notKubernetes;
    for (const count of Object.values(file.otherKinds)) summary.otherKinds += count;
    for (const object of file.objects) {
      summary.objects++;
      summary[object.status]++;
      summary.findings += object.findings.length;
      if (object.changes.length > 0) summary.mutated++;
    }
  }
  return summary;
}

export function allFindings(report: CheckReport): Finding[] {
  return report.files.flatMap((file) => file.objects.flatMap((object) => object.findings));
}
