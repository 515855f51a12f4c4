// What a real kube-apiserver (no webhook registered) lets through, for the claims of the
// adversarial review in test/unit/adversarial.test.ts: which attacks reach the webhook at all.
// Every create is `--dry-run=server`: validated and defaulted, never stored.
// RUNTIME_GUARD_E2E=0 skips it (see test/e2e/README.md).

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startControlPlane, type ControlPlane } from './control-plane.ts';
import { E2E_ENABLED, E2E_SKIP } from './webhook-harness.ts';

type Json = Record<string, unknown>;

const skip = E2E_SKIP;

describe('adversarial review: what the kube-apiserver admits', { timeout: 10 * 60_000 }, () => {
  let cp: ControlPlane | undefined;
  const plane = (): ControlPlane => {
    assert.ok(cp, 'control plane not started');
    return cp;
  };

  before(async () => {
    if (!E2E_ENABLED) return;
    cp = await startControlPlane({ log: (m) => process.stderr.write(`[control-plane] ${m}\n`) });
  });
  after(async () => {
    await cp?.stop();
  });

  let serial = 0;
  const pod = (spec: Json, annotations: Json = {}): Json => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: `adv-${++serial}`, namespace: plane().developerNamespace, annotations },
    spec,
  });
  /** Server-side dry run as admin: the stored form on success, stderr otherwise. */
  const dryRun = async (object: Json): Promise<{ ok: boolean; stored?: Json; stderr: string }> => {
    const res = await plane().kubectl(['create', '--dry-run=server', '-o', 'json', '-f', '-'], {
      input: JSON.stringify(object),
    });
    return res.code === 0
      ? { ok: true, stored: JSON.parse(res.stdout) as Json, stderr: res.stderr }
      : { ok: false, stderr: res.stderr };
  };
  const app = { name: 'app', image: 'registry.invalid/app:1' };

  test(
    'Localhost profile names with an empty or "." segment are valid (the kubelet cleans them)',
    { skip },
    async () => {
      for (const name of ['teams//strict.json', 'teams/./strict.json', './audited.json']) {
        const res = await dryRun(
          pod({
            securityContext: { seccompProfile: { type: 'Localhost', localhostProfile: name } },
            containers: [app],
          }),
        );
        assert.ok(res.ok, `${name}: ${res.stderr}`);
      }
      for (const name of ['teams/../strict.json', '/var/lib/kubelet/seccomp/x.json']) {
        const res = await dryRun(
          pod({
            securityContext: { seccompProfile: { type: 'Localhost', localhostProfile: name } },
            containers: [app],
          }),
        );
        assert.equal(res.ok, false, name);
        assert.match(res.stderr, /must not contain '\.\.'|must be a relative path/);
      }
    },
  );

  test(
    'a HostProcess pod is valid with spec.os windows, and without spec.os next to a seccomp profile',
    { skip },
    async () => {
      const hostProcess = {
        windowsOptions: { hostProcess: true, runAsUserName: 'NT AUTHORITY\\SYSTEM' },
      };
      const windows = await dryRun(
        pod({
          os: { name: 'windows' },
          hostNetwork: true,
          securityContext: hostProcess,
          containers: [app],
        }),
      );
      assert.ok(windows.ok, windows.stderr);
      const noOs = await dryRun(
        pod({
          hostNetwork: true,
          nodeSelector: { 'kubernetes.io/os': 'windows' },
          securityContext: { ...hostProcess, seccompProfile: { type: 'RuntimeDefault' } },
          containers: [{ ...app, securityContext: { capabilities: { drop: ['ALL'] } } }],
        }),
      );
      assert.ok(noOs.ok, noOs.stderr);
    },
  );

  test(
    'legacy seccomp annotations are not copied into fields (kubelets ignore them)',
    { skip },
    async () => {
      const res = await dryRun(
        pod(
          { securityContext: { seccompProfile: { type: 'RuntimeDefault' } }, containers: [app] },
          { 'container.seccomp.security.alpha.kubernetes.io/app': 'unconfined' },
        ),
      );
      assert.ok(res.ok, res.stderr);
      const containers = (res.stored?.['spec'] as { containers: { securityContext?: Json }[] })
        .containers;
      assert.equal(containers[0]?.securityContext?.['seccompProfile'], undefined);
    },
  );

  test(
    'an AppArmor annotation must name an existing container, and is copied into its field',
    { skip },
    async () => {
      const missing = await dryRun(
        pod(
          { containers: [app] },
          { 'container.apparmor.security.beta.kubernetes.io/debugger': 'unconfined' },
        ),
      );
      assert.equal(missing.ok, false);
      assert.match(missing.stderr, /container not found/);
      const copied = await dryRun(
        pod(
          { containers: [app] },
          { 'container.apparmor.security.beta.kubernetes.io/app': 'unconfined' },
        ),
      );
      assert.ok(copied.ok, copied.stderr);
      const containers = (copied.stored?.['spec'] as { containers: { securityContext?: Json }[] })
        .containers;
      assert.deepEqual(containers[0]?.securityContext?.['appArmorProfile'], { type: 'Unconfined' });
    },
  );

  test(
    'the developer (edit in its namespace) cannot set the runtime-guard.io/mode label',
    { skip },
    async () => {
      const { developerNamespace: ns } = plane();
      const res = await plane().kubectl(['label', 'namespace', ns, 'runtime-guard.io/mode=off'], {
        user: 'developer',
      });
      assert.notEqual(res.code, 0);
      assert.match(res.stderr, /forbidden/i);
    },
  );
});
