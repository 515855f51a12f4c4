/**
 * Per-namespace mode: the label `runtime-guard.io/mode: enforce|warn|audit|off` on a namespace
 * overrides the configured mode for the objects in it.
 *
 * Namespaces are read through an informer (list, then watch), selecting only labelled ones, so
 * a review costs a map lookup and never an API call. Until the first list has succeeded the
 * cache is not synced: readiness says so, and every review gets the configured mode, the one
 * the operator wrote down (with the defaults, enforce). A namespace the cache does not know, or
 * whose label holds another value, gets the configured mode too.
 */
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { KubeConfig, V1Namespace } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import {
  isNamespaceMode,
  NAMESPACE_MODE_LABEL,
  NAMESPACE_MODES,
  type NamespaceMode,
} from '../admission/settings.ts';
import type { NamespaceModeLookup } from '../admission/review-request.ts';
import type { ServerMetrics } from './metrics.ts';
import type { ReadinessCheck } from './health-routes.ts';

const FIRST_RETRY_MS = 1000;
const LAST_RETRY_MS = 30_000;

export class NamespaceModeCache implements NamespaceModeLookup {
  readonly #informer: Informer;
  readonly #log: Logger;
  readonly #metrics: ServerMetrics;
  #synced = false;
  #stopped = false;
  #attemptFailed = false;
  #lastError: string | undefined;
  #retryMs = FIRST_RETRY_MS;
  #retryTimer: NodeJS.Timeout | undefined;

  constructor(informer: Informer, log: Logger, metrics: ServerMetrics) {
    this.#informer = informer;
    this.#log = log;
    this.#metrics = metrics;
    metrics.namespaceCacheSynced.set(0);
    const reportLabel = (namespace: V1Namespace) => {
      const value = namespace.metadata?.labels?.[NAMESPACE_MODE_LABEL];
      if (value !== undefined && !isNamespaceMode(value)) {
        log.warn(
          { namespace: namespace.metadata?.name, label: NAMESPACE_MODE_LABEL, value },
          `namespace label ${NAMESPACE_MODE_LABEL} must be one of ${NAMESPACE_MODES.join(', ')}; the configured mode applies`,
        );
      }
    };
    informer.on('add', reportLabel);
    informer.on('update', reportLabel);
    informer.on('error', (error: unknown) => this.#onError(error));
  }

  get synced(): boolean {
    return this.#synced;
  }

  modeFor(namespace: string): NamespaceMode | undefined {
    const value = this.#informer.get(namespace)?.metadata?.labels?.[NAMESPACE_MODE_LABEL];
    return isNamespaceMode(value) ? value : undefined;
  }

  /** Starts listing and watching; returns at once. Failures are retried with backoff. */
  start(): void {
    void this.#attempt();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#retryTimer);
    await this.#informer.stop();
  }

  readiness(): ReadinessCheck {
    return {
      name: 'namespaceCache',
      check: () => {
        if (this.#synced) {
          return {
            ok: true,
            detail: `synced: ${this.#informer.list().length} namespaces carry ${NAMESPACE_MODE_LABEL}`,
          };
        }
        const why = this.#lastError ? `; last error: ${this.#lastError}` : '';
        return {
          ok: false,
          detail: `not synced yet: listing namespaces, the configured mode applies meanwhile${why}`,
        };
      },
    };
  }

  async #attempt(): Promise<void> {
    if (this.#stopped) return;
    this.#attemptFailed = false;
    // start() lists, then opens the watch; a failure of either reaches #onError before it returns.
    await this.#informer.start();
    if (this.#attemptFailed || this.#stopped) return;
    this.#retryMs = FIRST_RETRY_MS;
    this.#lastError = undefined;
    if (!this.#synced) {
      this.#synced = true;
      this.#metrics.namespaceCacheSynced.set(1);
      this.#log.info(
        { labelled: this.#informer.list().length },
        'namespace cache synced: per-namespace modes apply',
      );
    }
  }

  #onError(error: unknown): void {
    if (this.#stopped) return; // stop() aborts the watch, which reports itself as an error
    this.#attemptFailed = true;
    this.#lastError = describeError(error);
    this.#metrics.errors.inc({ type: 'namespace_watch' });
    this.#log.warn(
      { error: this.#lastError, retryInMs: this.#retryMs },
      'listing or watching namespaces failed; retrying',
    );
    clearTimeout(this.#retryTimer);
    this.#retryTimer = setTimeout(() => void this.#attempt(), this.#retryMs);
    this.#retryTimer.unref();
    this.#retryMs = Math.min(this.#retryMs * 2, LAST_RETRY_MS);
  }
}

function describeError(error: unknown): string {
  if (error instanceof Error) {
    const status =
      (error as { statusCode?: unknown; code?: unknown }).statusCode ??
      (error as { code?: unknown }).code;
    return status === undefined ? error.message : `${error.message} (${String(status)})`;
  }
  return String(error);
}

/** The informer surface the cache uses, so tests and callers see what it needs. */
export interface Informer {
  on(verb: 'add' | 'update' | 'delete', cb: (namespace: V1Namespace) => void): void;
  on(verb: 'error', cb: (error: unknown) => void): void;
  get(name: string): V1Namespace | undefined;
  list(): readonly V1Namespace[];
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** An informer on namespaces that carry the mode label, through @kubernetes/client-node. */
export async function createNamespaceInformer(kubeConfig: KubeConfig): Promise<Informer> {
  const { CoreV1Api, makeInformer } = await import('@kubernetes/client-node');
  const api = kubeConfig.makeApiClient(CoreV1Api);
  return makeInformer<V1Namespace>(
    kubeConfig,
    '/api/v1/namespaces',
    () => api.listNamespace({ labelSelector: NAMESPACE_MODE_LABEL }),
    NAMESPACE_MODE_LABEL,
  );
}

/**
 * Cluster access the way kubectl and client-go find it: $KUBECONFIG, ~/.kube/config, or the
 * pod's service account. Undefined when there is none, i.e. outside a cluster.
 */
export async function findClusterAccess(): Promise<KubeConfig | undefined> {
  const inCluster = Boolean(process.env['KUBERNETES_SERVICE_HOST']);
  const kubeconfigFile = process.env['KUBECONFIG'] || join(homedir(), '.kube', 'config');
  if (!inCluster && !existsSync(kubeconfigFile.split(':')[0] ?? '')) return undefined;
  const { KubeConfig } = await import('@kubernetes/client-node');
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromDefault();
  return kubeConfig;
}
