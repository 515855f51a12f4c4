/**
 * The scan as Policy Reports (the Kubernetes Policy working group's `wgpolicyk8s.io/v1alpha2`
 * PolicyReport, ClusterPolicyReport for cluster-scoped objects), one per namespace, as a YAML
 * stream that `kubectl apply -f -` takes once the CRDs are installed. Each finding is a result:
 * `fail` when enforce would refuse it, `warn` when the mutating webhook fixes it or only running
 * pods lack the fix; a compliant workload is one `pass`, a workload not judged one `skip`.
 * `properties` (strings only, as the CRD requires) carry the status, field, fix and kubectl lines.
 */
import { stringify } from 'yaml';
import type { Finding, ScanReport, WorkloadSummary } from './report-schema.ts';

export const POLICY_REPORT_API_VERSION = 'wgpolicyk8s.io/v1alpha2';
const SOURCE = 'runtime-guard';

type Result = Record<string, unknown>;

function timestamp(iso: string): { seconds: number; nanos: number } {
  const ms = Date.parse(iso);
  return { seconds: Math.floor(ms / 1000), nanos: (ms % 1000) * 1_000_000 };
}

function resourceOf(r: Finding['resource']): Record<string, string> {
  return {
    apiVersion: r.apiVersion,
    kind: r.kind,
    ...(r.namespace ? { namespace: r.namespace } : {}),
    name: r.name,
  };
}

function findingResult(f: Finding, time: Result): Result {
  const properties: Record<string, string> = { status: f.status, field: f.field, fix: f.fix };
  if (f.container !== null) properties['container'] = f.container;
  if (f.patch) properties['patch'] = JSON.stringify(f.patch);
  if (f.kubectl.patch) properties['kubectlPatch'] = f.kubectl.patch;
  if (f.kubectl.restart) properties['kubectlRestart'] = f.kubectl.restart;
  if (f.pods.length > 0) properties['pods'] = f.pods.join(',');
  if (f.legacySeccompAnnotation)
    properties['legacySeccompAnnotation'] =
      `${f.legacySeccompAnnotation.key}=${f.legacySeccompAnnotation.value}`;
  return {
    source: SOURCE,
    policy: SOURCE,
    rule: f.rule,
    category: 'Pod Security',
    severity: f.severity,
    result: f.status === 'refused' ? 'fail' : 'warn',
    scored: true,
    message: f.message,
    resources: [resourceOf(f.resource)],
    properties,
    timestamp: time,
  };
}

function workloadResult(w: WorkloadSummary, time: Result): Result | undefined {
  if (
    w.status === 'compliant' ||
    w.status === 'exempt' ||
    w.status === 'off' ||
    w.status === 'malformed'
  ) {
    const pass = w.status === 'compliant';
    return {
      source: SOURCE,
      policy: SOURCE,
      rule: 'all',
      category: 'Pod Security',
      result: pass ? 'pass' : w.status === 'malformed' ? 'error' : 'skip',
      scored: pass,
      message: pass ? 'complies with every rule' : (w.reason ?? w.status),
      resources: [resourceOf(w.resource)],
      timestamp: time,
    };
  }
  return undefined;
}

export function policyReportsOf(report: ScanReport): Record<string, unknown>[] {
  const time = timestamp(report.generatedAt);
  const byNamespace = new Map<string, Result[]>();
  const add = (namespace: string, result: Result) => {
    const list = byNamespace.get(namespace) ?? [];
    list.push(result);
    byNamespace.set(namespace, list);
  };
  for (const ns of report.namespaces) byNamespace.set(ns.name, []);
  for (const f of report.findings) add(f.resource.namespace, findingResult(f, time));
  for (const w of report.workloads) {
    const result = workloadResult(w, time);
    if (result) add(w.resource.namespace, result);
  }
  return [...byNamespace.entries()].map(([namespace, results]) => {
    const count = (r: string) => results.filter((x) => x.result === r).length;
    return {
      apiVersion: POLICY_REPORT_API_VERSION,
      kind: namespace ? 'PolicyReport' : 'ClusterPolicyReport',
      metadata: {
        name: 'runtime-guard-scan',
        ...(namespace ? { namespace } : {}),
        labels: { 'app.kubernetes.io/managed-by': 'runtime-guard' },
      },
      summary: {
        pass: count('pass'),
        fail: count('fail'),
        warn: count('warn'),
        error: count('error'),
        skip: count('skip'),
      },
      results,
    };
  });
}

export function renderPolicyReports(report: ScanReport): string {
  return policyReportsOf(report)
    .map((doc) => `---\n${stringify(doc, { lineWidth: 0 })}`)
    .join('');
}
