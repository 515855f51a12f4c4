// networkPolicy.enabled: the NetworkPolicy that keeps everyone but the kube-apiserver (and the
// scraper and probes named) away from the webhook port.
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import type { Deployment } from 'kubernetes-types/apps/v1.js';
import type { NetworkPolicy } from 'kubernetes-types/networking/v1.js';
import {
  BUILD_TIMEOUT_MS,
  ensureTools,
  helmTemplate,
  helmTemplateError,
  parseManifests,
  RELEASE,
  single,
  skip,
} from './helm.ts';

const FULLNAME = `${RELEASE}-runtime-guard`;
const APISERVER = ['--set', 'networkPolicy.apiserverFrom[0].ipBlock.cidr=10.0.0.0/24'];

describe('chart: networkPolicy', { skip }, () => {
  before(() => ensureTools(), { timeout: BUILD_TIMEOUT_MS });

  test('off by default', async () => {
    const kinds = parseManifests(await helmTemplate()).map((object) => object.kind);
    assert.ok(!kinds.includes('NetworkPolicy'));
  });

  test('selects the webhook pods, and lets in only the listed peers, on the port they serve', async () => {
    const objects = parseManifests(
      await helmTemplate([
        '--set',
        'networkPolicy.enabled=true',
        ...APISERVER,
        '--set',
        'networkPolicy.metricsFrom[0].namespaceSelector.matchLabels.kubernetes\\.io/metadata\\.name=monitoring',
        '--set',
        'networkPolicy.metricsFrom[0].podSelector.matchLabels.app=prometheus',
        '--set',
        'audit.enabled=true',
      ]),
    );
    const policy = single<NetworkPolicy>(objects, 'NetworkPolicy', FULLNAME);
    const webhook = single<Deployment>(objects, 'Deployment', FULLNAME);
    const audit = objects.find(
      (o): o is Deployment & typeof o => o.kind === 'Deployment' && o.metadata.name !== FULLNAME,
    );
    const selects = (deployment: Deployment | undefined) =>
      Object.entries(policy.spec?.podSelector.matchLabels ?? {}).every(
        ([key, value]) => deployment?.spec?.template.metadata?.labels?.[key] === value,
      );
    assert.ok(selects(webhook), 'the webhook pods are selected');
    assert.ok(audit && !selects(audit), 'the audit pods are not');
    assert.deepEqual(policy.spec?.policyTypes, ['Ingress']);

    const containerPorts = webhook.spec?.template.spec?.containers[0]?.ports ?? [];
    assert.ok(containerPorts.some((port) => port.name === 'https' && port.containerPort === 8443));
    assert.deepEqual(policy.spec?.ingress, [
      { from: [{ ipBlock: { cidr: '10.0.0.0/24' } }], ports: [{ port: 'https', protocol: 'TCP' }] },
      {
        from: [
          {
            namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } },
            podSelector: { matchLabels: { app: 'prometheus' } },
          },
        ],
        ports: [{ port: 'https', protocol: 'TCP' }],
      },
    ]);
  });

  test('refuses to render one that would drop every review, or a peer that is no peer', async () => {
    assert.match(
      await helmTemplateError(['--set', 'networkPolicy.enabled=true']),
      /networkPolicy\.enabled needs networkPolicy\.apiserverFrom/,
    );
    assert.match(
      await helmTemplateError([
        '--set',
        'networkPolicy.enabled=true',
        '--set',
        'networkPolicy.apiserverFrom[0].cidr=10.0.0.0/24',
      ]),
      /additional properties 'cidr' not allowed/,
    );
  });
});
