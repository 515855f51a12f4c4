// runtime-guard's lifecycle as the kube-apiserver lives through it: the webhook stops (the
// failure policies decide), starts again, and rotates its certificate (leaf, then CA) while
// kubectl keeps sending it requests. The tests run in order and share one control plane.
// RUNTIME_GUARD_E2E=0 skips it (see test/e2e/README.md).

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { CertificateAuthority } from '../../src/server/dev-certificate.ts';
import { startControlPlane, type ControlPlane } from './control-plane.ts';
import {
  apply,
  applyWebhookConfigurations,
  boundedKubectl,
  container,
  E2E_ENABLED,
  E2E_POLICY,
  E2E_SKIP,
  eventually,
  getJson,
  metricValue,
  MUTATING_WEBHOOK,
  newAuthority,
  pemBundle,
  pod,
  probePod,
  ServingCertificate,
  startWebhook,
  temporaryDirectory,
  VALIDATING_WEBHOOK,
  waitUntilWebhookDenies,
  warningLines,
  type FailurePolicy,
  type Json,
  type Kubectl,
  type WebhookProcess,
} from './webhook-harness.ts';

describe(
  'runtime-guard stopped, restarted and rotating its certificate',
  { timeout: 15 * 60_000 },
  () => {
    let cp: ControlPlane | undefined;
    let webhook: WebhookProcess | undefined;
    let tls: ServingCertificate | undefined;
    let directory: string | undefined;
    let removeDirectory: (() => Promise<void>) | undefined;

    const plane = (): ControlPlane => {
      assert.ok(cp, 'control plane not started');
      return cp;
    };
    const certificate = (): ServingCertificate => {
      assert.ok(tls, 'no certificate');
      return tls;
    };
    const kubectl: Kubectl = (args, options) => boundedKubectl(plane())(args, options);
    const dev = (): string => plane().developerNamespace;
    let port = 0;
    const webhookUrl = (): string => `https://127.0.0.1:${port}`;

    const configure = (
      policies: { validating?: FailurePolicy; mutating?: FailurePolicy } = {},
      caBundlePem = certificate().authority.cert,
    ) =>
      applyWebhookConfigurations(plane(), {
        url: webhookUrl(),
        caBundlePem,
        ...(policies.validating ? { validatingFailurePolicy: policies.validating } : {}),
        ...(policies.mutating ? { mutatingFailurePolicy: policies.mutating } : {}),
      });

    const start = async (): Promise<WebhookProcess> => {
      assert.ok(directory);
      webhook = await startWebhook({ directory, tls: certificate(), policy: E2E_POLICY, port });
      port = webhook.port;
      return webhook;
    };

    before(
      async () => {
        if (!E2E_ENABLED) return;
        const temporary = await temporaryDirectory('runtime-guard-e2e-lifecycle-');
        directory = temporary.path;
        removeDirectory = temporary.remove;
        cp = await startControlPlane({
          log: (m) => process.stderr.write(`[control-plane] ${m}\n`),
        });
        tls = await ServingCertificate.create(join(directory, 'tls'), 'runtime-guard e2e CA 1');
        await start();
        await configure();
        await waitUntilWebhookDenies(kubectl, dev());
      },
      { timeout: 15 * 60_000 },
    );

    after(async () => {
      await webhook?.stop();
      await cp?.stop();
      await removeDirectory?.();
    });

    const failedCalling = (name: string) =>
      `Internal error occurred: failed calling webhook "${name}": failed to call webhook: Post "${webhookUrl()}/${name === VALIDATING_WEBHOOK ? 'validate' : 'mutate'}?timeout=10s": dial tcp 127.0.0.1:${port}: connect: connection refused`;

    test(
      'with the webhook stopped, failurePolicy Fail refuses with the apiserver\'s "failed calling webhook" error',
      { skip: E2E_SKIP, timeout: 90_000 },
      async () => {
        const ended = await webhook!.stop();
        assert.deepEqual(ended, { code: 0, signal: null }, webhook!.stderr());
        assert.equal(webhook!.logs.at(-1)?.msg, 'shutdown complete');

        // The chart's defaults: validating Fail, mutating Ignore.
        const compliant = pod('while-down', { containers: [container('app')] });
        const refused = await apply(kubectl, compliant, dev(), { user: 'developer' });
        assert.notEqual(refused.code, 0, refused.stdout);
        assert.match(
          refused.stderr,
          /^Error from server \(InternalError\): error when creating "STDIN": /,
        );
        assert.ok(refused.stderr.includes(failedCalling(VALIDATING_WEBHOOK)), refused.stderr);

        // Mutating Fail too: the mutating webhook is called first, and it is the one named.
        await configure({ mutating: 'Fail' });
        const refusedFirst = await apply(kubectl, compliant, dev(), { user: 'developer' });
        assert.notEqual(refusedFirst.code, 0, refusedFirst.stdout);
        assert.ok(
          refusedFirst.stderr.includes(failedCalling(MUTATING_WEBHOOK)),
          refusedFirst.stderr,
        );

        const got = await kubectl(['get', 'pod', 'while-down', '-n', dev()]);
        assert.match(got.stderr, /not found/);
      },
    );

    test(
      'with the webhook stopped, failurePolicy Ignore admits the pod as it was written',
      { skip: E2E_SKIP, timeout: 90_000 },
      async () => {
        await configure({ validating: 'Ignore', mutating: 'Ignore' });
        const applied = await apply(kubectl, probePod('made-while-down'), dev(), {
          user: 'developer',
        });
        assert.equal(applied.code, 0, applied.stderr);
        assert.equal(applied.stdout.trim(), 'pod/made-while-down created');

        const stored = (await getJson(kubectl, 'pod', 'made-while-down', dev())) as {
          spec: { securityContext?: Json; containers: { securityContext: Json }[] };
        };
        assert.deepEqual(stored.spec.securityContext, {}, 'not mutated');
        assert.deepEqual(stored.spec.containers[0]?.securityContext, {
          capabilities: { add: ['SYS_ADMIN'] },
        });
      },
    );

    test(
      'after a restart everything works again: refusals, mutation, and the label-only UPDATE of a pod made while it was off',
      { skip: E2E_SKIP, timeout: 90_000 },
      async () => {
        const restarted = await start();
        await configure();
        await waitUntilWebhookDenies(kubectl, dev());

        const refused = await apply(kubectl, probePod('refused-after-restart'), dev(), {
          user: 'developer',
        });
        assert.notEqual(refused.code, 0);
        assert.ok(
          refused.stderr.includes(
            `admission webhook "${VALIDATING_WEBHOOK}" denied the request: runtime-guard: Pod "refused-after-restart" in namespace "${dev()}" violates the restricted policy (mode: enforce), 1 violation:\n- container "probe": adds capability SYS_ADMIN`,
          ),
          refused.stderr,
        );

        const admitted = await apply(
          kubectl,
          pod('after-restart', { containers: [container('app')] }),
          dev(),
          { user: 'developer' },
        );
        assert.equal(admitted.code, 0, admitted.stderr);
        const stored = (await getJson(kubectl, 'pod', 'after-restart', dev())) as {
          spec: { securityContext: Json };
        };
        assert.deepEqual(stored.spec.securityContext, {
          seccompProfile: { type: 'RuntimeDefault' },
        });

        // The pod admitted unchecked while the webhook was off: a controller (or a person) that
        // only relabels it must not be blocked.
        const labelled = await kubectl(
          ['label', 'pod', 'made-while-down', '-n', dev(), 'team=shop'],
          {
            user: 'developer',
          },
        );
        assert.equal(labelled.code, 0, labelled.stderr);
        assert.equal(labelled.stdout.trim(), 'pod/made-while-down labeled');
        assert.deepEqual(warningLines(labelled.stderr), []);
        const relabelled = (await getJson(kubectl, 'pod', 'made-while-down', dev())) as {
          metadata: { labels: Record<string, string> };
        };
        assert.equal(relabelled.metadata.labels['team'], 'shop');

        // Changing its containers is judged, and the violation it always had is refused now.
        const reimaged = await kubectl(
          ['set', 'image', 'pod/made-while-down', '-n', dev(), 'probe=registry.invalid/app:2'],
          { user: 'developer' },
        );
        assert.notEqual(reimaged.code, 0, reimaged.stdout);
        assert.ok(
          reimaged.stderr.includes(
            '- container "probe": adds capability SYS_ADMIN, which the restricted policy does not allow. Fix: remove "SYS_ADMIN" from spec.containers[0].securityContext.capabilities.add',
          ),
          reimaged.stderr,
        );
        // The label-only UPDATE never reached the webhook (the chart's matchConditions leave out
        // what it skips anyway): the refused image change is the only UPDATE it saw.
        const updates = await restarted.decisions(
          (d) => d['object'] === `${dev()}/made-while-down` && d['operation'] === 'UPDATE',
          1,
        );
        assert.deepEqual(
          updates.map((d) => [d['endpoint'], d['decision']]),
          [['validate', 'denied']],
        );
      },
    );

    test(
      'the answers stay correct across certificate rotations made while the apiserver is using the webhook',
      { skip: E2E_SKIP, timeout: 180_000 },
      async () => {
        const running = webhook!;
        const firstAuthority: CertificateAuthority = certificate().authority;
        const traffic = startTraffic(kubectl, dev());
        const reloads = () =>
          running.logs.filter((entry) => entry.msg === 'serving certificate reloaded').length;
        try {
          await traffic.atLeast(4);

          // 1. A renewed leaf from the same CA, as cert-manager renews it.
          await certificate().rotate(firstAuthority, 'runtime-guard-renewed');
          await eventually('the renewed certificate to be loaded', async () =>
            reloads() === 1 ? true : undefined,
          );
          await traffic.atLeast(4);

          // 2. A new CA: first trusted beside the old one, then the certificate, then the old CA goes.
          const secondAuthority = await newAuthority('runtime-guard e2e CA 2');
          await configure({}, pemBundle(firstAuthority.cert, secondAuthority.cert));
          await traffic.atLeast(4);
          await certificate().rotate(secondAuthority, 'runtime-guard-new-ca');
          await eventually('the certificate of the new CA to be loaded', async () =>
            reloads() === 2 ? true : undefined,
          );
          await traffic.atLeast(4);
          await configure({}, secondAuthority.cert);
          await traffic.atLeast(6);

          const loaded = running.logs
            .filter((entry) => entry.msg === 'serving certificate reloaded')
            .map((entry) => entry['subject']);
          assert.deepEqual(loaded, ['CN=runtime-guard-renewed', 'CN=runtime-guard-new-ca']);
        } finally {
          await traffic.stop();
        }
        assert.deepEqual(traffic.failures, [], 'every answer during the rotations was right');
        assert.ok(traffic.answered >= 22, `${traffic.answered} answers`);

        const metrics = await running.metrics();
        assert.equal(
          metricValue(metrics, 'runtime_guard_certificate_reloads_total', { result: 'success' }),
          2,
        );
        assert.equal(
          metricValue(metrics, 'runtime_guard_certificate_reloads_total', { result: 'failure' }),
          0,
        );

        // Proof that the apiserver's new connections get the new certificate: trusting the old CA
        // and an unrelated one, it cannot call the webhook. (A bundle it never had, so it has no
        // idle connection to reuse: the apiserver keeps a client, and its connections, per bundle.)
        const unrelated = await newAuthority('runtime-guard e2e unrelated CA');
        await configure({}, pemBundle(firstAuthority.cert, unrelated.cert));
        const distrusted = await apply(kubectl, probePod('untrusted-bundle'), dev(), {
          extraArgs: ['--dry-run=server'],
        });
        assert.notEqual(distrusted.code, 0);
        assert.match(
          distrusted.stderr,
          new RegExp(
            `failed calling webhook "${VALIDATING_WEBHOOK.replaceAll('.', '\\.')}": failed to call webhook: Post "[^"]+": tls: failed to verify certificate: x509: certificate signed by unknown authority`,
          ),
        );
        const refusedHandshake = await running.waitForLog(
          'the handshake the apiserver broke off',
          (entry) => entry.msg === 'TLS handshake failed',
        );
        // The webhook's side of it: a warning naming the alert the apiserver sent.
        assert.equal(refusedHandshake.level, 40);
        assert.match(String(refusedHandshake['code']), /BAD_CERTIFICATE/);
        await configure({}, certificate().authority.cert);
        await waitUntilWebhookDenies(kubectl, dev());
      },
    );
  },
);

/**
 * Two kubectl loops sending server-side dry runs without pause, each checking the answer: a
 * non-compliant pod must be refused with our message, a compliant one must come back mutated
 * (the mutating webhook fails open, so a failed call would show as a missing profile).
 */
function startTraffic(kubectl: Kubectl, namespace: string) {
  let stopped = false;
  let answered = 0;
  const failures: string[] = [];
  const loop = async (id: number): Promise<void> => {
    for (let i = 0; !stopped; i += 1) {
      if (i % 2 === 0) {
        const refused = await apply(kubectl, probePod(`traffic-${id}`), namespace, {
          extraArgs: ['--dry-run=server'],
        });
        if (
          refused.code !== 0 &&
          refused.stderr.includes(
            `admission webhook "${VALIDATING_WEBHOOK}" denied the request: runtime-guard: Pod "traffic-${id}"`,
          )
        )
          answered += 1;
        else failures.push(`refusal ${id}.${i}: exit ${refused.code}: ${refused.stderr}`);
      } else {
        const admitted = await apply(
          kubectl,
          pod(`traffic-ok-${id}`, { containers: [container('app')] }),
          namespace,
          { extraArgs: ['--dry-run=server', '-o', 'json'] },
        );
        const profile =
          admitted.code === 0
            ? (JSON.parse(admitted.stdout) as { spec: { securityContext?: Json } }).spec
                .securityContext?.['seccompProfile']
            : undefined;
        if (admitted.code === 0 && JSON.stringify(profile) === '{"type":"RuntimeDefault"}')
          answered += 1;
        else
          failures.push(
            `mutation ${id}.${i}: exit ${admitted.code}: ${admitted.stderr} profile ${JSON.stringify(profile)}`,
          );
      }
    }
  };
  const loops = [loop(1), loop(2)];
  return {
    get answered() {
      return answered;
    },
    failures,
    /** Resolves once `count` more answers came back (right or wrong). */
    async atLeast(count: number): Promise<void> {
      const target = answered + failures.length + count;
      await eventually(`${count} more answers`, async () =>
        answered + failures.length >= target ? true : undefined,
      );
    },
    async stop(): Promise<void> {
      stopped = true;
      await Promise.all(loops);
    },
  };
}
