/**
 * The JSON report of `runtime-guard scan --output json`, version 1: the one definition of its
 * shape. The types below are inferred from it, `src/inspect/scan-report.schema.json` is generated
 * from it (`node src/inspect/report-schema.ts --write`; a test checks the file is current), and
 * every field carries its documentation. Meant to be shared with `check`, whose findings name
 * files instead of cluster objects. A change that removes or re-types a field raises
 * {@link SCAN_SCHEMA_VERSION}; adding a field does not.
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { RULE_ORDER } from '../policy/policy.ts';

export const SCAN_SCHEMA_VERSION = 1;

export const FINDING_STATUSES = ['refused', 'fixed-by-mutation', 'running-unprotected'] as const;
export const SEVERITIES = ['critical', 'high', 'medium', 'low'] as const;
export const WORKLOAD_STATUSES = [
  ...FINDING_STATUSES,
  'compliant',
  'exempt',
  'off',
  'malformed',
] as const;

const ruleId = z.enum(RULE_ORDER as unknown as [string, ...string[]]);

const resourceRef = z
  .object({
    apiVersion: z.string().describe('e.g. apps/v1'),
    kind: z.string().describe('e.g. Deployment'),
    namespace: z.string().describe('empty for a cluster-scoped custom resource'),
    name: z.string(),
  })
  .describe('The object a finding is reported on: the owning workload, never a pod it controls.');

const jsonPatch = z
  .array(
    z.object({
      op: z.enum(['add', 'remove', 'replace', 'move', 'copy', 'test']),
      path: z.string().describe('a JSON Pointer (RFC 6901)'),
      value: z.unknown().optional(),
      from: z.string().optional(),
    }),
  )
  .describe('An RFC 6902 JSON Patch against the resource as it was scanned.');

const kubectlLines = z.object({
  patch: z
    .nullable(z.string())
    .describe(
      'A shell line that applies the patch: `kubectl patch … --type=json`, or, where the pod template cannot change (Pod, Job), a `kubectl get … | kubectl patch --local … | kubectl replace --force -f -` pipeline that re-creates the object. Null when there is no patch.',
    ),
  restart: z
    .nullable(z.string())
    .describe(
      'A shell line that replaces the running pods the finding names (`kubectl rollout restart`, or `kubectl delete` of pods or Jobs whose controller re-creates them); null when no running pod needs replacing.',
    ),
});

export const findingSchema = z.object({
  resource: resourceRef,
  container: z.nullable(z.string()).describe('The container name; null for the pod level.'),
  subject: z
    .string()
    .describe('`pod`, or the container with its list, e.g. `init container "setup"`.'),
  rule: ruleId.describe('The rule (README, Rules).'),
  severity: z
    .enum(SEVERITIES)
    .describe(
      'By rule: privileged critical; capabilitiesAdded, seccompUnconfined, seccompLocalhostAllowlist, appArmor high; seccompRequired, capabilitiesDropAll medium.',
    ),
  status: z
    .enum(FINDING_STATUSES)
    .describe(
      'refused: enforce would deny the pod template even after mutation. fixed-by-mutation: the mutating webhook would fix it on the next create or template change. running-unprotected: the template complies but pods running now do not (created before runtime-guard, or an ephemeral container): they need replacing.',
    ),
  field: z
    .string()
    .describe(
      'The offending field: in the resource for refused and fixed-by-mutation, in the running pods (a Pod spec path) for running-unprotected.',
    ),
  message: z.string().describe('The violation in the words every runtime-guard output uses.'),
  fix: z.string().describe('The exact change, as a sentence.'),
  patch: z
    .nullable(jsonPatch)
    .describe(
      'The fix as a JSON Patch of the resource, applicable on its own; null when the fix is no edit of it.',
    ),
  kubectl: kubectlLines,
  pods: z.array(z.string()).describe('Names of the running pods that show this violation.'),
  legacySeccompAnnotation: z
    .nullable(z.object({ key: z.string(), value: z.string() }))
    .describe(
      'Set when the container has no seccomp profile field but a legacy seccomp annotation: ignored since Kubernetes 1.27, so it runs with no syscall filter at all.',
    ),
});

export const workloadSchema = z.object({
  resource: resourceRef,
  uid: z
    .nullable(z.string())
    .describe("The object's metadata.uid (what a report's owner reference names)."),
  status: z.enum(WORKLOAD_STATUSES).describe('The worst finding status, or why it was not judged.'),
  reason: z.nullable(z.string()).describe('Why it is exempt, off or malformed.'),
  pods: z
    .number()
    .int()
    .describe('Running pods folded into it (Succeeded and Failed pods do not run).'),
  findings: z.number().int(),
  patch: z
    .nullable(jsonPatch)
    .describe(
      'All its template fixes at once: the mutation, then the fixes of what mutation leaves.',
    ),
  kubectl: kubectlLines,
});

const counts = z.record(z.string(), z.number().int());

export const namespaceSchema = z.object({
  name: z.string(),
  mode: z.enum(['enforce', 'warn', 'audit', 'off']),
  modeSource: z
    .enum(['label', 'configuration'])
    .describe('The runtime-guard.io/mode label, or the configured mode.'),
  exempt: z.nullable(z.string()).describe('Why the namespace is exempt (exemptions.namespaces).'),
  judged: z.boolean().describe('False for mode off and exempt namespaces: listed, not judged.'),
  enforceReady: z
    .nullable(z.boolean())
    .describe('True when no workload in it would be refused after mutation; null when not judged.'),
  workloads: z.number().int(),
  pods: z.number().int(),
  findings: z.number().int(),
  byRule: counts.describe('Findings by rule.'),
  byStatus: counts.describe('Findings by status.'),
});

export const scanReportSchema = z
  .object({
    schemaVersion: z.literal(SCAN_SCHEMA_VERSION),
    kind: z.literal('RuntimeGuardScanReport'),
    generatedAt: z.string().describe('When the scan ended (RFC 3339, UTC).'),
    source: z.object({
      server: z.string().describe('The API server read.'),
      context: z.string().describe('The kubeconfig context, or `in-cluster`.'),
      namespaces: z
        .nullable(z.array(z.string()))
        .describe('The namespaces asked for with -n; null for all.'),
    }),
    policy: z.object({
      preset: z.enum(['baseline', 'restricted']),
      mode: z
        .enum(['enforce', 'warn', 'audit'])
        .describe('The configured mode (namespaces may override it).'),
      namespaceLabels: z
        .boolean()
        .describe(
          'Whether runtime-guard.io/mode labels were read (server.namespaceModes.enabled).',
        ),
    }),
    findings: z.array(findingSchema).describe('Ordered by namespace, workload, container, rule.'),
    workloads: z
      .array(workloadSchema)
      .describe('Every owning workload seen, compliant ones included.'),
    namespaces: z.array(namespaceSchema),
    summary: z.object({
      namespaces: z.number().int(),
      workloads: z.number().int(),
      pods: z.number().int(),
      findings: z.number().int(),
      byStatus: counts,
      refusedWorkloads: z.number().int(),
      enforceReadyNamespaces: z.number().int(),
      legacySeccompOnly: z
        .number()
        .int()
        .describe('Findings whose container relies on a legacy seccomp annotation alone.'),
    }),
    warnings: z.array(z.string()).describe('What the scan could not judge or read fully.'),
    stats: z.object({
      apiCalls: z.number().int(),
      objectsRead: z.number().int(),
      durationMs: z.number(),
    }),
  })
  .describe('runtime-guard scan report');

export type ScanReport = z.infer<typeof scanReportSchema>;
export type Finding = z.infer<typeof findingSchema>;
export type WorkloadSummary = z.infer<typeof workloadSchema>;
export type NamespaceSummary = z.infer<typeof namespaceSchema>;
export type FindingStatus = (typeof FINDING_STATUSES)[number];
export type WorkloadStatus = (typeof WORKLOAD_STATUSES)[number];
export type Severity = (typeof SEVERITIES)[number];
export type ResourceRef = Finding['resource'];
export type JsonPatch = NonNullable<Finding['patch']>;
export type KubectlLines = Finding['kubectl'];

export const SCHEMA_FILE = fileURLToPath(new URL('./scan-report.schema.json', import.meta.url));

export function scanReportJsonSchema(): unknown {
  return {
    ...(z.toJSONSchema(scanReportSchema) as Record<string, unknown>),
    title: 'runtime-guard scan report',
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url) && process.argv[2] === '--write') {
  // Formatted as the repository's prettier would, so format:check passes on the generated file.
  const prettier = await import('prettier');
  const text = await prettier.format(JSON.stringify(scanReportJsonSchema()), {
    ...(await prettier.resolveConfig(SCHEMA_FILE)),
    filepath: SCHEMA_FILE,
  });
  writeFileSync(SCHEMA_FILE, text);
}
