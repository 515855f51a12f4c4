/** Builders shared by the scan's unit tests: objects, the fold over them, a report. */
import type { ReviewConfig } from '../../src/admission/settings.ts';
import { defaultReviewConfig } from '../../src/config/load-config.ts';
import { Inspection, type WorkloadKind } from '../../src/inspect/inspection.ts';
import type { ScanReport } from '../../src/inspect/report-schema.ts';
import { BUILT_IN_WORKLOAD_RESOURCES, kubectlResourceName } from '../../src/kube/resources.ts';

export type Json = Record<string, unknown>;

const RESOURCES = new Map(BUILT_IN_WORKLOAD_RESOURCES.map((r) => [`${r.group}/${r.kind}`, r]));

/** The kind of a built-in workload object, from its apiVersion and kind. */
export function kindOf(object: Json): WorkloadKind {
  const apiVersion = String(object.apiVersion);
  const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : ['', apiVersion];
  const kind = String(object.kind);
  const resource = RESOURCES.get(`${group}/${kind}`);
  if (!resource) throw new Error(`no built-in workload kind ${group}/${kind}`);
  return {
    group: group as string,
    version: version as string,
    kind,
    kubectlResource: kubectlResourceName(resource),
  };
}

export function namespace(name: string, labels: Record<string, string> = {}): Json {
  return { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels } };
}

export const RD = { seccompProfile: { type: 'RuntimeDefault' } };

export function deployment(name: string, ns: string, podSpec: Json, extra: Json = {}): Json {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: ns, uid: `uid-deploy-${name}` },
    spec: {
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name }, ...extra }, spec: podSpec },
    },
  };
}

export function replicaSet(name: string, ns: string, owner: Json | undefined, podSpec: Json): Json {
  const ownerMeta = owner?.metadata as Json | undefined;
  return {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: {
      name,
      namespace: ns,
      uid: `uid-rs-${name}`,
      ...(owner
        ? {
            ownerReferences: [
              {
                apiVersion: owner.apiVersion,
                kind: owner.kind,
                name: ownerMeta?.name,
                uid: ownerMeta?.uid,
                controller: true,
              },
            ],
          }
        : {}),
    },
    spec: { template: { metadata: {}, spec: podSpec } },
  };
}

export function podOf(
  name: string,
  ns: string,
  owner: Json | undefined,
  spec: Json,
  metadata: Json = {},
  phase = 'Pending',
): Json {
  const ownerMeta = owner?.metadata as Json | undefined;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: ns,
      uid: `uid-pod-${name}`,
      ...metadata,
      ...(owner
        ? {
            ownerReferences: [
              {
                apiVersion: owner.apiVersion,
                kind: owner.kind,
                name: ownerMeta?.name,
                uid: ownerMeta?.uid,
                controller: true,
              },
            ],
          }
        : {}),
    },
    spec,
    status: { phase },
  };
}

export interface FoldInput {
  namespaces?: Json[];
  workloads?: Json[];
  pods?: Json[];
  config?: ReviewConfig;
  namespaceLabels?: boolean;
}

/** The fold over these objects, in the scan's order. */
export function fold(input: FoldInput): ScanReport {
  const inspection = new Inspection({
    config: input.config ?? defaultReviewConfig(),
    namespaceLabels: input.namespaceLabels ?? true,
  });
  for (const ns of input.namespaces ?? []) inspection.addNamespace(ns);
  for (const w of input.workloads ?? []) inspection.addWorkload(w, kindOf(w));
  for (const p of input.pods ?? []) inspection.addPod(p);
  return inspection.report(
    { server: 'https://cluster.test', context: 'test', namespaces: null },
    { apiCalls: 0, durationMs: 0, generatedAt: '2026-01-02T03:04:05.000Z' },
  );
}
