/**
 * Where the API server serves each kind: group, version, plural resource name, and whether it is
 * namespaced. The built-in kinds are fixed; a configured extra kind (a custom resource) is found by
 * discovery, the way kubectl finds it, so the configuration only names its group and kind.
 */
import { isObject } from '../json/values.ts';
import type { KindRef } from '../workloads/kinds.ts';
import { ClusterRequestError, type KubeApi } from './api-client.ts';

export interface ApiResource {
  /** `''` for the core group. */
  group: string;
  version: string;
  kind: string;
  /** The plural resource name, e.g. `deployments`. */
  plural: string;
  namespaced: boolean;
}

const resource = (group: string, version: string, kind: string, plural: string): ApiResource => ({
  group,
  version,
  kind,
  plural,
  namespaced: true,
});

export const NAMESPACES: ApiResource = {
  group: '',
  version: 'v1',
  kind: 'Namespace',
  plural: 'namespaces',
  namespaced: false,
};
export const PODS = resource('', 'v1', 'Pod', 'pods');

/** Every built-in kind that carries a pod template (src/workloads/kinds.ts), where it is served. */
export const BUILT_IN_WORKLOAD_RESOURCES: readonly ApiResource[] = [
  resource('apps', 'v1', 'Deployment', 'deployments'),
  resource('apps', 'v1', 'StatefulSet', 'statefulsets'),
  resource('apps', 'v1', 'DaemonSet', 'daemonsets'),
  resource('apps', 'v1', 'ReplicaSet', 'replicasets'),
  resource('batch', 'v1', 'CronJob', 'cronjobs'),
  resource('batch', 'v1', 'Job', 'jobs'),
  resource('', 'v1', 'ReplicationController', 'replicationcontrollers'),
  resource('', 'v1', 'PodTemplate', 'podtemplates'),
];

export function apiVersionOf(r: Pick<ApiResource, 'group' | 'version'>): string {
  return r.group === '' ? r.version : `${r.group}/${r.version}`;
}

/** `/api/v1/pods`, `/apis/apps/v1/namespaces/shop/deployments`. */
export function resourcePath(r: ApiResource, namespace?: string): string {
  const root = r.group === '' ? `/api/${r.version}` : `/apis/${r.group}/${r.version}`;
  const scope =
    namespace !== undefined && r.namespaced ? `/namespaces/${encodeURIComponent(namespace)}` : '';
  return `${root}${scope}/${r.plural}`;
}

/** The name kubectl takes for it: `deployments.apps`, `pods`, `rollouts.argoproj.io`. */
export function kubectlResourceName(r: Pick<ApiResource, 'group' | 'plural'>): string {
  return r.group === '' ? r.plural : `${r.plural}.${r.group}`;
}

export class DiscoveryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DiscoveryError';
  }
}

function versionsOf(group: unknown): string[] {
  if (!isObject(group)) return [];
  const preferred = isObject(group.preferredVersion) ? group.preferredVersion.version : undefined;
  const all = Array.isArray(group.versions)
    ? group.versions.flatMap((v) =>
        isObject(v) && typeof v.version === 'string' ? [v.version] : [],
      )
    : [];
  return typeof preferred === 'string' ? [preferred, ...all.filter((v) => v !== preferred)] : all;
}

/** Where a configured extra kind is served: its group's preferred version that has the kind. */
export async function discoverResource(api: KubeApi, ref: KindRef): Promise<ApiResource> {
  const what = `extraKinds entry ${ref.group}/${ref.kind}`;
  if (ref.group === '') throw new DiscoveryError(`${what}: a custom kind has an API group`);
  let group: unknown;
  try {
    group = await api.get(`/apis/${encodeURIComponent(ref.group)}`);
  } catch (error) {
    if (error instanceof ClusterRequestError && error.status === 404)
      throw new DiscoveryError(
        `${what}: the API server serves no group ${ref.group} (is its CustomResourceDefinition installed?)`,
      );
    throw error;
  }
  for (const version of versionsOf(group)) {
    const list = await api.get(
      `/apis/${encodeURIComponent(ref.group)}/${encodeURIComponent(version)}`,
    );
    const resources = isObject(list) && Array.isArray(list.resources) ? list.resources : [];
    for (const r of resources) {
      if (!isObject(r) || r.kind !== ref.kind || typeof r.name !== 'string' || r.name.includes('/'))
        continue;
      return {
        group: ref.group,
        version,
        kind: ref.kind,
        plural: r.name,
        namespaced: r.namespaced === true,
      };
    }
  }
  throw new DiscoveryError(`${what}: group ${ref.group} serves no kind ${ref.kind}`);
}
