/**
 * The scan as policy reports on stdout, in the very form the in-cluster audit keeps them
 * (src/audit/build-report.ts): one `wgpolicyk8s.io/v1alpha2` PolicyReport per owning workload
 * (ClusterPolicyReport for a cluster-scoped one), scoped to it and owned by it, a result per
 * finding and a pass per rule it keeps, as a YAML stream `kubectl apply -f -` takes once the CRDs
 * are installed. Where the audit runs, these are the objects it would write.
 */
import { stringify } from 'yaml';
import { buildReport, type ReportObject } from '../audit/build-report.ts';
import { reportApi } from '../audit/report-api.ts';
import type { Policy } from '../policy/policy.ts';
import type { Finding, ScanReport } from './report-schema.ts';

export const POLICY_REPORT_API = 'wgpolicyk8s.io/v1alpha2';

const key = (r: Finding['resource']) =>
  `${r.apiVersion}\u0000${r.kind}\u0000${r.namespace}\u0000${r.name}`;

export function policyReportsOf(report: ScanReport, policy: Policy): ReportObject[] {
  const api = reportApi(POLICY_REPORT_API);
  const now = new Date(report.generatedAt);
  const findings = new Map<string, Finding[]>();
  for (const f of report.findings) {
    const list = findings.get(key(f.resource)) ?? [];
    list.push(f);
    findings.set(key(f.resource), list);
  }
  return report.workloads.map((w) => {
    const scope = {
      apiVersion: w.resource.apiVersion,
      kind: w.resource.kind,
      ...(w.resource.namespace ? { namespace: w.resource.namespace } : {}),
      name: w.resource.name,
      uid: w.uid ?? '',
    };
    return buildReport(scope, w, findings.get(key(w.resource)) ?? [], { api, policy, now }).object;
  });
}

export function renderPolicyReports(report: ScanReport, policy: Policy): string {
  return policyReportsOf(report, policy)
    .map((doc) => `---\n${stringify(doc, { lineWidth: 0 })}`)
    .join('');
}
