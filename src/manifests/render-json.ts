/**
 * The report as JSON for scripts: flat `findings` in the shape of `scan --output json`'s findings
 * (resource, container, subject, rule, severity, status, field, message, fix) plus where they sit
 * (`file`, `line`, `column`) and the mode that judged them; the judged `objects`, and per-file
 * counts of what was not judged. Every finding is one that stays after mutation (`refused`, in
 * enforce mode); what the mutation fixes is listed as each object's `changes`.
 */
import { RULE_SEVERITY } from '../policy/rule-severity.ts';
import type { CheckReport } from './check-report.ts';

const CONTAINER_SUBJECT = /^(?:init |ephemeral )?container "(.*)"$/;

export const CHECK_REPORT_API_VERSION = 'runtime-guard.io/v1alpha1';

export function reportJson(report: CheckReport): Record<string, unknown> {
  return {
    apiVersion: CHECK_REPORT_API_VERSION,
    kind: 'CheckReport',
    preset: report.preset,
    mutation: report.mutation,
    summary: report.summary,
    findings: report.files.flatMap((file) =>
      file.objects.flatMap((object) =>
        object.findings.map((finding) => ({
          resource: {
            apiVersion: finding.object.apiVersion,
            kind: finding.object.kind,
            namespace: finding.object.namespace ?? '',
            name: finding.object.name,
          },
          container: CONTAINER_SUBJECT.exec(finding.subject)?.[1] ?? null,
          subject: finding.subject,
          rule: finding.rule,
          severity: finding.rule === 'malformed' ? 'high' : RULE_SEVERITY[finding.rule],
          status: 'refused',
          field: finding.field,
          message: finding.message,
          fix: finding.fix,
          mode: finding.mode,
          file: finding.file,
          line: finding.line,
          column: finding.column,
        })),
      ),
    ),
    objects: report.files.flatMap((file) =>
      file.objects.map((object) => ({
        file: object.file,
        line: object.line,
        apiVersion: object.object.apiVersion,
        kind: object.object.kind,
        name: object.object.name,
        namespace: object.object.namespace ?? null,
        status: object.status,
        ...(object.reason ? { reason: object.reason } : {}),
        findings: object.findings.length,
        changes: object.changes,
        notes: object.notes,
        ...(object.renderedFrom ? { renderedFrom: object.renderedFrom } : {}),
      })),
    ),
    files: report.files.map((file) => ({
      file: file.file,
      objects: file.objects.length,
      otherKinds: file.otherKinds,
      notKubernetes: file.notKubernetes,
      ...(file.helmTemplate ? { helmChart: file.helmTemplate.chart } : {}),
      ...(file.fixed ? { changed: file.fixed.changed, unfixed: file.fixed.unfixed } : {}),
    })),
  };
}

export function renderJson(report: CheckReport): string {
  return `${JSON.stringify(reportJson(report), null, 2)}\n`;
}
