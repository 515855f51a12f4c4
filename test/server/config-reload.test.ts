// Configuration reload, all or nothing: a valid new file changes the next review, an invalid
// one is reported and the running configuration stays.
import assert from 'node:assert/strict';
import { rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { parseConfigText } from '../../src/config/load-config.ts';
import { buildServer } from '../../src/server/build-server.ts';
import { ConfigReloader } from '../../src/server/config-reloader.ts';
import { createServerMetrics } from '../../src/server/metrics.ts';
import {
  capturingLogger,
  metricValue,
  nextEffectiveReload,
  podReview,
  SecretVolume,
  temporaryDirectory,
  type AdmissionResponseBody,
} from './support.ts';

async function reloadingServer(t: TestContext, path: string, text: string) {
  const log = capturingLogger();
  const metrics = createServerMetrics();
  const reloader = new ConfigReloader(path, parseConfigText(text, path), text, log.logger, metrics);
  reloader.start({ debounceMs: 50, pollMs: 0 });
  t.after(() => reloader.stop());
  const app = buildServer({
    currentConfig: () => reloader.config,
    readiness: [reloader.readiness()],
    metrics,
    logger: log.logger,
  });
  const validate = async () =>
    (
      await app.inject({
        method: 'POST',
        url: '/validate',
        payload: podReview({ privileged: true }),
      })
    ).json<AdmissionResponseBody>().response;
  return { app, reloader, log, metrics, validate };
}

test('a ConfigMap update (symlink swap) applies to the next review; an invalid one is refused whole', async (t) => {
  const volume = new SecretVolume(await temporaryDirectory(t));
  await volume.write({ 'config.yaml': 'mode: enforce\n' });
  const { app, reloader, log, metrics, validate } = await reloadingServer(
    t,
    volume.path('config.yaml'),
    'mode: enforce\n',
  );
  assert.equal((await validate()).allowed, false);

  const applied = nextEffectiveReload(reloader);
  await volume.write({ 'config.yaml': 'mode: warn\n' });
  assert.deepEqual(await applied, { ok: true, changed: true });
  const warned = await validate();
  assert.equal(warned.allowed, true);
  assert.ok((warned.warnings ?? []).some((warning) => /privileged/.test(warning)));

  // Valid YAML, one valid change and one invalid key: nothing of it applies.
  const refused = nextEffectiveReload(reloader);
  await volume.write({ 'config.yaml': 'mode: audit\npreset: strictest\n' });
  const result = await refused;
  assert.equal(result.ok, false);
  assert.match(result.ok ? '' : result.message, /preset/);
  assert.equal(reloader.config.admission.mode, 'warn');
  assert.equal((await validate()).warnings?.length ? 'warn' : 'other', 'warn');
  assert.ok(
    log
      .lines()
      .some(
        (line) =>
          line['msg'] === 'new configuration refused; the running one stays' &&
          /preset/.test(String(line['reason'])),
      ),
  );

  const ready = await app.inject({ method: 'GET', url: '/readyz' });
  assert.equal(ready.statusCode, 200);
  assert.match(
    ready.json<{ checks: { configuration: { detail: string } } }>().checks.configuration.detail,
    /^running the last valid configuration; .* was refused: /,
  );

  const text = await metrics.registry.metrics();
  assert.equal(metricValue(text, 'runtime_guard_config_reloads_total', { result: 'success' }), 1);
  assert.equal(metricValue(text, 'runtime_guard_config_reloads_total', { result: 'failure' }), 1);
});

/** As editors save: a new file renamed over the old one, so no reader sees half of it. */
async function replaceFile(path: string, text: string): Promise<void> {
  await writeFile(`${path}.new`, text);
  await rename(`${path}.new`, path);
}

test('a plain file replaced outside Kubernetes is reloaded too; broken YAML and an empty file are refused', async (t) => {
  const path = join(await temporaryDirectory(t), 'runtime-guard.yaml');
  await writeFile(path, 'mode: enforce\n');
  const { reloader, validate } = await reloadingServer(t, path, 'mode: enforce\n');

  const empty = nextEffectiveReload(reloader);
  await replaceFile(path, '');
  const emptyResult = await empty;
  assert.equal(emptyResult.ok, false);
  assert.match(emptyResult.ok ? '' : emptyResult.message, /is empty/);

  const refused = nextEffectiveReload(reloader);
  await replaceFile(path, 'mode: [audit\n');
  const result = await refused;
  assert.equal(result.ok, false);
  assert.match(result.ok ? '' : result.message, /not valid YAML/);
  assert.equal((await validate()).allowed, false);

  const applied = nextEffectiveReload(reloader);
  await replaceFile(path, 'mode: audit\n');
  assert.deepEqual(await applied, { ok: true, changed: true });
  assert.equal((await validate()).allowed, true);
});
