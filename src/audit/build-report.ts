/**
 * One policy report for one owning workload, from what the scan's fold found for it
 * (src/inspect/inspection.ts): pure, so the in-cluster audit and its tests build the very same
 * object. A result per finding (rule, container and field), in the words every runtime-guard
 * output uses, with the fix, its JSON Patch and the kubectl lines in `properties`; a `pass`
 * result per enabled rule the workload does not break; `skip` for an exempt workload or one in a
 * namespace with mode off, `error` for one the webhook would refuse as malformed.
 *
 * Bounded: a report stays under {@link DEFAULT_MAX_REPORT_BYTES} whatever the pod count. Pods
 * showing the same finding are one result (the fold groups them) naming a few of them and the
 * count; results beyond `maxResults` or the byte budget are left out, the least severe first,
 * and counted in the annotation {@link OMITTED_ANNOTATION}. The summary counts every result.
 *
 * The content hash covers everything but the timestamps, so a resync that finds nothing new
 * computes the same hash and writes nothing.
 */
import { createHash } from 'node:crypto';
import type { Policy, RuleId } from '../policy/policy.ts';
import { CHECKS } from '../policy/registry.ts';
import { clip } from '../render/violation-text.ts';
import type { Finding, WorkloadSummary } from '../inspect/report-schema.ts';
import { reportApiVersion, type ReportApi } from './report-api.ts';

export const MANAGED_BY_LABEL = 'app.kubernetes.io/managed-by';
export const MANAGED_BY = 'runtime-guard';
export const HASH_ANNOTATION = 'runtime-guard.io/report-hash';
export const OMITTED_ANNOTATION = 'runtime-guard.io/omitted-results';
export const SOURCE = 'runtime-guard';

/** Under the 1 MiB a report may take, with room for what the API server adds (managedFields). */
export const DEFAULT_MAX_REPORT_BYTES = 900 * 1024;
export const DEFAULT_MAX_RESULTS = 200;
/** A message or property longer than this is cut; a patch longer is left out (and said so). */
const MAX_TEXT_CHARS = 2048;
const MAX_PATCH_CHARS = 16 * 1024;
/** Pods named in a result; the count says how many there are. */
const MAX_POD_NAMES = 10;

export type ReportResultValue = 'pass' | 'fail' | 'warn' | 'error' | 'skip';

export interface ObjectReference {
  apiVersion: string;
  kind: string;
  namespace?: string;
  name: string;
  uid: string;
}

export interface ReportResult {
  source: string;
  policy: string;
  rule?: string;
  category?: string;
  severity?: Finding['severity'];
  timestamp?: { seconds: number; nanos: number };
  result: ReportResultValue;
  scored: boolean;
  resources: ObjectReference[];
  message: string;
  properties?: Record<string, string>;
}

export type ReportSummary = Record<ReportResultValue, number>;

export interface ReportObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels: Record<string, string>;
    annotations: Record<string, string>;
    ownerReferences: (ObjectReference & { controller: boolean })[];
  };
  source?: string;
  configuration?: { limits: { maxResults: number } };
  scope: ObjectReference;
  summary: ReportSummary;
  results: ReportResult[];
}

export interface BuiltReport {
  object: ReportObject;
  /** sha256 of the content without timestamps; also in the annotation {@link HASH_ANNOTATION}. */
  hash: string;
  /** Results left out to stay within maxResults and the byte budget. */
  omitted: number;
  /** The report's JSON size in bytes. */
  bytes: number;
}

export interface BuildReportOptions {
  api: ReportApi;
  policy: Policy;
  maxResults?: number;
  maxBytes?: number;
  /** When the results were found (the results' timestamp). */
  now: Date;
}

const RULE_CATEGORY: Record<RuleId, string> = {
  privileged: 'Privileged',
  seccompUnconfined: 'Seccomp',
  seccompRequired: 'Seccomp',
  seccompLocalhostAllowlist: 'Seccomp',
  capabilitiesAdded: 'Capabilities',
  capabilitiesDropAll: 'Capabilities',
  appArmor: 'AppArmor',
};

const RESULT_RANK: Record<ReportResultValue, number> = {
  fail: 0,
  error: 1,
  warn: 2,
  skip: 3,
  pass: 4,
};
const SEVERITY_RANK: Record<string, number> = { critical: 0, high: 1, medium: 2, low: 3, info: 4 };

/** The report's name: the workload's uid, unique and stable across renames of nothing. */
export function reportName(scope: { uid: string }): string {
  return `runtime-guard-${scope.uid}`;
}

function podNames(pods: readonly string[]): string {
  const shown = pods.slice(0, MAX_POD_NAMES).join(', ');
  return pods.length > MAX_POD_NAMES ? `${shown}, … (${pods.length - MAX_POD_NAMES} more)` : shown;
}

function findingResult(
  f: Finding,
  base: Pick<ReportResult, 'source' | 'policy' | 'resources'>,
): ReportResult {
  const properties: Record<string, string> = {
    status: f.status,
    subject: f.subject,
    field: clip(f.field, MAX_TEXT_CHARS),
    fix: clip(f.fix, MAX_TEXT_CHARS),
  };
  if (f.container !== null) properties.container = f.container;
  if (f.patch !== null) {
    const patch = JSON.stringify(f.patch);
    if (patch.length <= MAX_PATCH_CHARS) properties.patch = patch;
    else
      properties.patchOmitted = `the JSON Patch takes ${patch.length} characters; runtime-guard scan prints it`;
  }
  if (f.kubectl.patch !== null && f.kubectl.patch.length <= MAX_PATCH_CHARS)
    properties.kubectlPatch = f.kubectl.patch;
  if (f.kubectl.restart !== null)
    properties.kubectlRestart = clip(f.kubectl.restart, MAX_TEXT_CHARS);
  if (f.pods.length > 0) {
    properties.pods = String(f.pods.length);
    properties.podNames = podNames(f.pods);
  }
  if (f.legacySeccompAnnotation !== null)
    properties.legacySeccompAnnotation = `${f.legacySeccompAnnotation.key}: ${f.legacySeccompAnnotation.value}`;
  return {
    ...base,
    rule: f.rule,
    category: RULE_CATEGORY[f.rule as RuleId],
    severity: f.severity,
    // As the scan's policyreport output: fail is what enforce would refuse; the mutating webhook
    // fixes the rest on the next create, or only pods running now lack the fix.
    result: f.status === 'refused' ? 'fail' : 'warn',
    scored: true,
    message: clip(f.message, MAX_TEXT_CHARS),
    properties,
  };
}

function resultsOf(
  workload: WorkloadSummary,
  findings: readonly Finding[],
  policy: Policy,
  base: Pick<ReportResult, 'source' | 'policy' | 'resources'>,
): ReportResult[] {
  switch (workload.status) {
    case 'exempt':
    case 'off':
      return [
        {
          ...base,
          result: 'skip',
          scored: false,
          message: `not judged: ${workload.reason ?? workload.status}`,
        },
      ];
    case 'malformed':
      return [
        {
          ...base,
          result: 'error',
          scored: true,
          message: clip(
            `malformed, the webhook would refuse it: ${workload.reason ?? 'a field of the wrong type'}`,
            MAX_TEXT_CHARS,
          ),
        },
      ];
    default: {
      const results = findings.map((f) => findingResult(f, base));
      const broken = new Set(findings.map((f) => f.rule));
      for (const check of CHECKS) {
        if (!check.isEnabled(policy) || broken.has(check.id)) continue;
        results.push({
          ...base,
          rule: check.id,
          category: RULE_CATEGORY[check.id],
          result: 'pass',
          scored: true,
          message: `no container breaks ${check.id}`,
        });
      }
      return results;
    }
  }
}

function byImportance(results: readonly ReportResult[]): ReportResult[] {
  return results
    .map((result, index) => ({ result, index }))
    .sort(
      (a, b) =>
        RESULT_RANK[a.result.result] - RESULT_RANK[b.result.result] ||
        (SEVERITY_RANK[a.result.severity ?? 'info'] ?? 4) -
          (SEVERITY_RANK[b.result.severity ?? 'info'] ?? 4) ||
        a.index - b.index,
    )
    .map(({ result }) => result);
}

function summaryOf(results: readonly ReportResult[]): ReportSummary {
  const summary: ReportSummary = { pass: 0, fail: 0, warn: 0, error: 0, skip: 0 };
  for (const r of results) summary[r.result]++;
  return summary;
}

function bytesOf(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value), 'utf8');
}

export function contentHash(object: ReportObject): string {
  const annotations = { ...object.metadata.annotations };
  delete annotations[HASH_ANNOTATION];
  const unstamped = {
    ...object,
    metadata: { ...object.metadata, annotations },
    results: object.results.map((result) => ({ ...result, timestamp: undefined })),
  };
  return createHash('sha256').update(JSON.stringify(unstamped)).digest('hex');
}

/** The report of one workload; `scope` names it with its uid (the owner reference needs one). */
export function buildReport(
  scope: ObjectReference,
  workload: WorkloadSummary,
  findings: readonly Finding[],
  options: BuildReportOptions,
): BuiltReport {
  const { api, policy } = options;
  const maxResults = options.maxResults ?? DEFAULT_MAX_RESULTS;
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_REPORT_BYTES;
  const namespaced = scope.namespace !== undefined && scope.namespace !== '';
  const kind = namespaced ? api.namespaced : api.cluster;
  const base = { source: SOURCE, policy: SOURCE, resources: [scope] };
  const all = byImportance(resultsOf(workload, findings, policy, base));
  const seconds = Math.floor(options.now.getTime() / 1000);
  const timestamp = { seconds, nanos: 0 };

  const object: ReportObject = {
    apiVersion: reportApiVersion(api),
    kind: kind.kind,
    metadata: {
      name: reportName(scope),
      ...(namespaced ? { namespace: scope.namespace } : {}),
      labels: { [MANAGED_BY_LABEL]: MANAGED_BY },
      annotations: {},
      ownerReferences: [
        {
          apiVersion: scope.apiVersion,
          kind: scope.kind,
          name: scope.name,
          uid: scope.uid,
          controller: false,
        },
      ],
    },
    ...(api.hasSourceAndLimits
      ? { source: SOURCE, configuration: { limits: { maxResults } } }
      : {}),
    scope,
    summary: summaryOf(all),
    results: [],
  };

  // Room for the annotations written below (hash, omitted count), then results while they fit.
  let bytes = bytesOf(object) + 200;
  for (const result of all) {
    if (object.results.length >= maxResults) break;
    const stamped = { ...result, timestamp };
    const size = bytesOf(stamped) + 1;
    if (bytes + size > maxBytes) break;
    object.results.push(stamped);
    bytes += size;
  }
  const omitted = all.length - object.results.length;
  if (omitted > 0) object.metadata.annotations[OMITTED_ANNOTATION] = String(omitted);
  const hash = contentHash(object);
  object.metadata.annotations[HASH_ANNOTATION] = hash;
  return { object, hash, omitted, bytes: bytesOf(object) };
}
