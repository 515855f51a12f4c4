/**
 * The scan's reading order, over the API: namespaces (their modes), then every kind that carries
 * a pod template, owners before what they own, then pods, each list a page at a time into the
 * fold (inspection.ts). Errors name what could not be read and why; a forbidden list says which
 * permission the scanner lacks.
 */
import type { ReviewConfig } from '../admission/settings.ts';
import { ClusterRequestError, type KubeApi } from '../kube/api-client.ts';
import { listPages } from '../kube/list-pages.ts';
import {
  BUILT_IN_WORKLOAD_RESOURCES,
  discoverResource,
  kubectlResourceName,
  NAMESPACES,
  PODS,
  resourcePath,
  type ApiResource,
} from '../kube/resources.ts';
import { Inspection } from './inspection.ts';
import type { ScanReport } from './report-schema.ts';

export class ScanError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ScanError';
  }
}

export interface ScanProgress {
  /** What is being listed, e.g. `deployments.apps`. */
  listing: string;
  /** Objects read so far, all kinds. */
  read: number;
  /** Objects read plus those the API server says are left in the lists begun so far. */
  known: number;
  findings: number;
}

export interface ScanOptions {
  config: ReviewConfig;
  /** Whether namespaces' runtime-guard.io/mode labels apply (server.namespaceModes.enabled). */
  namespaceLabels: boolean;
  /** Only these namespaces; default all. */
  namespaces?: readonly string[] | undefined;
  pageSize?: number;
  context: string;
  onProgress?: (progress: ScanProgress) => void;
  /** For durationMs. */
  now?: () => number;
  /** For generatedAt (tests pass a fixed one). */
  clock?: () => Date;
}

function describeFailure(error: unknown, what: string): Error {
  if (!(error instanceof ClusterRequestError)) return error as Error;
  if (error.status === 401)
    return new ScanError(
      `the API server refused the credentials (401) while reading ${what}: ${error.message}`,
    );
  if (error.status === 403)
    return new ScanError(
      `forbidden to read ${what}: ${error.message}. The scanner needs get and list on it: bind the chart's scanner ClusterRole (scanner.rbac.create)`,
    );
  return new ScanError(`cannot read ${what}: ${error.message}`);
}

export async function scanCluster(api: KubeApi, options: ScanOptions): Promise<ScanReport> {
  const now = options.now ?? (() => performance.now());
  const started = now();
  const inspection = new Inspection({
    config: options.config,
    namespaceLabels: options.namespaceLabels,
  });
  const limit = options.pageSize;
  let known = 0;
  const progress = (listing: string) =>
    options.onProgress?.({
      listing,
      read: inspection.objectsRead,
      known: Math.max(known, inspection.objectsRead),
      findings: inspection.findingCount,
    });

  const scopes: (string | undefined)[] = options.namespaces ? [...options.namespaces] : [undefined];

  const list = async (resource: ApiResource, add: (item: unknown) => void) => {
    const name = kubectlResourceName(resource);
    for (const namespace of resource.namespaced ? scopes : [undefined]) {
      const what =
        namespace === undefined ? `${name} (all namespaces)` : `${name} in namespace ${namespace}`;
      let first = true;
      let warnedInconsistent = false;
      try {
        for await (const page of listPages(api, resource, {
          namespace,
          ...(limit ? { limit } : {}),
        })) {
          if (first) known += page.items.length + (page.remaining ?? 0);
          first = false;
          for (const item of page.items) add(item);
          if (page.inconsistent && !warnedInconsistent) {
            warnedInconsistent = true;
            inspection.warn(
              `${what}: the list continued past an expired continue token; objects changed meanwhile may be missing or seen twice`,
            );
          }
          progress(name);
        }
      } catch (error) {
        throw describeFailure(error, what);
      }
    }
  };

  progress('namespaces');
  if (options.namespaces) {
    for (const name of options.namespaces) {
      try {
        inspection.addNamespace(
          await api.get(`${resourcePath(NAMESPACES)}/${encodeURIComponent(name)}`),
        );
      } catch (error) {
        if (error instanceof ClusterRequestError && error.status === 404)
          throw new ScanError(`namespace ${name} does not exist`);
        throw describeFailure(error, `namespace ${name}`);
      }
    }
  } else {
    await list(NAMESPACES, (item) => inspection.addNamespace(item));
  }

  const extras: ApiResource[] = [];
  for (const key of options.config.admission.extraKinds.keys()) {
    const slash = key.indexOf('/');
    try {
      extras.push(
        await discoverResource(api, { group: key.slice(0, slash), kind: key.slice(slash + 1) }),
      );
    } catch (error) {
      if (error instanceof ClusterRequestError)
        throw describeFailure(error, `the API group of extraKinds entry ${key}`);
      throw new ScanError((error as Error).message);
    }
  }

  // Owners before what they own, so an owned object is folded without being judged.
  const order = [
    'Deployment',
    'StatefulSet',
    'DaemonSet',
    'CronJob',
    'ReplicationController',
    'PodTemplate',
    'ReplicaSet',
    'Job',
  ];
  const builtIns = [...BUILT_IN_WORKLOAD_RESOURCES].sort(
    (a, b) => order.indexOf(a.kind) - order.indexOf(b.kind),
  );
  for (const resource of [...extras, ...builtIns]) {
    const kind = {
      group: resource.group,
      version: resource.version,
      kind: resource.kind,
      kubectlResource: kubectlResourceName(resource),
    };
    await list(resource, (item) => inspection.addWorkload(item, kind));
  }
  await list(PODS, (item) => inspection.addPod(item));

  return inspection.report(
    {
      server: api.server,
      context: options.context,
      namespaces: options.namespaces ? [...options.namespaces] : null,
    },
    {
      apiCalls: api.calls,
      durationMs: Math.round(now() - started),
      generatedAt: (options.clock ?? (() => new Date()))().toISOString(),
    },
  );
}
