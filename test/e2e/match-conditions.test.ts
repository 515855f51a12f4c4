// The chart's matchConditions in a real kube-apiserver: it accepts and compiles them, an object
// that needs the mutation still gets it, and the calls the conditions leave out never reach the
// webhook (its decision log has no line for them; the apiserver counts them as exclusions and
// no evaluation error). The restricted preset, so the mutation has a drop list to look for.
// RUNTIME_GUARD_E2E=0 skips it (see test/e2e/README.md).

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startControlPlane, type ControlPlane } from './control-plane.ts';
import {
  apply,
  applyWebhookConfigurations,
  boundedKubectl,
  container,
  E2E_ENABLED,
  E2E_POLICY,
  E2E_SKIP,
  getJson,
  MUTATING_WEBHOOK,
  pod,
  ServingCertificate,
  startWebhook,
  temporaryDirectory,
  VALIDATING_WEBHOOK,
  waitUntilWebhookDenies,
  workload,
  type Json,
  type Kubectl,
  type KubeObject,
  type LogEntry,
  type WebhookProcess,
} from './webhook-harness.ts';

/** What the mutation leaves alone under the restricted preset: pod profile set, drop ALL. */
const COMPLIANT = {
  securityContext: { seccompProfile: { type: 'RuntimeDefault' } },
  containers: [container('app', { capabilities: { drop: ['ALL'] } })],
};
const NEEDS_MUTATION = { containers: [container('app')] };

/** The apiserver's counters for one webhook's matchConditions, summed over their other labels. */
function conditionCounters(
  metrics: string,
  webhook: string,
): { exclusions: number; errors: number } {
  const sum = (name: string): number =>
    metrics
      .split('\n')
      .filter((line) => line.startsWith(`${name}{`) && line.includes(`name="${webhook}"`))
      .reduce((total, line) => total + Number(line.slice(line.lastIndexOf(' ') + 1)), 0);
  return {
    exclusions: sum('apiserver_admission_match_condition_exclusions_total'),
    errors: sum('apiserver_admission_match_condition_evaluation_errors_total'),
  };
}

describe('matchConditions in a real kube-apiserver', { timeout: 15 * 60_000 }, () => {
  let cp: ControlPlane | undefined;
  let webhook: WebhookProcess | undefined;
  let rendered: KubeObject[] = [];
  let removeDirectory: (() => Promise<void>) | undefined;

  const plane = (): ControlPlane => {
    assert.ok(cp, 'control plane not started');
    return cp;
  };
  const kubectl: Kubectl = (args, options) => boundedKubectl(plane())(args, options);
  const dev = (): string => plane().developerNamespace;

  /** The decision lines for one object, once `atLeast` of them (and one more log flush) are in. */
  const decisionsFor = async (name: string, atLeast: number): Promise<LogEntry[]> => {
    assert.ok(webhook);
    return webhook.decisions((d) => d['object'] === `${dev()}/${name}`, atLeast);
  };
  const endpoints = (lines: readonly LogEntry[]) =>
    lines.map((d) => `${String(d['endpoint'])} ${String(d['operation'])} ${String(d['decision'])}`);

  const apiserverCounters = async (webhookName: string) => {
    const metrics = await kubectl(['get', '--raw', '/metrics']);
    assert.equal(metrics.code, 0, metrics.stderr);
    return conditionCounters(metrics.stdout, webhookName);
  };

  before(
    async () => {
      if (!E2E_ENABLED) return;
      const directory = await temporaryDirectory('runtime-guard-e2e-conditions-');
      removeDirectory = directory.remove;
      cp = await startControlPlane({ log: (m) => process.stderr.write(`[control-plane] ${m}\n`) });
      const tls = await ServingCertificate.create(join(directory.path, 'tls'), 'conditions CA');
      webhook = await startWebhook({ directory: directory.path, tls, policy: E2E_POLICY });
      rendered = await applyWebhookConfigurations(cp, {
        url: webhook.url,
        caBundlePem: tls.authority.cert,
      });
      await waitUntilWebhookDenies(kubectl, dev());
    },
    { timeout: 15 * 60_000 },
  );

  after(async () => {
    await webhook?.stop();
    await cp?.stop();
    await removeDirectory?.();
  });

  test('the apiserver accepts and holds the rendered conditions', { skip: E2E_SKIP }, async () => {
    for (const [resource, name] of [
      ['validatingwebhookconfigurations', VALIDATING_WEBHOOK],
      ['mutatingwebhookconfigurations', MUTATING_WEBHOOK],
    ] as const) {
      const listed = await kubectl(['get', resource, '-o', 'json']);
      assert.equal(listed.code, 0, listed.stderr);
      const held = (JSON.parse(listed.stdout) as { items: { webhooks?: Json[] }[] }).items
        .flatMap((item) => item.webhooks ?? [])
        .find((hook) => hook['name'] === name);
      const wanted = rendered
        .flatMap((document) => (document['webhooks'] ?? []) as Json[])
        .find((hook) => hook['name'] === name);
      assert.ok(held && wanted, name);
      assert.ok((wanted['matchConditions'] as unknown[]).length > 0, `${name} has conditions`);
      assert.deepEqual(held['matchConditions'], wanted['matchConditions'], name);
    }
  });

  test(
    'a pod that needs the mutation gets it; a compliant one is not sent to the mutating webhook',
    { skip: E2E_SKIP, timeout: 60_000 },
    async () => {
      const fixed = await apply(kubectl, pod('needs-fixes', NEEDS_MUTATION), dev(), {
        user: 'developer',
      });
      assert.equal(fixed.code, 0, fixed.stderr);
      const stored = (await getJson(kubectl, 'pod', 'needs-fixes', dev())) as {
        spec: { securityContext: Json; containers: Json[] };
      };
      assert.deepEqual(stored.spec.securityContext, { seccompProfile: { type: 'RuntimeDefault' } });
      assert.deepEqual(stored.spec.containers[0]?.['securityContext'], {
        capabilities: { drop: ['ALL'] },
      });
      assert.deepEqual(endpoints(await decisionsFor('needs-fixes', 2)), [
        'mutate CREATE patched',
        'validate CREATE allowed',
      ]);

      // Counted around the compliant pod only: a reinvocation round after a patch evaluates
      // the conditions again (and counts an exclusion) even where it would not call.
      const before = await apiserverCounters(MUTATING_WEBHOOK);
      const compliant = await apply(kubectl, pod('compliant', COMPLIANT), dev(), {
        user: 'developer',
      });
      assert.equal(compliant.code, 0, compliant.stderr);
      // The mutating call would come first: the validating line, and no line before it.
      assert.deepEqual(endpoints(await decisionsFor('compliant', 1)), ['validate CREATE allowed']);

      const afterwards = await apiserverCounters(MUTATING_WEBHOOK);
      assert.equal(afterwards.exclusions - before.exclusions, 1, 'one call left out');
      assert.equal(afterwards.errors, 0, 'no condition failed to evaluate');
    },
  );

  test(
    'each way a kind keeps its pod: templates that need fixes get them, compliant ones are not sent',
    { skip: E2E_SKIP, timeout: 120_000 },
    async () => {
      for (const kind of ['Deployment', 'CronJob', 'PodTemplate', 'ReplicationController']) {
        const user = kind === 'PodTemplate' ? 'admin' : 'developer';
        const base = kind.toLowerCase();
        const needy = await apply(
          kubectl,
          workload(kind, `${base}-needs-fixes`, NEEDS_MUTATION),
          dev(),
          {
            user,
          },
        );
        assert.equal(needy.code, 0, `${kind}: ${needy.stderr}`);
        assert.deepEqual(
          endpoints(await decisionsFor(`${base}-needs-fixes`, 2)),
          ['mutate CREATE patched', 'validate CREATE allowed'],
          kind,
        );
        const fine = await apply(kubectl, workload(kind, `${base}-compliant`, COMPLIANT), dev(), {
          user,
        });
        assert.equal(fine.code, 0, `${kind}: ${fine.stderr}`);
        assert.deepEqual(
          endpoints(await decisionsFor(`${base}-compliant`, 1)),
          ['validate CREATE allowed'],
          kind,
        );
      }
    },
  );

  test(
    'when in doubt, call: a legacy annotation on an otherwise compliant pod is still translated',
    { skip: E2E_SKIP, timeout: 60_000 },
    async () => {
      const annotated = pod('annotated', COMPLIANT, {
        annotations: { 'seccomp.security.alpha.kubernetes.io/pod': 'runtime/default' },
      });
      const applied = await apply(kubectl, annotated, dev(), { user: 'developer' });
      assert.equal(applied.code, 0, applied.stderr);
      assert.deepEqual(endpoints(await decisionsFor('annotated', 2)), [
        'mutate CREATE patched',
        'validate CREATE allowed',
      ]);
      const stored = (await getJson(kubectl, 'pod', 'annotated', dev())) as {
        metadata: { annotations?: Record<string, string> };
      };
      assert.equal(
        stored.metadata.annotations?.['seccomp.security.alpha.kubernetes.io/pod'],
        undefined,
        'the annotation the webhook removed',
      );
    },
  );

  test(
    'UPDATEs runtime-guard skips anyway reach neither webhook; a change it judges reaches both',
    { skip: E2E_SKIP, timeout: 90_000 },
    async () => {
      const deployment = workload('Deployment', 'rolled', NEEDS_MUTATION);
      const created = await apply(kubectl, deployment, dev(), { user: 'developer' });
      assert.equal(created.code, 0, created.stderr);
      await decisionsFor('rolled', 2);

      const validatingBefore = await apiserverCounters(VALIDATING_WEBHOOK);
      const labelled = await kubectl(['label', 'deployment', 'rolled', '-n', dev(), 'team=shop'], {
        user: 'developer',
      });
      assert.equal(labelled.code, 0, labelled.stderr);
      const podLabelled = await kubectl(['label', 'pod', 'compliant', '-n', dev(), 'team=shop'], {
        user: 'developer',
      });
      assert.equal(podLabelled.code, 0, podLabelled.stderr);
      const validatingAfter = await apiserverCounters(VALIDATING_WEBHOOK);
      assert.equal(validatingAfter.exclusions - validatingBefore.exclusions, 2);
      assert.equal(validatingAfter.errors, 0);

      // A new image changes the pod template: judged again (and the mutation finds nothing).
      const reimaged = await kubectl(
        ['set', 'image', 'deployment/rolled', '-n', dev(), 'app=registry.invalid/app:2'],
        { user: 'developer' },
      );
      assert.equal(reimaged.code, 0, reimaged.stderr);
      const updates = (await decisionsFor('rolled', 3)).filter((d) => d['operation'] === 'UPDATE');
      assert.deepEqual(
        endpoints(updates),
        ['validate UPDATE allowed'],
        'the label change sent nothing',
      );
      const podUpdates = (await decisionsFor('compliant', 1)).filter(
        (d) => d['operation'] === 'UPDATE',
      );
      assert.deepEqual(podUpdates, [], 'the pod label change sent nothing');
    },
  );

  test(
    'kubectl debug: an added ephemeral container without a drop list is sent to both webhooks and fixed',
    { skip: E2E_SKIP, timeout: 60_000 },
    async () => {
      const debugged = await kubectl([
        'debug',
        'compliant',
        '-n',
        dev(),
        '--image=registry.invalid/debug:1',
        '--container=dbg',
        '--profile=baseline',
      ]);
      assert.equal(debugged.code, 0, debugged.stderr);
      const lines = (await decisionsFor('compliant', 3)).filter((d) => d['operation'] === 'UPDATE');
      assert.deepEqual(endpoints(lines), ['mutate UPDATE patched', 'validate UPDATE allowed']);
    },
  );
});
