/**
 * The scan's fold, fed one object at a time: namespaces, then every workload kind, then pods.
 * Pure (no I/O): what it keeps is a record per owning workload (its findings, its combined patch,
 * the names of its running pods) and an owner index of uids, never the objects themselves, so
 * memory follows the findings and the number of workloads, not the size of the cluster.
 *
 * One finding per owning workload, not per pod: a pod is followed up its controller references
 * (Pod → ReplicaSet → Deployment, Pod → Job → CronJob, any configured extra kind) to the topmost
 * object the scan read, and reported there. A pod with no controller is its own workload. A
 * workload whose controller the scan also read (a Deployment's ReplicaSet) is folded into it.
 */
import type { Operation } from 'rfc6902';
import type { NamespaceMode, ReviewConfig } from '../admission/settings.ts';
import { isObject, valueAt, type JsonObject } from '../json/values.ts';
import { wholePod, type PodUnderReview } from '../policy/pod-under-review.ts';
import { RULE_ORDER } from '../policy/policy.ts';
import { violationLine } from '../render/violation-text.ts';
import { isNamespaceMode, NAMESPACE_MODE_LABEL } from '../admission/settings.ts';
import { exemptionReason } from '../workloads/exemption.ts';
import { MalformedObjectError } from '../workloads/pod-shape.ts';
import { readWorkloadPod, type WorkloadPod } from '../workloads/read-workload-pod.ts';
import {
  judgeRunningPod,
  judgeTemplate,
  type JudgedViolation,
  type TemplateFinding,
} from './judge.ts';
import { patchLine, restartLine, type KubectlTarget, type RestartStyle } from './kubectl-lines.ts';
import {
  FINDING_STATUSES,
  SCAN_SCHEMA_VERSION,
  type Finding,
  type FindingStatus,
  type NamespaceSummary,
  type ResourceRef,
  type ScanReport,
  type WorkloadStatus,
  type WorkloadSummary,
} from './report-schema.ts';

import { RULE_SEVERITY } from '../policy/rule-severity.ts';

/** A kind as the API server serves it: what a record needs to name and patch its objects. */
export interface WorkloadKind {
  group: string;
  version: string;
  kind: string;
  /** The name kubectl takes: `deployments.apps`. */
  kubectlResource: string;
}

export interface InspectionSettings {
  config: ReviewConfig;
  /** Whether the runtime-guard.io/mode label of namespaces overrides the configured mode. */
  namespaceLabels: boolean;
}

interface NamespaceRecord {
  name: string;
  mode: NamespaceMode;
  modeSource: 'label' | 'configuration';
  exempt: string | undefined;
  pods: number;
}

interface RunningFinding {
  judged: JudgedViolation;
  pods: string[];
}

interface WorkloadRecord {
  resource: ResourceRef;
  uid: string | undefined;
  controllerUid: string | undefined;
  state: 'judged' | 'exempt' | 'off' | 'malformed' | 'folded';
  reason: string | undefined;
  target: KubectlTarget;
  template: TemplateFinding[];
  templateKeys: Set<string>;
  patch: Operation[] | undefined;
  /** Pods showing each template finding, by its key. */
  podsByKey: Map<string, string[]>;
  running: Map<string, RunningFinding>;
  pods: number;
  /** For a CronJob: the Job that owns each of its running pods. */
  jobOfPod: Map<string, string>;
}

interface ObjectMeta {
  name: string;
  namespace: string;
  uid: string | undefined;
  controller: { uid: string; kind: string; name: string } | undefined;
  labels: Record<string, unknown>;
}

function metaOf(object: unknown): ObjectMeta | undefined {
  if (!isObject(object) || !isObject(object.metadata)) return undefined;
  const { name, namespace, uid, ownerReferences, labels } = object.metadata;
  if (typeof name !== 'string' || name === '') return undefined;
  let controller: ObjectMeta['controller'];
  if (Array.isArray(ownerReferences)) {
    for (const ref of ownerReferences) {
      if (isObject(ref) && ref.controller === true && typeof ref.uid === 'string') {
        controller = { uid: ref.uid, kind: String(ref.kind), name: String(ref.name) };
        break;
      }
    }
  }
  return {
    name,
    namespace: typeof namespace === 'string' ? namespace : '',
    uid: typeof uid === 'string' ? uid : undefined,
    controller,
    labels: isObject(labels) ? labels : {},
  };
}

const ROLLING_KINDS = new Set(['apps/Deployment', 'apps/StatefulSet', 'apps/DaemonSet']);
/** Labels the Job controller puts on a Job's template; a re-created Job must not carry the old uid. */
const JOB_UID_LABELS = ['controller-uid', 'batch.kubernetes.io/controller-uid'];

function restartStyle(kind: WorkloadKind, object: JsonObject): RestartStyle {
  const key = `${kind.group}/${kind.kind}`;
  if (key === '/PodTemplate') return 'none';
  if (key === '/Pod') return 'recreate';
  if (key === 'batch/CronJob') return 'delete-jobs';
  if (ROLLING_KINDS.has(key)) {
    const strategy = valueAt(object, [
      'spec',
      key === 'apps/Deployment' ? 'strategy' : 'updateStrategy',
      'type',
    ]);
    return strategy === 'OnDelete' ? 'delete-pods' : 'rollout';
  }
  return 'delete-pods';
}

const pointer = (...segments: string[]) =>
  `/${segments.map((s) => s.replace(/~/g, '~0').replace(/\//g, '~1')).join('/')}`;

function recreateOps(kind: WorkloadKind, object: JsonObject): Operation[] {
  const ops: Operation[] = [];
  const metadata = isObject(object.metadata) ? object.metadata : {};
  for (const field of ['resourceVersion', 'uid'])
    if (metadata[field] !== undefined) ops.push({ op: 'remove', path: pointer('metadata', field) });
  if (kind.group === '' && kind.kind === 'Pod') {
    // Ephemeral containers can only be added to a running pod, never created with it.
    if (valueAt(object, ['spec', 'ephemeralContainers']) !== undefined)
      ops.push({ op: 'remove', path: pointer('spec', 'ephemeralContainers') });
  }
  if (
    kind.group === 'batch' &&
    kind.kind === 'Job' &&
    valueAt(object, ['spec', 'manualSelector']) !== true
  ) {
    // The API server generates the selector and these labels for the new Job's uid.
    if (valueAt(object, ['spec', 'selector']) !== undefined)
      ops.push({ op: 'remove', path: pointer('spec', 'selector') });
    const labels = valueAt(object, ['spec', 'template', 'metadata', 'labels']);
    for (const label of JOB_UID_LABELS)
      if (isObject(labels) && labels[label] !== undefined)
        ops.push({ op: 'remove', path: pointer('spec', 'template', 'metadata', 'labels', label) });
  }
  return ops;
}

const STATUS_RANK: Record<FindingStatus, number> = {
  refused: 0,
  'fixed-by-mutation': 1,
  'running-unprotected': 2,
};
const RULE_RANK = new Map(RULE_ORDER.map((id, rank) => [id, rank]));

export class Inspection {
  readonly #config: ReviewConfig;
  readonly #namespaceLabels: boolean;
  readonly #namespaces = new Map<string, NamespaceRecord>();
  readonly #byUid = new Map<string, WorkloadRecord>();
  readonly #records: WorkloadRecord[] = [];
  readonly #warnings: string[] = [];
  #objectsRead = 0;

  constructor(settings: InspectionSettings) {
    this.#config = settings.config;
    this.#namespaceLabels = settings.namespaceLabels;
  }

  get objectsRead(): number {
    return this.#objectsRead;
  }

  /** Findings so far (for progress lines). */
  get findingCount(): number {
    let n = 0;
    for (const r of this.#records) n += r.template.length + r.running.size;
    return n;
  }

  warn(message: string): void {
    this.#warnings.push(message);
  }

  addNamespace(object: unknown): void {
    this.#objectsRead++;
    const meta = metaOf(object);
    if (!meta) return;
    const label = meta.labels[NAMESPACE_MODE_LABEL];
    let mode: NamespaceMode = this.#config.admission.mode;
    let modeSource: NamespaceRecord['modeSource'] = 'configuration';
    if (this.#namespaceLabels && label !== undefined) {
      if (isNamespaceMode(label)) {
        mode = label;
        modeSource = 'label';
      } else {
        this.warn(
          `namespace ${meta.name}: label ${NAMESPACE_MODE_LABEL}=${JSON.stringify(label)} is not a mode (enforce, warn, audit, off); the configured mode applies, as in the webhook`,
        );
      }
    }
    this.#namespaces.set(meta.name, {
      name: meta.name,
      mode,
      modeSource,
      exempt: exemptionReason({ namespace: meta.name }, this.#config.admission.exemptions),
      pods: 0,
    });
  }

  #namespace(name: string): NamespaceRecord {
    let record = this.#namespaces.get(name);
    if (!record) {
      // Created after the namespaces were listed, or a cluster-scoped object.
      record = {
        name,
        mode: this.#config.admission.mode,
        modeSource: 'configuration',
        exempt:
          name === ''
            ? undefined
            : exemptionReason({ namespace: name }, this.#config.admission.exemptions),
        pods: 0,
      };
      this.#namespaces.set(name, record);
    }
    return record;
  }

  #newRecord(object: JsonObject, meta: ObjectMeta, kind: WorkloadKind): WorkloadRecord {
    return {
      resource: {
        apiVersion: kind.group === '' ? kind.version : `${kind.group}/${kind.version}`,
        kind: kind.kind,
        namespace: meta.namespace,
        name: meta.name,
      },
      uid: meta.uid,
      controllerUid: meta.controller?.uid,
      state: 'judged',
      reason: undefined,
      target: {
        resource: kind.kubectlResource,
        name: meta.name,
        namespace: meta.namespace,
        recreate:
          (kind.group === '' && kind.kind === 'Pod') ||
          (kind.group === 'batch' && kind.kind === 'Job'),
        recreateOps: recreateOps(kind, object),
        restart: restartStyle(kind, object),
      },
      template: [],
      templateKeys: new Set(),
      patch: undefined,
      podsByKey: new Map(),
      running: new Map(),
      pods: 0,
      jobOfPod: new Map(),
    };
  }

  /** Judges the record's template (or, for a bare pod, the pod as if created again). */
  #judge(
    record: WorkloadRecord,
    object: JsonObject,
    kind: WorkloadKind,
    ns: NamespaceRecord,
  ): WorkloadPod | undefined {
    if (ns.mode === 'off') {
      record.state = 'off';
      record.reason = `namespace ${ns.name} is in mode off`;
      return undefined;
    }
    if (ns.exempt) {
      record.state = 'exempt';
      record.reason = ns.exempt;
      return undefined;
    }
    let read: WorkloadPod | undefined;
    try {
      read = readWorkloadPod(
        object,
        { group: kind.group, kind: kind.kind },
        this.#config.admission.extraKinds,
        {
          label: `${kind.kind} ${meta(record)}`,
        },
      );
    } catch (error) {
      if (!(error instanceof MalformedObjectError)) throw error;
      record.state = 'malformed';
      record.reason = error.message;
      this.warn(
        `${kind.kind} ${meta(record)}: malformed, the webhook would refuse it: ${error.message}`,
      );
      return undefined;
    }
    if (!read) return undefined;
    const runtimeClass = exemptionReason(
      { runtimeClassName: read.spec.runtimeClassName },
      this.#config.admission.exemptions,
    );
    if (runtimeClass) {
      record.state = 'exempt';
      record.reason = runtimeClass;
      return undefined;
    }
    const whole = wholePod(read);
    // A pod is created without ephemeral containers: those are judged as it runs.
    const asCreated: PodUnderReview =
      read.location.isPod && read.spec.ephemeralContainers
        ? { ...whole, spec: { ...read.spec, ephemeralContainers: undefined } }
        : whole;
    const judgement = judgeTemplate(object, asCreated, this.#config.policy);
    record.template = judgement.findings;
    record.templateKeys = new Set(judgement.findings.map((f) => f.key));
    record.patch = judgement.patch;
    return read;
  }

  addWorkload(object: unknown, kind: WorkloadKind): void {
    this.#objectsRead++;
    const meta = metaOf(object);
    if (!meta || !isObject(object)) return;
    const record = this.#newRecord(object, meta, kind);
    if (meta.uid) this.#byUid.set(meta.uid, record);
    this.#records.push(record);
    // Its controller was read already (a Deployment's ReplicaSet): judged there, not here.
    if (record.controllerUid && this.#byUid.has(record.controllerUid)) {
      record.state = 'folded';
      return;
    }
    this.#judge(record, object, kind, this.#namespace(meta.namespace));
  }

  /** The topmost workload read above the object whose controller has this uid. */
  #top(uid: string): WorkloadRecord | undefined {
    let record = this.#byUid.get(uid);
    for (let depth = 0; record && depth < 16; depth++) {
      const up = record.controllerUid ? this.#byUid.get(record.controllerUid) : undefined;
      if (!up) break;
      record = up;
    }
    return record;
  }

  addPod(object: unknown): void {
    this.#objectsRead++;
    const meta = metaOf(object);
    if (!meta || !isObject(object)) return;
    const phase = valueAt(object, ['status', 'phase']);
    if (phase === 'Succeeded' || phase === 'Failed') return;
    const ns = this.#namespace(meta.namespace);
    ns.pods++;
    const top = meta.controller ? this.#top(meta.controller.uid) : undefined;
    if (!top) {
      const podKind: WorkloadKind = {
        group: '',
        version: 'v1',
        kind: 'Pod',
        kubectlResource: 'pods',
      };
      const record = this.#newRecord(object, meta, podKind);
      record.controllerUid = undefined;
      this.#records.push(record);
      record.pods = 1;
      if (meta.controller) {
        this.warn(
          `pod ${meta.namespace}/${meta.name} is controlled by ${meta.controller.kind} ${meta.controller.name}, which the scan does not read (list its kind in extraKinds): reported on the pod`,
        );
      }
      const read = this.#judge(record, object, podKind, ns);
      if (read) this.#attachPod(record, read, meta.name);
      return;
    }
    top.pods++;
    if (top.state !== 'judged') return;
    if (top.target.restart === 'delete-jobs' && meta.controller)
      top.jobOfPod.set(meta.name, meta.controller.name);
    let read: WorkloadPod | undefined;
    try {
      read = readWorkloadPod(
        object,
        { group: '', kind: 'Pod' },
        this.#config.admission.extraKinds,
        {
          label: `pod ${meta.namespace}/${meta.name}`,
        },
      );
    } catch (error) {
      if (!(error instanceof MalformedObjectError)) throw error;
      this.warn(`pod ${meta.namespace}/${meta.name}: malformed: ${error.message}`);
      return;
    }
    if (!read) return;
    if (
      exemptionReason(
        { runtimeClassName: read.spec.runtimeClassName },
        this.#config.admission.exemptions,
      )
    )
      return;
    this.#attachPod(top, read, meta.name);
  }

  #attachPod(record: WorkloadRecord, read: WorkloadPod, podName: string): void {
    const pod = wholePod(read);
    for (const judged of judgeRunningPod(pod, this.#config.policy)) {
      if (record.templateKeys.has(judged.key)) {
        const pods = record.podsByKey.get(judged.key) ?? [];
        if (!pods.includes(podName)) pods.push(podName);
        record.podsByKey.set(judged.key, pods);
        continue;
      }
      const running = record.running.get(judged.key);
      if (running) {
        if (!running.pods.includes(podName)) running.pods.push(podName);
      } else record.running.set(judged.key, { judged, pods: [podName] });
    }
  }

  #isTop(record: WorkloadRecord): boolean {
    if (record.state === 'folded') return false;
    return !(record.controllerUid && this.#byUid.has(record.controllerUid));
  }

  #findingsOf(record: WorkloadRecord): Finding[] {
    const jobsOf = (pods: readonly string[]) => [
      ...new Set(
        pods.flatMap((p) => (record.jobOfPod.has(p) ? [record.jobOfPod.get(p) as string] : [])),
      ),
    ];
    const finding = (
      judged: JudgedViolation,
      status: FindingStatus,
      patch: Operation[] | undefined,
      pods: string[],
    ): Finding => {
      const v = judged.violation;
      const sortedPods = [...pods].sort();
      return {
        resource: record.resource,
        container: judged.container ?? null,
        subject: v.subject,
        rule: v.rule,
        severity: RULE_SEVERITY[v.rule],
        status,
        field: v.field,
        message: violationLine(v),
        fix:
          status !== 'running-unprotected'
            ? v.fix
            : record.resource.kind === 'Pod'
              ? 'create the pod again: its ephemeral containers do not come back'
              : 'replace the running pods: the pod template complies',
        patch: patch ?? null,
        kubectl: {
          patch: patch ? patchLine(record.target, patch) : null,
          // Re-creating the object with the patch (a Pod, a Job) replaces its pods already.
          restart:
            record.target.recreate && patch
              ? null
              : (restartLine(record.target, sortedPods, jobsOf(sortedPods)) ?? null),
        },
        pods: sortedPods,
        legacySeccompAnnotation: judged.legacySeccompAnnotation ?? null,
      };
    };
    const findings = record.template.map((f) =>
      finding(f, f.status, f.patch, record.podsByKey.get(f.key) ?? []),
    );
    const running = [...record.running.values()].sort(
      (a, b) =>
        a.judged.violation.order - b.judged.violation.order ||
        (RULE_RANK.get(a.judged.violation.rule) ?? 0) -
          (RULE_RANK.get(b.judged.violation.rule) ?? 0) ||
        (a.judged.violation.field < b.judged.violation.field ? -1 : 1),
    );
    for (const r of running)
      findings.push(finding(r.judged, 'running-unprotected', undefined, r.pods));
    return findings;
  }

  report(
    source: ScanReport['source'],
    /** generatedAt defaults to now. */
    stats: { apiCalls: number; durationMs: number; generatedAt?: string },
  ): ScanReport {
    const tops = this.#records.filter((r) => this.#isTop(r));
    tops.sort(
      (a, b) =>
        cmp(a.resource.namespace, b.resource.namespace) ||
        cmp(a.resource.kind, b.resource.kind) ||
        cmp(a.resource.name, b.resource.name),
    );
    const findings: Finding[] = [];
    const workloads: WorkloadSummary[] = [];
    const workloadsIn = new Map<string, number>();
    for (const record of tops) {
      const ns = this.#namespace(record.resource.namespace).name;
      workloadsIn.set(ns, (workloadsIn.get(ns) ?? 0) + 1);
      const own = record.state === 'judged' ? this.#findingsOf(record) : [];
      findings.push(...own);
      const pods = [...new Set(own.flatMap((f) => f.pods))].sort();
      const jobs = [
        ...new Set(
          pods.flatMap((p) => (record.jobOfPod.has(p) ? [record.jobOfPod.get(p) as string] : [])),
        ),
      ];
      const worst = own.reduce<FindingStatus | undefined>(
        (w, f) => (w === undefined || STATUS_RANK[f.status] < STATUS_RANK[w] ? f.status : w),
        undefined,
      );
      const status: WorkloadStatus =
        record.state === 'judged'
          ? (worst ?? 'compliant')
          : record.state === 'folded'
            ? 'compliant'
            : record.state;
      workloads.push({
        resource: record.resource,
        uid: record.uid ?? null,
        status,
        reason: record.reason ?? null,
        pods: record.pods,
        findings: own.length,
        patch: record.patch ?? null,
        kubectl: {
          patch: record.patch ? patchLine(record.target, record.patch) : null,
          restart:
            record.target.recreate && record.patch
              ? null
              : (restartLine(record.target, pods, jobs) ?? null),
        },
      });
    }

    const namespaces: NamespaceSummary[] = [...this.#namespaces.values()]
      .sort((a, b) => cmp(a.name, b.name))
      .map((ns) => {
        const own = findings.filter((f) => f.resource.namespace === ns.name);
        const judged = ns.mode !== 'off' && ns.exempt === undefined;
        return {
          name: ns.name,
          mode: ns.mode,
          modeSource: ns.modeSource,
          exempt: ns.exempt ?? null,
          judged,
          enforceReady: judged ? !own.some((f) => f.status === 'refused') : null,
          workloads: workloadsIn.get(ns.name) ?? 0,
          pods: ns.pods,
          findings: own.length,
          byRule: countBy(own, (f) => f.rule),
          byStatus: countBy(own, (f) => f.status),
        };
      });

    return {
      schemaVersion: SCAN_SCHEMA_VERSION,
      kind: 'RuntimeGuardScanReport',
      generatedAt: stats.generatedAt ?? new Date().toISOString(),
      source,
      policy: {
        preset: this.#config.policy.preset,
        mode: this.#config.admission.mode,
        namespaceLabels: this.#namespaceLabels,
      },
      findings,
      workloads,
      namespaces,
      summary: {
        namespaces: namespaces.length,
        workloads: workloads.length,
        pods: namespaces.reduce((n, ns) => n + ns.pods, 0),
        findings: findings.length,
        byStatus: Object.fromEntries(
          FINDING_STATUSES.map((s) => [s, findings.filter((f) => f.status === s).length]),
        ),
        refusedWorkloads: workloads.filter((w) => w.status === 'refused').length,
        enforceReadyNamespaces: namespaces.filter((ns) => ns.enforceReady === true).length,
        legacySeccompOnly: findings.filter((f) => f.legacySeccompAnnotation !== null).length,
      },
      warnings: [...this.#warnings],
      stats: {
        apiCalls: stats.apiCalls,
        objectsRead: this.#objectsRead,
        durationMs: stats.durationMs,
      },
    };
  }
}

function meta(record: WorkloadRecord): string {
  const { namespace, name } = record.resource;
  return namespace ? `${namespace}/${name}` : name;
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function countBy<T>(items: readonly T[], key: (item: T) => string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const item of items) out[key(item)] = (out[key(item)] ?? 0) + 1;
  return out;
}
