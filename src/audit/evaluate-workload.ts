/**
 * One top workload judged exactly as `runtime-guard scan` judges it: its tree is handed to the
 * scan's fold (src/inspect/inspection.ts), namespace first, then the workloads parent first,
 * then the pods, and the fold's record of the top workload comes back with its findings.
 */
import { Inspection, type InspectionSettings } from '../inspect/inspection.ts';
import type { Finding, WorkloadSummary } from '../inspect/report-schema.ts';
import { kubectlResourceName } from '../kube/resources.ts';
import type { WorkloadTree } from './workload-index.ts';

export interface WorkloadVerdict {
  workload: WorkloadSummary;
  findings: Finding[];
  warnings: string[];
}

export function evaluateWorkload(
  tree: WorkloadTree,
  namespace: unknown,
  settings: InspectionSettings,
): WorkloadVerdict | undefined {
  const inspection = new Inspection(settings);
  if (namespace !== undefined) inspection.addNamespace(namespace);
  for (const entry of tree.workloads) {
    const { group, version, kind } = entry.resource;
    inspection.addWorkload(entry.object, {
      group,
      version,
      kind,
      kubectlResource: kubectlResourceName(entry.resource),
    });
  }
  for (const pod of tree.pods) inspection.addPod(pod.object);
  const report = inspection.report(
    { server: '', context: 'in-cluster', namespaces: null },
    { apiCalls: 0, durationMs: 0 },
  );
  const {
    kind,
    name,
    namespace: ns,
  } = {
    kind: tree.top.resource.kind,
    name: tree.top.name,
    namespace: tree.top.namespace,
  };
  const workload = report.workloads.find(
    (w) => w.resource.kind === kind && w.resource.name === name && w.resource.namespace === ns,
  );
  if (!workload) return undefined;
  return {
    workload,
    findings: report.findings.filter(
      (f) => f.resource.kind === kind && f.resource.name === name && f.resource.namespace === ns,
    ),
    warnings: report.warnings,
  };
}
