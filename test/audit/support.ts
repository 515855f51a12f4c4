/** Objects as the API server stores them (uids, owner references), and their tree's verdict. */
import { randomUUID } from 'node:crypto';
import { configFromObject } from '../../src/config/load-config.ts';
import {
  buildReport,
  type BuiltReport,
  type ObjectReference,
} from '../../src/audit/build-report.ts';
import { evaluateWorkload } from '../../src/audit/evaluate-workload.ts';
import { reportApi, type ReportApiName } from '../../src/audit/report-api.ts';
import { WorkloadIndex } from '../../src/audit/workload-index.ts';
import { BUILT_IN_WORKLOAD_RESOURCES, PODS, type ApiResource } from '../../src/kube/resources.ts';
import type { JsonObject } from '../../src/json/values.ts';

export type Json = JsonObject;

export const resourceOf = (kind: string): ApiResource => {
  if (kind === 'Pod') return PODS;
  const found = BUILT_IN_WORKLOAD_RESOURCES.find((r) => r.kind === kind);
  if (!found) throw new Error(`no built-in resource ${kind}`);
  return found;
};

export interface Stored {
  object: Json;
  uid: string;
}

export function stored(
  kind: string,
  name: string,
  body: Json,
  owner?: Stored,
  namespace = 'shop',
): Stored {
  const uid = randomUUID();
  const resource = resourceOf(kind);
  const metadata: Json = { name, namespace, uid, resourceVersion: '1' };
  if (owner) {
    const meta = owner.object.metadata as Json;
    metadata.ownerReferences = [
      {
        apiVersion: owner.object.apiVersion,
        kind: owner.object.kind,
        name: meta.name,
        uid: owner.uid,
        controller: true,
      },
    ];
  }
  return {
    uid,
    object: {
      apiVersion: resource.group ? `${resource.group}/${resource.version}` : resource.version,
      kind,
      metadata,
      ...body,
    },
  };
}

export function podSpec(securityContext: Json = {}, containers = 1): Json {
  return {
    containers: Array.from({ length: containers }, (_, i) => ({
      name: `c${i}`,
      image: 'nginx',
      securityContext,
    })),
  };
}

/** A Deployment, its ReplicaSet and `pods` pods, all with the same container security context. */
export function deployment(name: string, securityContext: Json, pods: number): Stored[] {
  const template = { metadata: { labels: { app: name } }, spec: podSpec(securityContext) };
  const deploy = stored('Deployment', name, {
    spec: { selector: { matchLabels: { app: name } }, template },
  });
  const rs = stored(
    'ReplicaSet',
    `${name}-abc`,
    { spec: { selector: { matchLabels: { app: name } }, template } },
    deploy,
  );
  const list = [deploy, rs];
  for (let i = 0; i < pods; i++)
    list.push(
      stored(
        'Pod',
        `${name}-abc-${i}`,
        { spec: podSpec(securityContext), status: { phase: 'Running' } },
        rs,
      ),
    );
  return list;
}

export interface VerdictOptions {
  config?: Json;
  api?: ReportApiName;
  maxResults?: number;
  now?: Date;
  namespace?: Json;
}

/** The report the audit builds for the top workload of `objects`. */
export function reportFor(
  objects: readonly Stored[],
  options: VerdictOptions = {},
): BuiltReport | undefined {
  const index = new WorkloadIndex();
  for (const { object, uid } of objects) index.put(resourceOf(String(object.kind)), uid, object);
  const first = objects[0];
  if (!first) throw new Error('no objects');
  const top = index.topOf(first.uid);
  if (!top) throw new Error('no top');
  const config = configFromObject(options.config ?? {});
  const settings = {
    config: { policy: config.policy, admission: config.admission },
    namespaceLabels: true,
  };
  const verdict = evaluateWorkload(index.treeOf(top), options.namespace, settings);
  if (!verdict) return undefined;
  const scope: ObjectReference = {
    apiVersion: String(top.object.apiVersion),
    kind: top.resource.kind,
    ...(top.namespace ? { namespace: top.namespace } : {}),
    name: top.name,
    uid: top.uid,
  };
  return buildReport(scope, verdict.workload, verdict.findings, {
    api: reportApi(options.api ?? 'openreports.io/v1alpha1'),
    policy: config.policy,
    ...(options.maxResults ? { maxResults: options.maxResults } : {}),
    now: options.now ?? new Date('2026-12-01T10:00:00Z'),
  });
}
