/**
 * The controller's bookkeeping, against a fake API server: a pod whose ReplicaSet arrives later
 * loses its own report to the ReplicaSet's; a report of ours whose workload is gone is deleted on
 * the full pass; a replica that does not lead writes nothing. (The happy paths run against a real
 * API server in test/e2e/audit.test.ts.)
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import { AuditController } from '../../src/audit/audit-controller.ts';
import { createAuditMetrics } from '../../src/audit/audit-metrics.ts';
import type { WatchStarter } from '../../src/audit/object-cache.ts';
import { reportApi } from '../../src/audit/report-api.ts';
import { ReportWriter, type ReportClient } from '../../src/audit/report-writer.ts';
import { TokenBucket } from '../../src/audit/token-bucket.ts';
import { configFromObject } from '../../src/config/load-config.ts';
import type { JsonObject } from '../../src/json/values.ts';
import type { KubeApi } from '../../src/kube/api-client.ts';
import { BUILT_IN_WORKLOAD_RESOURCES } from '../../src/kube/resources.ts';

const log = pino({ level: 'silent' });
const api = reportApi('openreports.io/v1alpha1');

type Emit = (type: string, object: unknown) => void;

/** Lists by path (one page each), and watches that the test can send events on. */
class FakeCluster {
  readonly lists = new Map<string, JsonObject[]>();
  readonly watches = new Map<string, Emit>();
  readonly api: KubeApi = {
    server: 'https://fake',
    calls: 0,
    get: async (path) => ({
      items: this.lists.get(path) ?? [],
      metadata: { resourceVersion: '1' },
    }),
  };
  readonly watcher: WatchStarter = {
    watch: async (path, _query, onEvent) => {
      this.watches.set(path, onEvent);
      return { abort() {} };
    },
  };
}

/** Reports by namespace/name, as the writer's client. */
class FakeReports implements ReportClient {
  readonly objects = new Map<string, JsonObject>();
  /** Creates refused with a 503 before one goes through. */
  failures = 0;
  #rv = 0;
  #key = (ns: string | undefined, name: string) => `${ns ?? ''}/${name}`;
  async create(_k: unknown, ns: string | undefined, body: JsonObject) {
    if (this.failures > 0) {
      this.failures--;
      throw Object.assign(new Error('HTTP 503'), { code: 503 });
    }
    const stored = {
      ...body,
      metadata: { ...(body.metadata as JsonObject), resourceVersion: String(++this.#rv) },
    };
    this.objects.set(this.#key(ns, String((body.metadata as JsonObject).name)), stored);
    return stored;
  }
  async replace(_k: unknown, ns: string | undefined, name: string, body: JsonObject) {
    const stored = {
      ...body,
      metadata: { ...(body.metadata as JsonObject), resourceVersion: String(++this.#rv) },
    };
    this.objects.set(this.#key(ns, name), stored);
    return stored;
  }
  async get(_k: unknown, ns: string | undefined, name: string) {
    return this.objects.get(this.#key(ns, name));
  }
  async delete(_k: unknown, ns: string | undefined, name: string) {
    this.objects.delete(this.#key(ns, name));
  }
}

const meta = (
  kind: string,
  name: string,
  uid: string,
  owner?: { kind: string; name: string; uid: string },
): JsonObject => ({
  name,
  namespace: 'shop',
  uid,
  resourceVersion: '1',
  ...(owner ? { ownerReferences: [{ apiVersion: 'apps/v1', ...owner, controller: true }] } : {}),
});
const spec = {
  containers: [{ name: 'app', image: 'nginx', securityContext: { privileged: true } }],
};

function setUp(leading: { value: boolean }) {
  const cluster = new FakeCluster();
  const client = new FakeReports();
  const writer = new ReportWriter(api, client, new TokenBucket(1000, 1000), log);
  const config = configFromObject({});
  const controller = new AuditController({
    api: cluster.api,
    watcher: cluster.watcher,
    reportApi: api,
    writer,
    workloadResources: BUILT_IN_WORKLOAD_RESOURCES,
    settings: () => ({
      config: { policy: config.policy, admission: config.admission },
      namespaceLabels: false,
    }),
    maxResults: 200,
    isLeader: () => leading.value,
    settleMs: 0,
    writeRetryMs: 50,
    metrics: createAuditMetrics(),
    log,
  });
  return { cluster, client, controller };
}

const until = async (what: string, ok: () => boolean) => {
  const deadline = Date.now() + 5000;
  while (!ok()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
};

describe('AuditController', () => {
  it('a pod reported on its own moves into its ReplicaSet once that arrives; orphans go', async () => {
    const { cluster, client, controller } = setUp({ value: true });
    const rs = { kind: 'ReplicaSet', name: 'web-abc', uid: 'rs-1' };
    cluster.lists.set('/api/v1/pods', [
      {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: meta('Pod', 'web-abc-1', 'pod-1', rs),
        spec,
        status: { phase: 'Running' },
      },
    ]);
    // A report of ours for a workload that no longer exists.
    const orphan = {
      apiVersion: 'openreports.io/v1alpha1',
      kind: 'Report',
      metadata: {
        name: 'runtime-guard-gone',
        namespace: 'shop',
        resourceVersion: '9',
        labels: { 'app.kubernetes.io/managed-by': 'runtime-guard' },
      },
    };
    client.objects.set('shop/runtime-guard-gone', orphan);
    cluster.lists.set('/apis/openreports.io/v1alpha1/reports', [
      { ...orphan, metadata: { ...orphan.metadata, uid: 'report-uid' } },
    ]);

    controller.start();
    controller.fullPass(); // as the Lease election would on leading
    await until(
      'the pod reported on its own, the orphan gone',
      () =>
        client.objects.has('shop/runtime-guard-pod-1') &&
        !client.objects.has('shop/runtime-guard-gone'),
    );

    const emit = cluster.watches.get('/apis/apps/v1/replicasets');
    assert.ok(emit, 'ReplicaSets are watched');
    emit('ADDED', {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: meta('ReplicaSet', 'web-abc', 'rs-1'),
      spec: { template: { spec } },
    });
    await until(
      'the ReplicaSet reported, the pod not',
      () =>
        client.objects.has('shop/runtime-guard-rs-1') &&
        !client.objects.has('shop/runtime-guard-pod-1'),
    );
    const report = client.objects.get('shop/runtime-guard-rs-1') as {
      results: { rule?: string; result: string; properties?: Record<string, string> }[];
    };
    assert.equal(report.results.find((r) => r.rule === 'privileged')?.properties?.pods, '1');
    await controller.stop();
  });

  it('a write the API server refuses is tried again', async () => {
    const { cluster, client, controller } = setUp({ value: true });
    client.failures = 2;
    cluster.lists.set('/api/v1/pods', [
      { apiVersion: 'v1', kind: 'Pod', metadata: meta('Pod', 'solo', 'pod-7'), spec },
    ]);
    controller.start();
    await until('the report after two refusals', () =>
      client.objects.has('shop/runtime-guard-pod-7'),
    );
    assert.equal(client.failures, 0);
    await controller.stop();
  });

  it('a replica that does not lead keeps its caches and writes nothing', async () => {
    const leading = { value: false };
    const { cluster, client, controller } = setUp(leading);
    cluster.lists.set('/api/v1/pods', [
      { apiVersion: 'v1', kind: 'Pod', metadata: meta('Pod', 'solo', 'pod-9'), spec },
    ]);
    controller.start();
    await until('caches synced', () => controller.synced);
    controller.fullPass();
    cluster.watches.get('/api/v1/pods')?.('MODIFIED', {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { ...meta('Pod', 'solo', 'pod-9'), resourceVersion: '2', labels: { a: 'b' } },
      spec,
    });
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(client.objects.size, 0);
    leading.value = true;
    controller.fullPass();
    await until('the report once leading', () => client.objects.has('shop/runtime-guard-pod-9'));
    await controller.stop();
  });
});
