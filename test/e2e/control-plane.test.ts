// End-to-end check of the local control plane (etcd + kube-apiserver) with
// the real kubectl built by scripts/k8s/build.sh. Slow the first time (the
// build, which `npm test` runs first); RUNTIME_GUARD_E2E=0 skips it.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startControlPlane, type ControlPlane } from './control-plane.ts';

const enabled = process.env['RUNTIME_GUARD_E2E'] !== '0';
const skip = enabled
  ? false
  : 'e2e control plane tests skipped: RUNTIME_GUARD_E2E=0 (they need the binaries from scripts/k8s/build.sh; see test/e2e/README.md)';

describe('e2e control plane (etcd + kube-apiserver)', { timeout: 10 * 60_000 }, () => {
  let cp: ControlPlane | undefined;
  const plane = (): ControlPlane => {
    assert.ok(cp, 'control plane not started');
    return cp;
  };

  before(async () => {
    if (!enabled) return;
    cp = await startControlPlane({ log: (m) => process.stderr.write(`[control-plane] ${m}\n`) });
  });

  after(async () => {
    await cp?.stop();
  });

  test('admin can create a Pod and read it back (it stays Pending)', { skip }, async () => {
    const { developerNamespace: ns } = plane();
    const pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'e2e-admin-pod', namespace: ns },
      spec: { containers: [{ name: 'app', image: 'registry.invalid/app:1' }] },
    };
    const created = await plane().kubectl(['create', '-f', '-'], { input: JSON.stringify(pod) });
    assert.equal(created.code, 0, created.stderr);

    const got = await plane().kubectl(['get', 'pod', 'e2e-admin-pod', '-n', ns, '-o', 'json']);
    assert.equal(got.code, 0, got.stderr);
    const stored = JSON.parse(got.stdout) as {
      metadata: { uid?: string };
      status?: { phase?: string };
    };
    assert.ok(stored.metadata.uid, 'stored pod has a uid');
    assert.equal(stored.status?.phase, 'Pending');
  });

  test('developer can create Pods in its namespace', { skip }, async () => {
    const { developerNamespace: ns } = plane();
    const res = await plane().kubectl(
      ['run', 'e2e-dev-pod', '--image=registry.invalid/app:1', '-n', ns],
      { user: 'developer' },
    );
    assert.equal(res.code, 0, res.stderr);
    const canI = await plane().kubectl(['auth', 'can-i', 'create', 'pods', '-n', ns], {
      user: 'developer',
    });
    assert.equal(canI.stdout.trim(), 'yes');
  });

  test('developer is forbidden from creating a Namespace', { skip }, async () => {
    const res = await plane().kubectl(['create', 'namespace', 'e2e-not-allowed'], {
      user: 'developer',
    });
    assert.notEqual(res.code, 0);
    assert.match(res.stderr, /forbidden/i);
    assert.match(res.stderr, /User "developer" cannot create resource "namespaces"/);
  });

  test('developer cannot create Pods in another namespace', { skip }, async () => {
    const res = await plane().kubectl(
      ['run', 'e2e-elsewhere', '--image=registry.invalid/app:1', '-n', 'default'],
      { user: 'developer' },
    );
    assert.notEqual(res.code, 0);
    assert.match(res.stderr, /forbidden/i);
  });
});
