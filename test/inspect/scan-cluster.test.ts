/**
 * The scan's reading of the API, against a stand-in that pages as the API server does
 * (limit/continue, remainingItemCount, a 410 for an expired token with a fresh one in its
 * Status): which paths are read, that lists are followed to the end, and the errors it names.
 * The real API server is the e2e test's (test/e2e/scan.test.ts).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { defaultReviewConfig } from '../../src/config/load-config.ts';
import { scanCluster, ScanError } from '../../src/inspect/scan-cluster.ts';
import { ClusterRequestError, type KubeApi } from '../../src/kube/api-client.ts';
import { deployment, namespace, podOf, RD, replicaSet, type Json } from './support.ts';

interface FakeOptions {
  lists: Record<string, Json[]>;
  /** Paths answered with this status. */
  fail?: Record<string, { status: number; message: string }>;
  /** Answer the continue token of this path with 410 once. */
  expireOnce?: string;
  extra?: Record<string, unknown>;
}

function fakeApi(options: FakeOptions): KubeApi & { log: string[] } {
  const log: string[] = [];
  let expired = false;
  return {
    server: 'https://fake.test',
    log,
    get calls() {
      return log.length;
    },
    async get(path, query = {}) {
      log.push(`${path}${query.continue ? `?continue=${query.continue}` : ''}`);
      const failure = options.fail?.[path];
      if (failure)
        throw new ClusterRequestError(
          `GET ${path}: HTTP ${failure.status}: ${failure.message}`,
          failure.status,
        );
      if (options.extra && path in options.extra) return options.extra[path];
      const items = options.lists[path];
      if (!items) throw new ClusterRequestError(`GET ${path}: HTTP 404: not found`, 404);
      const limit = Number(query.limit ?? 500);
      let start = query.continue ? Number(String(query.continue).replace('t', '')) : 0;
      if (query.continue && path === options.expireOnce && !expired) {
        expired = true;
        throw new ClusterRequestError(`GET ${path}: HTTP 410: too old`, 410, {
          kind: 'Status',
          metadata: { continue: `t${start}` },
        });
      }
      if (Number.isNaN(start)) start = 0;
      const page = items.slice(start, start + limit);
      const next = start + limit < items.length ? `t${start + limit}` : undefined;
      return {
        items: page,
        metadata: next ? { continue: next, remainingItemCount: items.length - start - limit } : {},
      };
    },
  };
}

const BARE = { containers: [{ name: 'app', image: 'nginx' }] };

function cluster(pods = 5): Record<string, Json[]> {
  const web = deployment('web', 'shop', BARE);
  const rs = replicaSet('web-1', 'shop', web, BARE);
  const lists: Record<string, Json[]> = {
    '/api/v1/namespaces': [namespace('shop'), namespace('empty')],
    '/apis/apps/v1/deployments': [web],
    '/apis/apps/v1/replicasets': [rs],
    '/api/v1/pods': Array.from({ length: pods }, (_, i) => podOf(`web-1-${i}`, 'shop', rs, BARE)),
  };
  for (const path of [
    '/apis/apps/v1/statefulsets',
    '/apis/apps/v1/daemonsets',
    '/apis/batch/v1/cronjobs',
    '/apis/batch/v1/jobs',
    '/api/v1/replicationcontrollers',
    '/api/v1/podtemplates',
  ])
    lists[path] = [];
  return lists;
}

const options = { config: defaultReviewConfig(), namespaceLabels: true, context: 'test' };

describe('scan over the API', () => {
  it('reads namespaces, owners before what they own, then pods, every page', async () => {
    const api = fakeApi({ lists: cluster(5) });
    const progress: number[] = [];
    const report = await scanCluster(api, {
      ...options,
      pageSize: 2,
      onProgress: (p) => progress.push(p.read),
    });
    assert.deepEqual(api.log, [
      '/api/v1/namespaces',
      '/apis/apps/v1/deployments',
      '/apis/apps/v1/statefulsets',
      '/apis/apps/v1/daemonsets',
      '/apis/batch/v1/cronjobs',
      '/api/v1/replicationcontrollers',
      '/api/v1/podtemplates',
      '/apis/apps/v1/replicasets',
      '/apis/batch/v1/jobs',
      '/api/v1/pods',
      '/api/v1/pods?continue=t2',
      '/api/v1/pods?continue=t4',
    ]);
    assert.equal(report.stats.apiCalls, 12);
    assert.equal(report.stats.objectsRead, 2 + 1 + 1 + 5);
    assert.equal(report.findings[0]?.pods.length, 5);
    assert.deepEqual(
      report.namespaces.map((ns) => [ns.name, ns.workloads, ns.pods]),
      [
        ['empty', 0, 0],
        ['shop', 1, 5],
      ],
    );
    assert.equal(progress.at(-1), 9);
  });

  it('lists per namespace with -n, and refuses a namespace that does not exist', async () => {
    const lists = cluster(1);
    const api = fakeApi({
      lists: {
        ...Object.fromEntries(
          Object.entries(lists)
            .filter(([p]) => p !== '/api/v1/namespaces')
            .map(([p, items]) => [p.replace(/\/([a-z]+)$/, '/namespaces/shop/$1'), items]),
        ),
      },
      extra: { '/api/v1/namespaces/shop': namespace('shop') },
    });
    const report = await scanCluster(api, { ...options, namespaces: ['shop'] });
    assert.ok(api.log.includes('/apis/apps/v1/namespaces/shop/deployments'));
    assert.deepEqual(report.source.namespaces, ['shop']);
    assert.equal(report.findings.length, 1);

    await assert.rejects(
      scanCluster(fakeApi({ lists: {} }), { ...options, namespaces: ['nope'] }),
      (error: unknown) =>
        error instanceof ScanError && error.message === 'namespace nope does not exist',
    );
  });

  it('goes on past an expired continue token, and says the list is not one snapshot', async () => {
    const api = fakeApi({ lists: cluster(5), expireOnce: '/api/v1/pods' });
    const report = await scanCluster(api, { ...options, pageSize: 2 });
    assert.equal(report.findings[0]?.pods.length, 5);
    assert.match(
      report.warnings.join('\n'),
      /pods \(all namespaces\): the list continued past an expired continue token/,
    );
  });

  it('names the permission a forbidden list lacks', async () => {
    const api = fakeApi({
      lists: cluster(1),
      fail: {
        '/apis/batch/v1/cronjobs': {
          status: 403,
          message:
            'cronjobs.batch is forbidden: User "alice" cannot list resource "cronjobs" in API group "batch" at the cluster scope',
        },
      },
    });
    await assert.rejects(scanCluster(api, options), (error: unknown) => {
      assert.ok(error instanceof ScanError);
      assert.match(
        error.message,
        /^forbidden to read cronjobs.batch \(all namespaces\): GET \/apis\/batch\/v1\/cronjobs: HTTP 403: cronjobs.batch is forbidden: User "alice" cannot list .*scanner ClusterRole/,
      );
      return true;
    });
  });

  it('finds a configured extra kind by discovery and reads it through its group', async () => {
    const config = defaultReviewConfig({
      extraKinds: [{ group: 'example.com', kind: 'Widget', podTemplatePath: 'spec.template' }],
    });
    const widget: Json = {
      apiVersion: 'example.com/v1',
      kind: 'Widget',
      metadata: { name: 'w', namespace: 'shop', uid: 'uid-w' },
      spec: {
        template: {
          spec: {
            securityContext: RD,
            containers: [{ name: 'c', image: 'x', securityContext: { privileged: true } }],
          },
        },
      },
    };
    const lists = { ...cluster(0), '/apis/example.com/v1/widgets': [widget] };
    const api = fakeApi({
      lists,
      extra: {
        '/apis/example.com': {
          kind: 'APIGroup',
          preferredVersion: { version: 'v1' },
          versions: [{ version: 'v1' }],
        },
        '/apis/example.com/v1': {
          kind: 'APIResourceList',
          resources: [
            { name: 'widgets', kind: 'Widget', namespaced: true },
            { name: 'widgets/status', kind: 'Widget', namespaced: true },
          ],
        },
      },
    });
    const report = await scanCluster(api, { ...options, config });
    const [f] = report.findings.filter((x) => x.resource.kind === 'Widget');
    assert.deepEqual(f?.resource, {
      apiVersion: 'example.com/v1',
      kind: 'Widget',
      namespace: 'shop',
      name: 'w',
    });
    assert.equal(f?.status, 'refused');
    assert.equal(
      f?.kubectl.patch,
      `kubectl patch widgets.example.com w -n shop --type=json -p '[{"op":"replace","path":"/spec/template/spec/containers/0/securityContext/privileged","value":false}]'`,
    );

    await assert.rejects(
      scanCluster(fakeApi({ lists }), { ...options, config }),
      /extraKinds entry example.com\/Widget: the API server serves no group example.com \(is its CustomResourceDefinition installed\?\)/,
    );
  });
});
