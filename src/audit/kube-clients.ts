/**
 * The audit's writes through @kubernetes/client-node: reports as custom objects (raw JSON in and
 * out) and the Lease of the leader election. The reads are src/kube's.
 */
import type { KubeConfig, V1Lease } from '@kubernetes/client-node';
import type { JsonObject } from '../json/values.ts';
import type { LeaseClient, LeaseRecord } from './lease-election.ts';
import type { ReportApi } from './report-api.ts';
import type { ReportClient } from './report-writer.ts';

const FIELD_MANAGER = 'runtime-guard-audit';

export async function createReportClient(
  kubeConfig: KubeConfig,
  api: ReportApi,
): Promise<ReportClient> {
  const { CustomObjectsApi } = await import('@kubernetes/client-node');
  const objects = kubeConfig.makeApiClient(CustomObjectsApi);
  const { group, version } = api;
  return {
    async create(kind, namespace, body) {
      return namespace
        ? objects.createNamespacedCustomObject({
            group,
            version,
            namespace,
            plural: kind.plural,
            body,
            fieldManager: FIELD_MANAGER,
          })
        : objects.createClusterCustomObject({
            group,
            version,
            plural: kind.plural,
            body,
            fieldManager: FIELD_MANAGER,
          });
    },
    async replace(kind, namespace, name, body) {
      return namespace
        ? objects.replaceNamespacedCustomObject({
            group,
            version,
            namespace,
            plural: kind.plural,
            name,
            body,
            fieldManager: FIELD_MANAGER,
          })
        : objects.replaceClusterCustomObject({
            group,
            version,
            plural: kind.plural,
            name,
            body,
            fieldManager: FIELD_MANAGER,
          });
    },
    async get(kind, namespace, name) {
      return namespace
        ? objects.getNamespacedCustomObject({
            group,
            version,
            namespace,
            plural: kind.plural,
            name,
          })
        : objects.getClusterCustomObject({ group, version, plural: kind.plural, name });
    },
    async delete(kind, namespace, name) {
      await (namespace
        ? objects.deleteNamespacedCustomObject({
            group,
            version,
            namespace,
            plural: kind.plural,
            name,
          })
        : objects.deleteClusterCustomObject({ group, version, plural: kind.plural, name }));
    },
  };
}

function toRecord(lease: V1Lease): LeaseRecord {
  const spec: Record<string, unknown> = { ...lease.spec };
  const time = (value: unknown) =>
    value instanceof Date ? value : typeof value === 'string' ? new Date(value) : undefined;
  return {
    holderIdentity: typeof spec.holderIdentity === 'string' ? spec.holderIdentity : undefined,
    leaseDurationSeconds:
      typeof spec.leaseDurationSeconds === 'number' ? spec.leaseDurationSeconds : undefined,
    acquireTime: time(spec.acquireTime),
    renewTime: time(spec.renewTime),
    leaseTransitions: typeof spec.leaseTransitions === 'number' ? spec.leaseTransitions : 0,
    resourceVersion: lease.metadata?.resourceVersion,
  };
}

export async function createLeaseClient(
  kubeConfig: KubeConfig,
  namespace: string,
  name: string,
): Promise<LeaseClient> {
  const { CoordinationV1Api, V1MicroTime } = await import('@kubernetes/client-node');
  const leases = kubeConfig.makeApiClient(CoordinationV1Api);
  // The API server reads these with exactly six fractional digits; V1MicroTime writes them so.
  const micro = (date: Date | undefined) => (date ? new V1MicroTime(date.getTime()) : undefined);
  const body = (record: LeaseRecord): JsonObject => ({
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: {
      name,
      namespace,
      ...(record.resourceVersion ? { resourceVersion: record.resourceVersion } : {}),
    },
    spec: {
      holderIdentity: record.holderIdentity,
      leaseDurationSeconds: record.leaseDurationSeconds,
      acquireTime: micro(record.acquireTime),
      renewTime: micro(record.renewTime),
      leaseTransitions: record.leaseTransitions,
    },
  });
  return {
    async get() {
      return toRecord(await leases.readNamespacedLease({ name, namespace }));
    },
    async create(record) {
      return toRecord(
        await leases.createNamespacedLease({
          namespace,
          body: body(record),
          fieldManager: FIELD_MANAGER,
        }),
      );
    },
    async update(record) {
      return toRecord(
        await leases.replaceNamespacedLease({
          name,
          namespace,
          body: body(record),
          fieldManager: FIELD_MANAGER,
        }),
      );
    },
  };
}
