// The files in examples/ are documentation: they must stay valid.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { test } from 'node:test';
import { defaultReviewConfig, parseConfigText } from '../../src/config/load-config.ts';
import { buildServer } from '../../src/server/build-server.ts';

const examples = resolve(import.meta.dirname, '../../examples');

test('examples/serve-config.yaml is a valid configuration', async () => {
  const path = resolve(examples, 'serve-config.yaml');
  const config = parseConfigText(await readFile(path, 'utf8'), path);
  assert.equal(config.server.port, 8443);
  assert.equal(config.server.namespaceModes.enabled, true);
  assert.ok(config.server.tls.certFile);
});

test('examples/admission-review-pod.json, the sample `serve` prints, gets a denial with reasons', async () => {
  const app = buildServer({ currentConfig: () => defaultReviewConfig() });
  const reply = await app.inject({
    method: 'POST',
    url: '/validate',
    headers: { 'content-type': 'application/json' },
    payload: await readFile(resolve(examples, 'admission-review-pod.json')),
  });
  assert.equal(reply.statusCode, 200);
  const { response } = reply.json<{
    response: { allowed: boolean; status: { message: string } };
  }>();
  assert.equal(response.allowed, false);
  assert.match(response.status.message, /NET_ADMIN/);
});
