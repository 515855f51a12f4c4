/**
 * The two report APIs Policy Reporter reads, and where each kind is served. OpenReports
 * (`openreports.io/v1alpha1`) is where the policy working group's API lives now; the older
 * `wgpolicyk8s.io/v1alpha2` PolicyReport is what clusters with an older Kyverno or Policy
 * Reporter have. Both carry the same report body (scope, summary, results); OpenReports adds
 * `source` and `configuration.limits` at the top.
 */

export const REPORT_APIS = ['openreports.io/v1alpha1', 'wgpolicyk8s.io/v1alpha2'] as const;
export type ReportApiName = (typeof REPORT_APIS)[number];

export interface ReportKind {
  kind: string;
  plural: string;
  namespaced: boolean;
}

export interface ReportApi {
  name: ReportApiName;
  group: string;
  version: string;
  /** For a workload in a namespace (reports live beside what they describe). */
  namespaced: ReportKind;
  /** For a cluster-scoped workload (a custom kind without a namespace). */
  cluster: ReportKind;
  /** Whether the report body has `source` and `configuration` (OpenReports). */
  hasSourceAndLimits: boolean;
}

const API: Record<ReportApiName, ReportApi> = {
  'openreports.io/v1alpha1': {
    name: 'openreports.io/v1alpha1',
    group: 'openreports.io',
    version: 'v1alpha1',
    namespaced: { kind: 'Report', plural: 'reports', namespaced: true },
    cluster: { kind: 'ClusterReport', plural: 'clusterreports', namespaced: false },
    hasSourceAndLimits: true,
  },
  'wgpolicyk8s.io/v1alpha2': {
    name: 'wgpolicyk8s.io/v1alpha2',
    group: 'wgpolicyk8s.io',
    version: 'v1alpha2',
    namespaced: { kind: 'PolicyReport', plural: 'policyreports', namespaced: true },
    cluster: { kind: 'ClusterPolicyReport', plural: 'clusterpolicyreports', namespaced: false },
    hasSourceAndLimits: false,
  },
};

export function reportApi(name: ReportApiName): ReportApi {
  return API[name];
}

export function isReportApiName(value: string): value is ReportApiName {
  return (REPORT_APIS as readonly string[]).includes(value);
}

export function reportApiVersion(api: ReportApi): string {
  return `${api.group}/${api.version}`;
}
