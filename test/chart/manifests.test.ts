// manifests/runtime-guard.yaml is the chart rendered with its defaults, for `kubectl apply`
// users. It is generated (manifests/generate.sh), so it must never drift from the chart.

import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { BUILD_TIMEOUT_MS, ensureTools, REPO_ROOT, run, skip } from './helm.ts';

describe('plain manifests', { timeout: BUILD_TIMEOUT_MS }, () => {
  let helmPath = '';
  before(async () => {
    if (!skip) helmPath = (await ensureTools()).helm;
  });

  test('manifests/runtime-guard.yaml equals a fresh render of the chart', { skip }, async () => {
    const fresh = await run('bash', ['manifests/generate.sh', '--stdout'], {
      env: { HELM: helmPath },
    });
    assert.equal(fresh.code, 0, fresh.stderr);
    const committed = await readFile(join(REPO_ROOT, 'manifests', 'runtime-guard.yaml'), 'utf8');
    assert.ok(
      committed === fresh.stdout,
      'manifests/runtime-guard.yaml is stale: run manifests/generate.sh and commit the result',
    );
    assert.match(committed, /^kind: Namespace$/m, 'kubectl apply users get the namespace too');
  });
});
