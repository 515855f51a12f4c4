// The rendered chart against a real kube-apiserver (test/e2e/control-plane.ts): a server-side
// dry run validates every object with the API server's own schemas, defaulting and admission,
// Pod Security `restricted` among them. cert-manager's CRDs are not installed there, so its
// objects are left out here; chart-render.test.ts checks their shape.

import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Deployment } from 'kubernetes-types/apps/v1.js';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { stringify as stringifyYaml } from 'yaml';
import { startControlPlane, type ControlPlane } from '../e2e/control-plane.ts';
import {
  BUILD_TIMEOUT_MS,
  CHART,
  ensureTools,
  helmTemplate,
  NAMESPACE,
  parseManifests,
  RELEASE,
  REPO_ROOT,
  run,
  single,
  skip,
  type Manifest,
} from './helm.ts';

const CERT_MANAGER_GROUP = 'cert-manager.io/';

function toYamlStream(objects: readonly Manifest[]): string {
  return objects.map((o) => `---\n${stringifyYaml(o)}`).join('');
}

describe(
  'helm chart: server-side dry run on a real kube-apiserver',
  { timeout: BUILD_TIMEOUT_MS },
  () => {
    let cp: ControlPlane | undefined;
    const plane = (): ControlPlane => {
      assert.ok(cp, 'control plane not started');
      return cp;
    };
    let caBundle = '';

    before(async () => {
      if (skip) return;
      const [controlPlane] = await Promise.all([
        startControlPlane({ log: (m) => process.stderr.write(`[control-plane] ${m}\n`) }),
        ensureTools(),
      ]);
      cp = controlPlane;
      caBundle = Buffer.from(cp.caCertPem).toString('base64');
      // The release namespace, created for real (as `helm install --create-namespace` or the
      // manifests would), labelled for Pod Security `restricted` like the chart's Namespace.
      const rendered = parseManifests(
        await helmTemplate([
          '--set',
          'namespace.create=true',
          '--show-only',
          'templates/namespace.yaml',
        ]),
      );
      const created = await cp.kubectl(['apply', '-f', '-'], { input: toYamlStream(rendered) });
      assert.equal(created.code, 0, created.stderr);
    });

    after(async () => {
      await cp?.stop();
    });

    async function dryRun(objects: readonly Manifest[]): Promise<void> {
      const result = await plane().kubectl(
        ['apply', '--dry-run=server', '--validate=strict', '-o', 'name', '-f', '-'],
        { input: toYamlStream(objects) },
      );
      assert.equal(result.code, 0, `kubectl apply --dry-run=server:\n${result.stderr}`);
      assert.doesNotMatch(result.stderr, /warning/i, 'no warnings (Pod Security, deprecations)');
      assert.equal(result.stdout.trim().split('\n').length, objects.length, result.stdout);
    }

    test('every object of the existing-Secret installation is accepted', { skip }, async () => {
      const objects = parseManifests(
        await helmTemplate([
          '--set',
          'namespace.create=true',
          '--set',
          'certManager.enabled=false',
          '--set',
          'tls.existingSecret=runtime-guard-tls',
          '--set-string',
          `tls.caBundle=${caBundle}`,
        ]),
      );
      assert.ok(objects.length >= 10, `${objects.length} objects`);
      await dryRun(objects);
    });

    test(
      'the default installation, less the cert-manager objects, is accepted',
      { skip },
      async () => {
        const objects = parseManifests(await helmTemplate(['--set', 'namespace.create=true']));
        const kept = objects.filter((o) => !o.apiVersion.startsWith(CERT_MANAGER_GROUP));
        assert.equal(objects.length - kept.length, 4, 'two Issuers and two Certificates left out');
        await dryRun(kept);
      },
    );

    test(
      'manifests/runtime-guard.yaml, less the cert-manager objects, is accepted',
      { skip },
      async () => {
        const text = await readFile(join(REPO_ROOT, 'manifests', 'runtime-guard.yaml'), 'utf8');
        const objects = parseManifests(text).filter(
          (o) => !o.apiVersion.startsWith(CERT_MANAGER_GROUP),
        );
        await dryRun(objects);
      },
    );

    test('the e2e contract’s webhooks (URL, CA bundle) are accepted', { skip }, async () => {
      const objects = parseManifests(
        await helmTemplate([
          '--set',
          'webhook.url=https://127.0.0.1:18443',
          '--set-string',
          `webhook.caBundle=${caBundle}`,
          '--set',
          'webhook.validating.failurePolicy=Ignore',
          '--set',
          'webhook.mutating.failurePolicy=Fail',
          '--show-only',
          'templates/webhooks.yaml',
        ]),
      );
      await dryRun(objects);
    });

    test('the webhook pod itself passes Pod Security restricted (enforced)', { skip }, async () => {
      const deployment = single<Deployment>(parseManifests(await helmTemplate()), 'Deployment');
      const template = deployment.spec?.template;
      assert.ok(template?.spec);
      const pod: Pod = {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: {
          name: 'runtime-guard-pod-check',
          namespace: NAMESPACE,
          labels: template.metadata?.labels,
        },
        spec: template.spec,
      };
      const result = await plane().kubectl(
        ['create', '--dry-run=server', '-o', 'name', '-f', '-'],
        {
          input: JSON.stringify(pod),
        },
      );
      assert.equal(result.code, 0, result.stderr);
      assert.doesNotMatch(result.stderr, /warning/i);

      // The check has teeth: the same pod with privilege escalation allowed is refused.
      const container = pod.spec?.containers[0];
      assert.ok(container?.securityContext);
      container.securityContext.allowPrivilegeEscalation = true;
      const refused = await plane().kubectl(['create', '--dry-run=server', '-f', '-'], {
        input: JSON.stringify(pod),
      });
      assert.notEqual(refused.code, 0);
      assert.match(refused.stderr, /violates PodSecurity "restricted/);
    });

    test(
      'helm install --dry-run=server passes against the cluster and prints the notes',
      { skip },
      async () => {
        const { helm } = await ensureTools();
        const result = await run(
          helm,
          [
            'install',
            RELEASE,
            CHART,
            '--namespace',
            NAMESPACE,
            '--dry-run=server',
            '--set',
            'certManager.enabled=false',
            '--set',
            'tls.existingSecret=runtime-guard-tls',
            '--set-string',
            `tls.caBundle=${caBundle}`,
          ],
          {
            env: {
              KUBECONFIG: plane().adminKubeconfig,
              HELM_CACHE_HOME: join(plane().dir, 'helm'),
            },
          },
        );
        assert.equal(result.code, 0, result.stderr);
        const notes = result.stdout.slice(result.stdout.indexOf('NOTES:'));
        assert.match(notes, /validate\.runtime-guard\.io \(failurePolicy Fail\)/);
        assert.match(notes, /mutate\.runtime-guard\.io \(failurePolicy Ignore\)/);
        assert.match(notes, /Never sent to the webhooks: namespaces runtime-guard, kube-system\./);
        assert.match(notes, /Secret runtime-guard-tls/);
        assert.match(notes, /rollout status deployment\/rg-runtime-guard/);
      },
    );
  },
);
