/**
 * The report as PolicyReports (`wgpolicyk8s.io/v1alpha2`, the Kubernetes Policy working group's
 * format that in-cluster reports use), one per namespace: a `fail` result per violation (with the
 * mode in its properties and severity), `error` for a malformed object, `skip` for an exempt or
 * skipped one, `pass` for an object with nothing to refuse.
 */
import { stringify } from 'yaml';
import type { CheckedObject, CheckReport, Severity } from './check-report.ts';

export const POLICY_REPORT_API_VERSION = 'wgpolicyk8s.io/v1alpha2';

type PolicyResultValue = 'pass' | 'fail' | 'warn' | 'error' | 'skip';

export interface PolicyReportResult {
  source: string;
  policy: string;
  rule: string;
  result: PolicyResultValue;
  severity?: 'critical' | 'high' | 'medium' | 'low' | 'info';
  scored: boolean;
  message: string;
  resources: { apiVersion: string; kind: string; name: string; namespace: string }[];
  properties: Record<string, string>;
}

export interface PolicyReport {
  apiVersion: typeof POLICY_REPORT_API_VERSION;
  kind: 'PolicyReport';
  metadata: { name: string; namespace: string; labels: Record<string, string> };
  summary: Record<PolicyResultValue, number>;
  results: PolicyReportResult[];
}

const SEVERITY: Record<Severity, 'high' | 'medium' | 'low'> = {
  error: 'high',
  warning: 'medium',
  note: 'low',
};

/** Objects without a namespace land where `kubectl apply` would put them. */
const DEFAULT_NAMESPACE = 'default';

function results(object: CheckedObject, policy: string): PolicyReportResult[] {
  const namespace = object.object.namespace ?? DEFAULT_NAMESPACE;
  const resources = [
    {
      apiVersion: object.object.apiVersion,
      kind: object.object.kind,
      name: object.object.name,
      namespace,
    },
  ];
  const where = { file: object.file, line: String(object.line) };
  const base = { source: 'runtime-guard', policy, scored: true, resources };
  if (object.status === 'exempt' || object.status === 'skipped')
    return [
      {
        ...base,
        rule: 'all',
        result: 'skip',
        message: object.reason ?? object.status,
        properties: where,
      },
    ];
  if (object.findings.length === 0)
    return [{ ...base, rule: 'all', result: 'pass', message: 'no violations', properties: where }];
  return object.findings.map((finding) => ({
    ...base,
    rule: finding.rule,
    result: finding.rule === 'malformed' ? 'error' : 'fail',
    severity: SEVERITY[finding.severity],
    message: finding.message,
    properties: {
      file: finding.file,
      line: String(finding.line),
      field: finding.field,
      fix: finding.fix,
      mode: finding.mode,
    },
  }));
}

export function policyReports(report: CheckReport): PolicyReport[] {
  const policy = `runtime-guard-${report.preset}`;
  const byNamespace = new Map<string, PolicyReport>();
  for (const file of report.files) {
    for (const object of file.objects) {
      const namespace = object.object.namespace ?? DEFAULT_NAMESPACE;
      let policyReport = byNamespace.get(namespace);
      if (!policyReport) {
        policyReport = {
          apiVersion: POLICY_REPORT_API_VERSION,
          kind: 'PolicyReport',
          metadata: {
            name: 'runtime-guard-check',
            namespace,
            labels: { 'app.kubernetes.io/managed-by': 'runtime-guard' },
          },
          summary: { pass: 0, fail: 0, warn: 0, error: 0, skip: 0 },
          results: [],
        };
        byNamespace.set(namespace, policyReport);
      }
      for (const result of results(object, policy)) {
        policyReport.results.push(result);
        policyReport.summary[result.result]++;
      }
    }
  }
  return [...byNamespace.values()];
}

export function renderPolicyReport(report: CheckReport): string {
  return policyReports(report)
    .map((policyReport) => `---\n${stringify(policyReport, { lineWidth: 0 })}`)
    .join('');
}
