/**
 * An informer: every object of one resource, listed page by page and then kept current by a
 * watch, with add, update and delete callbacks. Objects are kept as the API server sends them
 * (raw JSON, not the client library's model classes, which drop fields newer than the library),
 * minus what no report reads: `managedFields`, the last-applied annotation (a second copy of the
 * whole object) and, but for a pod's phase, the status. That keeps the cache of 5,000 pods at a
 * fraction of their size.
 *
 * The watch resumes from the last resourceVersion seen (bookmarks included); an expired one
 * (410 Gone) means a fresh list, diffed against the cache so callbacks see only what changed.
 * Failures are retried with backoff, from 1 s up to 30 s.
 */
import type { KubeConfig } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { isObject, type JsonObject } from '../json/values.ts';
import type { KubeApi } from '../kube/api-client.ts';
import { resourcePath, type ApiResource } from '../kube/resources.ts';

export interface CachedObject {
  /** `namespace/name`, or `name` for a cluster-scoped object. */
  key: string;
  uid: string;
  object: JsonObject;
}

export interface ObjectCacheHandlers {
  onAdd?(entry: CachedObject): void;
  onUpdate?(entry: CachedObject, old: CachedObject): void;
  onDelete?(entry: CachedObject): void;
}

export interface WatchStarter {
  watch(
    path: string,
    query: Record<string, string | number | boolean | undefined>,
    onEvent: (type: string, object: unknown) => void,
    done: (error: unknown) => void,
  ): Promise<{ abort(): void }>;
}

export interface ObjectCacheOptions {
  labelSelector?: string;
  /** Keep only apiVersion, kind and metadata (our own reports: the writer needs their hash). */
  metadataOnly?: boolean;
  pageSize?: number;
  handlers: ObjectCacheHandlers;
  log: Logger;
  onError?: (message: string) => void;
}

const FIRST_RETRY_MS = 1000;
const LAST_RETRY_MS = 30_000;
const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

/** What the cache keeps of an object; undefined when it has no name or uid. */
export function pruneObject(
  raw: unknown,
  isPod: boolean,
  metadataOnly = false,
): CachedObject | undefined {
  if (!isObject(raw) || !isObject(raw.metadata)) return undefined;
  const metadata: JsonObject = { ...raw.metadata };
  const { name, namespace, uid, annotations } = metadata;
  if (typeof name !== 'string' || typeof uid !== 'string') return undefined;
  delete metadata.managedFields;
  if (isObject(annotations) && LAST_APPLIED in annotations) {
    const kept = { ...annotations };
    delete kept[LAST_APPLIED];
    metadata.annotations = kept;
  }
  const kept: JsonObject = metadataOnly
    ? { apiVersion: raw.apiVersion, kind: raw.kind, metadata }
    : { ...raw, metadata };
  delete kept.status;
  if (isPod && isObject(raw.status) && raw.status.phase !== undefined)
    kept.status = { phase: raw.status.phase };
  return {
    key: typeof namespace === 'string' && namespace !== '' ? `${namespace}/${name}` : name,
    uid,
    object: kept,
  };
}

function resourceVersionOf(value: unknown): string | undefined {
  const rv =
    isObject(value) && isObject(value.metadata) ? value.metadata.resourceVersion : undefined;
  return typeof rv === 'string' && rv !== '' ? rv : undefined;
}

function isGone(error: unknown): boolean {
  const e = error as { status?: unknown; statusCode?: unknown; code?: unknown } | null;
  return e?.status === 410 || e?.statusCode === 410 || e?.code === 410;
}

export class ObjectCache {
  readonly resource: ApiResource;
  readonly #api: KubeApi;
  readonly #watcher: WatchStarter;
  readonly #options: ObjectCacheOptions;
  readonly #isPod: boolean;
  readonly #objects = new Map<string, CachedObject>();
  #resourceVersion: string | undefined;
  #request: { abort(): void } | undefined;
  #retryMs = FIRST_RETRY_MS;
  #retryTimer: NodeJS.Timeout | undefined;
  #watchStartedAt = 0;
  #stopped = false;
  #synced = false;
  #lastError: string | undefined;
  readonly #syncWaiters: (() => void)[] = [];

  constructor(
    api: KubeApi,
    watcher: WatchStarter,
    resource: ApiResource,
    options: ObjectCacheOptions,
  ) {
    this.#api = api;
    this.#watcher = watcher;
    this.resource = resource;
    this.#options = options;
    this.#isPod = resource.group === '' && resource.kind === 'Pod';
  }

  get synced(): boolean {
    return this.#synced;
  }

  get lastError(): string | undefined {
    return this.#lastError;
  }

  get size(): number {
    return this.#objects.size;
  }

  get(key: string): CachedObject | undefined {
    return this.#objects.get(key);
  }

  values(): IterableIterator<CachedObject> {
    return this.#objects.values();
  }

  /** Resolves once the first list is in the cache. */
  whenSynced(): Promise<void> {
    if (this.#synced) return Promise.resolve();
    return new Promise((resolve) => this.#syncWaiters.push(resolve));
  }

  start(): void {
    void this.#run();
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#retryTimer);
    this.#request?.abort();
    this.#request = undefined;
  }

  async #run(): Promise<void> {
    if (this.#stopped) return;
    try {
      if (this.#resourceVersion === undefined) await this.#list();
      if (this.#stopped) return;
      await this.#watch();
    } catch (error) {
      this.#failed(error);
    }
  }

  async #list(): Promise<void> {
    const path = resourcePath(this.resource);
    const fresh = new Map<string, CachedObject>();
    let token: string | undefined;
    let resourceVersion: string | undefined;
    do {
      const page = await this.#api.get(path, {
        limit: this.#options.pageSize ?? 500,
        continue: token,
        labelSelector: this.#options.labelSelector,
      });
      if (!isObject(page) || !Array.isArray(page.items))
        throw new Error(`GET ${path}: the answer is not a list`);
      for (const item of page.items) {
        const entry = pruneObject(item, this.#isPod, this.#options.metadataOnly);
        if (entry) fresh.set(entry.key, entry);
      }
      const metadata = isObject(page.metadata) ? page.metadata : {};
      resourceVersion =
        typeof metadata.resourceVersion === 'string' ? metadata.resourceVersion : resourceVersion;
      token =
        typeof metadata.continue === 'string' && metadata.continue !== ''
          ? metadata.continue
          : undefined;
    } while (token !== undefined && !this.#stopped);
    const { handlers } = this.#options;
    for (const [key, old] of this.#objects) {
      if (!fresh.has(key)) {
        this.#objects.delete(key);
        handlers.onDelete?.(old);
      }
    }
    for (const [key, entry] of fresh) this.#store(key, entry);
    this.#resourceVersion = resourceVersion;
    this.#options.log.debug(
      { resource: this.resource.plural, objects: fresh.size, resourceVersion },
      'listed',
    );
    if (!this.#synced) {
      this.#synced = true;
      for (const resolve of this.#syncWaiters.splice(0)) resolve();
    }
  }

  #store(key: string, entry: CachedObject): void {
    const old = this.#objects.get(key);
    this.#objects.set(key, entry);
    const { handlers } = this.#options;
    if (!old) handlers.onAdd?.(entry);
    else if (resourceVersionOf(old.object) !== resourceVersionOf(entry.object))
      handlers.onUpdate?.(entry, old);
  }

  async #watch(): Promise<void> {
    const path = resourcePath(this.resource);
    this.#watchStartedAt = Date.now();
    this.#options.log.debug(
      { resource: this.resource.plural, resourceVersion: this.#resourceVersion },
      'watching',
    );
    this.#request = await this.#watcher.watch(
      path,
      {
        resourceVersion: this.#resourceVersion,
        allowWatchBookmarks: true,
        // Recycled by the server now and then, as client-go does, so no watch lives for ever.
        timeoutSeconds: 240 + Math.floor(Math.random() * 120),
        labelSelector: this.#options.labelSelector,
      },
      (type, object) => this.#onEvent(type, object),
      (error) => this.#onDone(error),
    );
  }

  #onEvent(type: string, raw: unknown): void {
    if (type === 'ERROR') {
      if (isObject(raw) && raw.code === 410) this.#resourceVersion = undefined;
      return;
    }
    const rv = resourceVersionOf(raw);
    if (type === 'BOOKMARK') {
      if (rv) this.#resourceVersion = rv;
      return;
    }
    const entry = pruneObject(raw, this.#isPod, this.#options.metadataOnly);
    if (!entry) return;
    if (type === 'DELETED') {
      const old = this.#objects.get(entry.key);
      this.#objects.delete(entry.key);
      this.#options.handlers.onDelete?.(old ?? entry);
    } else if (type === 'ADDED' || type === 'MODIFIED') this.#store(entry.key, entry);
    if (rv) this.#resourceVersion = rv;
    this.#retryMs = FIRST_RETRY_MS;
  }

  #onDone(error: unknown): void {
    this.#request = undefined;
    if (this.#stopped) return;
    const timeout = (error as { name?: unknown } | null)?.name === 'TimeoutError';
    if (error && isGone(error)) this.#resourceVersion = undefined;
    // A watch the server (or the client's inactivity timer) ended: resume at once, unless it
    // ended as soon as it began, which would otherwise loop as fast as the server answers.
    const lasted = Date.now() - this.#watchStartedAt;
    if ((!error || timeout || isGone(error)) && lasted >= 1000) {
      void this.#run();
      return;
    }
    this.#failed(error ?? new Error('the watch ended as soon as it began'));
  }

  #failed(error: unknown): void {
    if (this.#stopped) return;
    if (isGone(error)) this.#resourceVersion = undefined;
    this.#lastError = error instanceof Error ? error.message : String(error);
    if ((error as { status?: unknown } | null)?.status === 404)
      this.#lastError += ` (is the CustomResourceDefinition of ${this.resource.plural}.${this.resource.group || 'core'} installed?)`;
    this.#options.onError?.(this.#lastError);
    this.#options.log.warn(
      { resource: this.resource.plural, error: this.#lastError, retryInMs: this.#retryMs },
      'listing or watching failed; retrying',
    );
    clearTimeout(this.#retryTimer);
    this.#retryTimer = setTimeout(() => void this.#run(), this.#retryMs);
    this.#retryTimer.unref();
    this.#retryMs = Math.min(this.#retryMs * 2, LAST_RETRY_MS);
  }
}

/** The watch of @kubernetes/client-node: its credentials, raw JSON events. */
export async function createWatchStarter(kubeConfig: KubeConfig): Promise<WatchStarter> {
  const { Watch } = await import('@kubernetes/client-node');
  const watch = new Watch(kubeConfig);
  return {
    async watch(path, query, onEvent, done) {
      const controller = await watch.watch(
        path,
        query,
        (type: string, object: unknown) => onEvent(type, object),
        done,
      );
      return { abort: () => controller.abort() };
    },
  };
}
