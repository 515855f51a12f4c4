// The round trip of `check --fix` through a real kube-apiserver: the fixed corpus applied with
// the webhook in enforce mode behind the chart's configurations. What check says is admitted is
// admitted, and the mutating webhook has nothing left to patch on it; what check says stays
// refused is refused, with the same lines. RUNTIME_GUARD_E2E=0 skips it (test/e2e/README.md).

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseDocument } from 'yaml';
import { parseConfigText } from '../../src/config/load-config.ts';
import { checkManifests } from '../../src/manifests/check-manifests.ts';
import { apiGroup } from '../../src/manifests/manifest-objects.ts';
import { readWorkloadPod } from '../../src/workloads/read-workload-pod.ts';
import { corpus, TESTDATA } from '../manifests/support.ts';
import { startControlPlane, type ControlPlane } from './control-plane.ts';
import {
  applyWebhookConfigurations,
  boundedKubectl,
  createNamespace,
  E2E_ENABLED,
  E2E_SKIP,
  ServingCertificate,
  startWebhook,
  temporaryDirectory,
  VALIDATING_WEBHOOK,
  waitUntilWebhookDenies,
  type WebhookProcess,
} from './webhook-harness.ts';

const PRESET = 'restricted';

/** `kubectl get -f -` answers with a List even for one object. */
function storedObject(answer: { kind: string; items?: unknown[] }): unknown {
  return answer.kind === 'List' ? answer.items?.[0] : answer;
}

/** The fields the mutation writes: the pod's security context, the containers', the legacy annotations. */
function securityView(object: unknown): unknown {
  const { kind, apiVersion } = object as { kind: string; apiVersion: string };
  const read = readWorkloadPod(object, { group: apiGroup(apiVersion), kind }, new Map());
  assert.ok(read, kind);
  const annotations = Object.entries(read.annotations ?? {}).filter(([key]) =>
    key.includes('.security.'),
  );
  // The apiserver stores an absent pod securityContext as {}.
  const orNull = (value: object | undefined) =>
    value && Object.keys(value).length > 0 ? value : null;
  return {
    pod: orNull(read.spec.securityContext),
    containers: [...(read.spec.initContainers ?? []), ...read.spec.containers].map((c) =>
      orNull(c.securityContext),
    ),
    annotations: Object.fromEntries(annotations),
  };
}
const CONFIG_FILE = join(TESTDATA, PRESET, 'config.yaml');
const NAMESPACE = 'shop';

describe('check --fix output through the webhook in enforce mode', { timeout: 15 * 60_000 }, () => {
  let cp: ControlPlane | undefined;
  let webhook: WebhookProcess | undefined;
  let removeDirectory: (() => Promise<void>) | undefined;

  before(
    async () => {
      if (!E2E_ENABLED) return;
      const directory = await temporaryDirectory('runtime-guard-e2e-check-');
      removeDirectory = directory.remove;
      cp = await startControlPlane({
        log: (m) => process.stderr.write(`[control-plane] ${m}\n`),
      });
      const tls = await ServingCertificate.create(join(directory.path, 'tls'), 'check e2e CA');
      // The corpus's own configuration (its Localhost allowlist), in enforce mode.
      const policy = {
        ...(parseDocument(readFileSync(CONFIG_FILE, 'utf8')).toJS() as object),
        mode: 'enforce',
      };
      webhook = await startWebhook({ directory: directory.path, tls, policy });
      await applyWebhookConfigurations(cp, { url: webhook.url, caBundlePem: tls.authority.cert });
      const kubectl = boundedKubectl(cp);
      await createNamespace(kubectl, NAMESPACE);
      await waitUntilWebhookDenies(kubectl, NAMESPACE);
    },
    { timeout: 15 * 60_000 },
  );

  after(async () => {
    await webhook?.stop();
    await cp?.stop();
    await removeDirectory?.();
  });

  it(
    'admits what check admits, with nothing left to patch, and refuses the rest with the same lines',
    { skip: E2E_SKIP },
    async () => {
      assert.ok(cp && webhook);
      const kubectl = boundedKubectl(cp);
      const config = parseConfigText(readFileSync(CONFIG_FILE, 'utf8'), CONFIG_FILE);
      // Ephemeral containers cannot be set on create: those fixtures are for `kubectl debug`.
      const fixtures = corpus(PRESET).filter((f) => !f.text.includes('ephemeralContainers'));
      assert.ok(fixtures.length >= 20);
      let admitted = 0;
      const names: string[] = [];
      for (const [index, fixture] of fixtures.entries()) {
        const report = checkManifests([{ file: fixture.file, text: fixture.text }], config, {
          mutate: true,
          fix: true,
          namespaceModes: false,
        });
        const file = report.files[0];
        assert.ok(file?.fixed && file.objects.length === 1, fixture.file);
        assert.deepEqual(file.fixed.unfixed, [], fixture.file);
        // Each fixture under a name of its own, so every apply is a CREATE.
        const fixed = parseDocument(file.fixed.text);
        const name = `fixture-${index}`;
        fixed.setIn(['metadata', 'name'], name);
        fixed.setIn(['metadata', 'namespace'], NAMESPACE);
        const applied = await kubectl(['apply', '-n', NAMESPACE, '-f', '-'], {
          input: fixed.toString(),
        });
        const refusals = file.objects[0]?.findings ?? [];
        if (refusals.length === 0) {
          assert.equal(
            applied.code,
            0,
            `${fixture.file}: check admits it, the apiserver said:\n${applied.stderr}`,
          );
          admitted++;
          // What the apiserver stored is what check wrote: no mutation patched it on the way.
          const stored = await kubectl(['get', '-n', NAMESPACE, '-f', '-', '-o', 'json'], {
            input: fixed.toString(),
          });
          assert.equal(stored.code, 0, stored.stderr);
          assert.deepEqual(
            securityView(storedObject(JSON.parse(stored.stdout))),
            securityView(fixed.toJS()),
            `${fixture.file}: the stored object differs from check's output`,
          );
          names.push(name);
        } else {
          assert.notEqual(
            applied.code,
            0,
            `${fixture.file}: check refuses it, the apiserver admitted it`,
          );
          assert.match(
            applied.stderr,
            new RegExp(
              `admission webhook "${VALIDATING_WEBHOOK.replace(/\./g, '\\.')}" denied the request`,
            ),
          );
          for (const finding of refusals)
            assert.ok(
              applied.stderr.includes(finding.message),
              `${fixture.file}: no line\n  ${finding.message}\nin\n${applied.stderr}`,
            );
        }
      }
      assert.ok(admitted >= 5, `only ${admitted} fixtures admitted`);
      // The mutating webhook, when the apiserver called it at all, changed nothing.
      const patched = await webhook.decisions(
        (d) =>
          d['endpoint'] === 'mutate' &&
          d['decision'] === 'patched' &&
          names.some((n) => d['object'] === `${NAMESPACE}/${n}`),
        0,
      );
      assert.deepEqual(patched, []);
    },
  );
});
