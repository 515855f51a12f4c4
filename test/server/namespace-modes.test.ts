// Per-namespace mode from the `runtime-guard.io/mode` label, read through a real
// @kubernetes/client-node informer against a fake API server that speaks list+watch.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { configFromObject, defaultReviewConfig } from '../../src/config/load-config.ts';
import { buildServer } from '../../src/server/build-server.ts';
import { createServerMetrics } from '../../src/server/metrics.ts';
import { createNamespaceInformer, NamespaceModeCache } from '../../src/server/namespace-modes.ts';
import { startServer } from '../../src/server/start-server.ts';
import { FakeNamespaceApi } from './fake-namespace-api.ts';
import {
  apiserverAgent,
  capturingLogger,
  httpsCall,
  metricValue,
  podReview,
  temporaryDirectory,
  waitFor,
  type AdmissionResponseBody,
} from './support.ts';

test(
  'namespace labels override the configured mode once the cache is synced, and follow the watch',
  { timeout: 30_000 },
  async (t) => {
    const api = new FakeNamespaceApi();
    api.available = false;
    api.setLabels('relaxed', { 'runtime-guard.io/mode': 'audit' });
    api.setLabels('noisy', { 'runtime-guard.io/mode': 'warn' });
    api.setLabels('legacy', { 'runtime-guard.io/mode': 'off' });
    api.setLabels('typo', { 'runtime-guard.io/mode': 'enforcing' });
    api.setLabels('plain', { team: 'a' });
    const kubeConfig = await api.start();
    t.after(() => api.close());

    const log = capturingLogger();
    const metrics = createServerMetrics();
    const cache = new NamespaceModeCache(
      await createNamespaceInformer(kubeConfig),
      log.logger,
      metrics,
    );
    t.after(() => cache.stop());
    const app = buildServer({
      currentConfig: () => defaultReviewConfig(),
      namespaceModes: cache,
      readiness: [cache.readiness()],
      metrics,
      logger: log.logger,
    });
    const review = async (namespace: string) => {
      const reply = await app.inject({
        method: 'POST',
        url: '/validate',
        payload: podReview({ namespace, privileged: true }),
      });
      assert.equal(reply.statusCode, 200);
      return reply.json<AdmissionResponseBody>().response;
    };

    // The API server is not there yet: not ready, and the configured mode (enforce) applies.
    cache.start();
    await waitFor(() => api.failedListRequests >= 1);
    const unready = await app.inject({ method: 'GET', url: '/readyz' });
    assert.equal(unready.statusCode, 503);
    assert.match(
      unready.json<{ checks: { namespaceCache: { detail: string } } }>().checks.namespaceCache
        .detail,
      /^not synced yet: .*configured mode applies/,
    );
    assert.equal((await review('relaxed')).allowed, false);

    // It comes up; the cache retries, lists and watches.
    api.available = true;
    await waitFor(() => cache.synced);
    assert.equal((await app.inject({ method: 'GET', url: '/readyz' })).statusCode, 200);
    assert.equal(
      metricValue(await metrics.registry.metrics(), 'runtime_guard_namespace_cache_synced'),
      1,
    );

    const relaxed = await review('relaxed');
    assert.equal(relaxed.allowed, true);
    assert.equal(relaxed.warnings, undefined);
    const noisy = await review('noisy');
    assert.equal(noisy.allowed, true);
    assert.ok((noisy.warnings ?? []).length > 0);
    assert.equal((await review('legacy')).allowed, true);
    assert.equal((await review('plain')).allowed, false, 'no label: the configured mode');
    assert.equal(
      (await review('typo')).allowed,
      false,
      'a value that is no mode: the configured mode',
    );
    assert.equal(
      (await review('unknown')).allowed,
      false,
      'a namespace the cache does not know: the configured mode',
    );
    assert.ok(
      log.lines().some((line) => line['namespace'] === 'typo' && line['value'] === 'enforcing'),
      'the bad label value is logged',
    );

    const text = await metrics.registry.metrics();
    assert.equal(
      metricValue(text, 'runtime_guard_admission_reviews_total', {
        decision: 'audited',
        mode: 'audit',
      }),
      1,
    );
    assert.equal(
      metricValue(text, 'runtime_guard_admission_reviews_total', {
        decision: 'skipped',
        mode: 'off',
      }),
      1,
    );

    // Changes arrive through the watch.
    api.setLabels('plain', { team: 'a', 'runtime-guard.io/mode': 'warn' });
    await waitFor(() => cache.modeFor('plain') === 'warn');
    assert.equal((await review('plain')).allowed, true);
    api.setLabels('relaxed', {});
    await waitFor(() => cache.modeFor('relaxed') === undefined);
    assert.equal((await review('relaxed')).allowed, false);
    api.delete('noisy');
    await waitFor(() => cache.modeFor('noisy') === undefined);
    assert.equal((await review('noisy')).allowed, false);

    // Reviews were answered from the cache: the API server saw lists only while the cache synced.
    assert.equal(api.listRequests - api.failedListRequests, 1);
  },
);

test('outside a cluster the feature stands aside: the configured mode applies and readiness does not wait', async (t) => {
  const saved = {
    host: process.env['KUBERNETES_SERVICE_HOST'],
    kubeconfig: process.env['KUBECONFIG'],
  };
  const directory = await temporaryDirectory(t);
  delete process.env['KUBERNETES_SERVICE_HOST'];
  process.env['KUBECONFIG'] = join(directory, 'no-such-kubeconfig');
  t.after(() => {
    for (const [name, value] of [
      ['KUBERNETES_SERVICE_HOST', saved.host],
      ['KUBECONFIG', saved.kubeconfig],
    ] as const) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  });

  const log = capturingLogger();
  const config = configFromObject({
    server: { host: '127.0.0.1', port: 0, namespaceModes: { enabled: true } },
  });
  const server = await startServer({
    config,
    logger: log.logger,
    devCertDir: join(directory, '.dev-certs'),
  });
  t.after(() => server.shutdown({ drainSeconds: 0 }));
  assert.equal(server.namespaceModes, undefined);
  assert.ok(log.lines().some((line) => /no cluster is reachable/.test(String(line['msg']))));

  const agent = apiserverAgent(await readFile(join(directory, '.dev-certs', 'ca.crt'), 'utf8'));
  t.after(() => agent.destroy());
  const ready = await httpsCall({ agent, port: server.port, path: '/readyz' });
  assert.equal(ready.statusCode, 200);
  assert.deepEqual(Object.keys(JSON.parse(ready.body).checks).sort(), [
    'certificate',
    'configuration',
    'shutdown',
  ]);
  const review = await httpsCall({
    agent,
    port: server.port,
    path: '/validate',
    body: JSON.stringify(podReview({ privileged: true })),
  });
  assert.equal(JSON.parse(review.body).response.allowed, false);
});
