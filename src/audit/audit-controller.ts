/**
 * The audit loop: informers on namespaces, pods, every workload kind (extra kinds included) and
 * our own reports; a queue of top workloads to evaluate; one worker that evaluates each through
 * the scan's fold, builds its report and hands it to the writer, which writes only what
 * changed. Only the leader's worker writes; a replica that is not leading keeps its caches warm
 * and drops its queue. Becoming leader, a changed configuration and every resync start a full
 * pass: every top workload queued once, and the reports of ours that describe no top workload
 * any more deleted.
 */
import type { Logger } from 'pino';
import type { InspectionSettings } from '../inspect/inspection.ts';
import type { Policy } from '../policy/policy.ts';
import type { KubeApi } from '../kube/api-client.ts';
import { NAMESPACES, PODS, type ApiResource } from '../kube/resources.ts';
import type { AuditMetrics } from './audit-metrics.ts';
import {
  buildReport,
  MANAGED_BY,
  MANAGED_BY_LABEL,
  reportName,
  type ObjectReference,
} from './build-report.ts';
import { evaluateWorkload } from './evaluate-workload.ts';
import { ObjectCache, type CachedObject, type WatchStarter } from './object-cache.ts';
import type { ReportApi } from './report-api.ts';
import { describeError, type ReportWriter } from './report-writer.ts';
import { WorkQueue } from './work-queue.ts';
import { WorkloadIndex, type IndexedObject } from './workload-index.ts';

export interface AuditControllerOptions {
  api: KubeApi;
  watcher: WatchStarter;
  reportApi: ReportApi;
  writer: ReportWriter;
  /** Every workload kind to watch, built-in and extra, where the API server serves them. */
  workloadResources: readonly ApiResource[];
  /** The settings of the next evaluation (a reloaded configuration applies at once). */
  settings(): InspectionSettings;
  maxResults: number;
  isLeader(): boolean;
  /** How long a changed workload waits before it is evaluated, so a burst of changes is one. */
  settleMs?: number;
  /** How long a workload whose report could not be written waits before it is tried again. */
  writeRetryMs?: number;
  metrics: AuditMetrics;
  log: Logger;
}

const REPORT_PREFIX = 'runtime-guard-';
const DEFAULT_SETTLE_MS = 1000;
const WRITE_RETRY_MS = 10_000;

function labelsOf(entry: CachedObject): unknown {
  return (entry.object.metadata as { labels?: unknown } | undefined)?.labels;
}

/** Equal but for the resourceVersion. */
function sameContent(a: CachedObject, b: CachedObject): boolean {
  const strip = (entry: CachedObject) =>
    JSON.stringify({
      ...entry.object,
      metadata: { ...(entry.object.metadata as object), resourceVersion: undefined },
    });
  return strip(a) === strip(b);
}

function apiVersionOf(resource: ApiResource): string {
  return resource.group === '' ? resource.version : `${resource.group}/${resource.version}`;
}

export class AuditController {
  readonly #options: AuditControllerOptions;
  readonly #index = new WorkloadIndex();
  readonly #namespaces: ObjectCache;
  readonly #caches: ObjectCache[] = [];
  readonly #reportCaches: ObjectCache[] = [];
  readonly #queue: WorkQueue;
  readonly #writeRetryMs: number;
  #synced = false;
  #stopped = false;
  #worker: Promise<void> = Promise.resolve();
  #pass: { pending: Set<string>; startedAt: number } | undefined;

  constructor(options: AuditControllerOptions) {
    this.#options = options;
    this.#queue = new WorkQueue({ settleMs: options.settleMs ?? DEFAULT_SETTLE_MS });
    this.#writeRetryMs = options.writeRetryMs ?? WRITE_RETRY_MS;
    const { api, watcher, log, metrics } = options;
    const onError = () => metrics.errors.inc({ type: 'watch' });
    this.#namespaces = new ObjectCache(api, watcher, NAMESPACES, {
      log,
      onError,
      handlers: {
        onAdd: (ns) => this.#namespaceChanged(ns),
        // Only the labels matter (runtime-guard.io/mode); a namespace's status is no news.
        onUpdate: (ns, old) => {
          if (JSON.stringify(labelsOf(ns)) !== JSON.stringify(labelsOf(old)))
            this.#namespaceChanged(ns);
        },
      },
    });
    for (const resource of [...options.workloadResources, PODS]) {
      this.#caches.push(
        new ObjectCache(api, watcher, resource, {
          log,
          onError,
          handlers: {
            onAdd: (entry) => this.#objectChanged(resource, entry),
            onUpdate: (entry, old) => {
              // The kubelet rewrites a pod's status often; the cache keeps its phase only, so
              // most updates change nothing the audit reads: no evaluation for those.
              if (sameContent(entry, old)) this.#index.put(resource, entry.uid, entry.object);
              else this.#objectChanged(resource, entry);
            },
            onDelete: (entry) => this.#objectDeleted(entry),
          },
        }),
      );
    }
    const { reportApi, writer } = options;
    for (const kind of [reportApi.namespaced, reportApi.cluster]) {
      const resource: ApiResource = {
        group: reportApi.group,
        version: reportApi.version,
        kind: kind.kind,
        plural: kind.plural,
        namespaced: kind.namespaced,
      };
      this.#reportCaches.push(
        new ObjectCache(api, watcher, resource, {
          log,
          onError,
          labelSelector: `${MANAGED_BY_LABEL}=${MANAGED_BY}`,
          metadataOnly: true,
          handlers: {
            onAdd: (entry) => writer.observe(entry.object, kind.namespaced),
            onUpdate: (entry) => writer.observe(entry.object, kind.namespaced),
            onDelete: (entry) => {
              const [namespace, name] = entry.key.includes('/')
                ? entry.key.split('/')
                : [undefined, entry.key];
              writer.forget(namespace, name ?? entry.key);
            },
          },
        }),
      );
    }
  }

  get synced(): boolean {
    return this.#synced;
  }

  get queueDepth(): number {
    return this.#queue.depth;
  }

  #all(): ObjectCache[] {
    return [this.#namespaces, ...this.#caches, ...this.#reportCaches];
  }

  /** Which informers have listed, and the last error of those that have not. */
  cacheStatus(): { synced: string[]; waiting: string[] } {
    const synced: string[] = [];
    const waiting: string[] = [];
    for (const cache of this.#all()) {
      const name = cache.resource.group
        ? `${cache.resource.plural}.${cache.resource.group}`
        : cache.resource.plural;
      if (cache.synced) synced.push(name);
      else waiting.push(cache.lastError ? `${name} (${cache.lastError})` : name);
    }
    return { synced, waiting };
  }

  /** Starts the informers; the worker starts once every one has listed. */
  start(): void {
    for (const cache of this.#all()) cache.start();
    void Promise.all(this.#all().map((cache) => cache.whenSynced())).then(() => {
      if (this.#stopped) return;
      this.#synced = true;
      this.#options.metrics.cachesSynced.set(1);
      this.#updateCacheSizes();
      this.#options.log.info(
        { objects: this.#index.size, reports: this.#options.writer.keys().length },
        'caches synced',
      );
      this.#worker = this.#work();
      if (this.#options.isLeader()) this.fullPass();
    });
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#queue.close();
    for (const cache of this.#all()) cache.stop();
    await this.#worker;
  }

  #updateCacheSizes(): void {
    for (const cache of [this.#namespaces, ...this.#caches])
      this.#options.metrics.cachedObjects.set({ resource: cache.resource.plural }, cache.size);
  }

  #enqueue(uid: string): void {
    if (this.#stopped) return;
    this.#queue.add(uid);
    this.#options.metrics.queueDepth.set(this.#queue.depth);
  }

  #objectChanged(resource: ApiResource, entry: CachedObject): void {
    const indexed = this.#index.put(resource, entry.uid, entry.object);
    if (!this.#synced) return; // the first full pass covers it
    const top = this.#index.topOf(indexed.uid);
    if (top) this.#enqueue(top.uid);
    // What became part of a workload above it (a pod whose ReplicaSet just arrived) loses its own report.
    const tree = this.#index.treeOf(indexed);
    for (const below of [...tree.workloads, ...tree.pods]) {
      if (
        below.uid !== top?.uid &&
        this.#options.writer.has(below.namespace || undefined, reportName(below))
      )
        this.#enqueue(below.uid);
    }
  }

  #objectDeleted(entry: CachedObject): void {
    const top = this.#index.topOf(entry.uid);
    this.#index.remove(entry.uid);
    // A deleted top workload's report goes with it (the garbage collector follows its owner reference).
    if (this.#synced && top && top.uid !== entry.uid) this.#enqueue(top.uid);
  }

  #namespaceChanged(ns: CachedObject): void {
    if (!this.#synced) return;
    for (const top of this.#index.tops()) if (top.namespace === ns.key) this.#enqueue(top.uid);
  }

  /** Queues every top workload once, and the reports of ours whose workload is gone. */
  fullPass(): void {
    // A replica that does not lead writes nothing; it passes in full when it starts leading.
    if (!this.#synced || this.#stopped || !this.#options.isLeader()) return;
    const pending = new Set<string>();
    for (const top of this.#index.tops()) pending.add(top.uid);
    for (const key of this.#options.writer.keys()) {
      const name = key.includes('/') ? key.slice(key.indexOf('/') + 1) : key;
      if (name.startsWith(REPORT_PREFIX)) {
        const uid = name.slice(REPORT_PREFIX.length);
        if (!this.#index.isTop(uid)) pending.add(uid);
      }
    }
    this.#pass = { pending, startedAt: Date.now() };
    this.#options.log.info({ workloads: pending.size }, 'full pass started');
    for (const uid of pending) this.#enqueue(uid);
    if (pending.size === 0) this.#passDone();
  }

  #passDone(): void {
    const pass = this.#pass;
    if (!pass) return;
    this.#pass = undefined;
    const seconds = (Date.now() - pass.startedAt) / 1000;
    this.#options.metrics.lastFullPass.set(Date.now() / 1000);
    this.#options.metrics.fullPassDuration.set(seconds);
    this.#options.log.info({ seconds }, 'full pass done');
  }

  async #work(): Promise<void> {
    for (;;) {
      const uid = await this.#queue.next();
      if (uid === undefined) return;
      try {
        if (this.#options.isLeader()) await this.#process(uid);
      } catch (error) {
        this.#options.metrics.errors.inc({ type: 'write' });
        this.#options.log.warn(
          { uid, error: describeError(error), retryInMs: this.#writeRetryMs },
          'report not written; retrying',
        );
        // The API server may be restarting: try again later, not at once and not never.
        setTimeout(() => this.#enqueue(uid), this.#writeRetryMs).unref();
      } finally {
        this.#queue.done(uid);
        this.#options.metrics.queueDepth.set(this.#queue.depth);
        if (this.#pass?.pending.delete(uid) && this.#pass.pending.size === 0) this.#passDone();
        if (this.#queue.depth === 0) this.#updateCacheSizes();
      }
    }
  }

  #reportNamespaceOf(uid: string): string | undefined | null {
    const name = REPORT_PREFIX + uid;
    for (const key of this.#options.writer.keys()) {
      if (key === name) return undefined;
      if (key.endsWith(`/${name}`)) return key.slice(0, key.indexOf('/'));
    }
    return null;
  }

  async #process(uid: string): Promise<void> {
    const { writer, metrics } = this.#options;
    const entry = this.#index.get(uid);
    if (!entry || !this.#index.isTop(uid)) {
      const namespace = entry ? entry.namespace || undefined : this.#reportNamespaceOf(uid);
      if (namespace === null) return;
      const outcome = await writer.delete(namespace, REPORT_PREFIX + uid);
      if (outcome === 'deleted') metrics.reportWrites.inc({ operation: 'delete' });
      return;
    }
    const started = performance.now();
    const built = this.#build(entry);
    metrics.evaluationDuration.observe((performance.now() - started) / 1000);
    metrics.workloadsEvaluated.inc();
    if (!built) {
      const outcome = await writer.delete(entry.namespace || undefined, reportName(entry));
      if (outcome === 'deleted') metrics.reportWrites.inc({ operation: 'delete' });
      return;
    }
    const outcome = await writer.write(built);
    if (outcome === 'unchanged') metrics.reportsUnchanged.inc();
    else metrics.reportWrites.inc({ operation: outcome === 'created' ? 'create' : 'update' });
  }

  #build(top: IndexedObject) {
    const settings = this.#options.settings();
    let verdict;
    try {
      verdict = evaluateWorkload(
        this.#index.treeOf(top),
        this.#namespaces.get(top.namespace)?.object,
        settings,
      );
    } catch (error) {
      this.#options.metrics.errors.inc({ type: 'evaluate' });
      this.#options.log.error({ uid: top.uid, err: error }, 'evaluating a workload failed');
      return undefined;
    }
    if (!verdict) return undefined;
    const scope: ObjectReference = {
      apiVersion: apiVersionOf(top.resource),
      kind: top.resource.kind,
      ...(top.namespace ? { namespace: top.namespace } : {}),
      name: top.name,
      uid: top.uid,
    };
    return buildReport(scope, verdict.workload, verdict.findings, {
      api: this.#options.reportApi,
      policy: settings.config.policy as Policy,
      maxResults: this.#options.maxResults,
      now: new Date(),
    });
  }
}
