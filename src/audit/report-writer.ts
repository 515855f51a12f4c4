/**
 * Writes reports only when their content changed. What is in the cluster is known from a cache
 * of our own reports (label app.kubernetes.io/managed-by=runtime-guard) and from the answers to
 * our own writes, so neither a resync nor a restart rewrites a report whose hash is unchanged.
 * Every API write waits for a token of the rate limit; a skipped write costs none.
 */
import type { Logger } from 'pino';
import { isObject, type JsonObject } from '../json/values.ts';
import { HASH_ANNOTATION, type BuiltReport } from './build-report.ts';
import type { ReportApi, ReportKind } from './report-api.ts';
import type { TokenBucket } from './token-bucket.ts';

/** The writes the audit makes, on the report kind only (the chart's RBAC allows no more). */
export interface ReportClient {
  create(kind: ReportKind, namespace: string | undefined, body: JsonObject): Promise<unknown>;
  replace(
    kind: ReportKind,
    namespace: string | undefined,
    name: string,
    body: JsonObject,
  ): Promise<unknown>;
  get(kind: ReportKind, namespace: string | undefined, name: string): Promise<unknown>;
  delete(kind: ReportKind, namespace: string | undefined, name: string): Promise<void>;
}

export type WriteOutcome = 'created' | 'updated' | 'unchanged' | 'deleted' | 'absent';

interface Known {
  kind: ReportKind;
  namespace: string | undefined;
  name: string;
  hash: string | undefined;
  resourceVersion: string | undefined;
}

export function reportKey(namespace: string | undefined, name: string): string {
  return namespace ? `${namespace}/${name}` : name;
}

function metadataOf(object: unknown): JsonObject {
  return isObject(object) && isObject(object.metadata) ? object.metadata : {};
}

function knownFrom(kind: ReportKind, object: unknown): Known | undefined {
  const metadata = metadataOf(object);
  if (typeof metadata.name !== 'string') return undefined;
  const annotations = isObject(metadata.annotations) ? metadata.annotations : {};
  const hash = annotations[HASH_ANNOTATION];
  return {
    kind,
    namespace:
      typeof metadata.namespace === 'string' && metadata.namespace !== ''
        ? metadata.namespace
        : undefined,
    name: metadata.name,
    hash: typeof hash === 'string' ? hash : undefined,
    resourceVersion:
      typeof metadata.resourceVersion === 'string' ? metadata.resourceVersion : undefined,
  };
}

export function statusOf(error: unknown): number | undefined {
  const e = error as { code?: unknown; status?: unknown; statusCode?: unknown } | null;
  const code = e?.code ?? e?.statusCode ?? e?.status;
  return typeof code === 'number' ? code : undefined;
}

/**
 * What went wrong, in one line: the API server's Status message when it sent one (the client
 * library's own message is a dump of the whole answer), else the error's message.
 */
export function describeError(error: unknown): string {
  const body = (error as { body?: unknown } | null)?.body;
  const code = statusOf(error);
  if (typeof body === 'string') {
    try {
      const status = JSON.parse(body) as { message?: unknown };
      if (typeof status.message === 'string')
        return code ? `HTTP ${code}: ${status.message}` : status.message;
    } catch {
      // not a Status: fall through
    }
  }
  return error instanceof Error ? (error.message.split('\n')[0] ?? error.message) : String(error);
}

export class ReportWriter {
  readonly #api: ReportApi;
  readonly #client: ReportClient;
  readonly #limit: TokenBucket;
  readonly #log: Logger;
  readonly #known = new Map<string, Known>();

  constructor(api: ReportApi, client: ReportClient, limit: TokenBucket, log: Logger) {
    this.#api = api;
    this.#client = client;
    this.#limit = limit;
    this.#log = log;
  }

  /** From the cache of our reports: one in the cluster, as it is now. */
  observe(object: unknown, namespaced: boolean): void {
    const known = knownFrom(namespaced ? this.#api.namespaced : this.#api.cluster, object);
    if (known) this.#known.set(reportKey(known.namespace, known.name), known);
  }

  /** From the cache of our reports: one is gone. */
  forget(namespace: string | undefined, name: string): void {
    this.#known.delete(reportKey(namespace, name));
  }

  has(namespace: string | undefined, name: string): boolean {
    return this.#known.has(reportKey(namespace, name));
  }

  /** Keys of every report of ours known to be in the cluster. */
  keys(): string[] {
    return [...this.#known.keys()];
  }

  async write(report: BuiltReport): Promise<WriteOutcome> {
    const { metadata } = report.object;
    const namespace = metadata.namespace;
    const kind = namespace ? this.#api.namespaced : this.#api.cluster;
    const key = reportKey(namespace, metadata.name);
    const known = this.#known.get(key);
    if (known?.hash === report.hash) return 'unchanged';
    const body = report.object as unknown as JsonObject;
    await this.#limit.take();
    if (known) {
      try {
        this.#remember(
          kind,
          await this.#replace(kind, namespace, metadata.name, body, known.resourceVersion),
        );
        return 'updated';
      } catch (error) {
        if (statusOf(error) !== 404) throw error;
        // Deleted meanwhile (its owner went, or someone else): create it again below.
      }
    }
    try {
      this.#remember(kind, await this.#client.create(kind, namespace, body));
      return 'created';
    } catch (error) {
      if (statusOf(error) !== 409) throw error;
      // There already, unknown to the cache yet: read its version and replace it.
      const current = knownFrom(kind, await this.#client.get(kind, namespace, metadata.name));
      if (current?.hash === report.hash) {
        this.#known.set(key, current);
        return 'unchanged';
      }
      await this.#limit.take();
      this.#remember(
        kind,
        await this.#replace(kind, namespace, metadata.name, body, current?.resourceVersion),
      );
      return 'updated';
    }
  }

  async #replace(
    kind: ReportKind,
    namespace: string | undefined,
    name: string,
    body: JsonObject,
    resourceVersion: string | undefined,
  ): Promise<unknown> {
    const metadata = {
      ...(body.metadata as JsonObject),
      ...(resourceVersion ? { resourceVersion } : {}),
    };
    try {
      return await this.#client.replace(kind, namespace, name, { ...body, metadata });
    } catch (error) {
      if (statusOf(error) !== 409) throw error;
      // Our cache was behind: read the current version once and try again.
      const current = knownFrom(kind, await this.#client.get(kind, namespace, name));
      await this.#limit.take();
      return this.#client.replace(kind, namespace, name, {
        ...body,
        metadata: { ...(body.metadata as JsonObject), resourceVersion: current?.resourceVersion },
      });
    }
  }

  #remember(kind: ReportKind, answer: unknown): void {
    const known = knownFrom(kind, answer);
    if (known) this.#known.set(reportKey(known.namespace, known.name), known);
  }

  /** Deletes a report of ours that describes nothing any more. */
  async delete(namespace: string | undefined, name: string): Promise<WriteOutcome> {
    const key = reportKey(namespace, name);
    const known = this.#known.get(key);
    if (!known) return 'absent';
    await this.#limit.take();
    try {
      await this.#client.delete(known.kind, namespace, name);
    } catch (error) {
      if (statusOf(error) !== 404) throw error;
    }
    this.#known.delete(key);
    this.#log.debug({ report: key }, 'report deleted');
    return 'deleted';
  }
}
