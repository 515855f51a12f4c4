// What `helm template` makes of audit.*: a Deployment with the webhook's image and hardening, a
// ServiceAccount of its own whose RBAC writes the report kind only, the Lease by name, pods the
// webhook's Service never selects, and the report CRDs only when asked. The RBAC is exercised for
// real in test/e2e/audit.test.ts, where the replicas run with this account's token.

import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import type { Deployment } from 'kubernetes-types/apps/v1.js';
import type { Container, Service } from 'kubernetes-types/core/v1.js';
import type { ClusterRole, Role } from 'kubernetes-types/rbac/v1.js';
import {
  BUILD_TIMEOUT_MS,
  ensureTools,
  helmTemplate,
  parseManifests,
  RELEASE,
  single,
  skip,
  type Manifest,
} from '../chart/helm.ts';

const FULLNAME = `${RELEASE}-runtime-guard`;
const AUDIT = `${FULLNAME}-audit`;
const WRITE_VERBS = ['create', 'update', 'patch', 'delete', 'deletecollection'];

const render = async (...sets: string[]) =>
  parseManifests(await helmTemplate(sets.flatMap((s) => ['--set', s])));
const containerOf = (d: Deployment): Container => {
  const c = d.spec?.template.spec?.containers[0];
  assert.ok(c);
  return c;
};

describe('chart: audit.enabled', { timeout: BUILD_TIMEOUT_MS }, () => {
  let objects: Manifest[] = [];
  before(async () => {
    if (skip) return;
    await ensureTools();
    objects = await render('audit.enabled=true');
  });

  test('nothing of the audit by default', { skip }, async () => {
    const names = (await render()).map((o) => `${o.kind}/${o.metadata.name}`);
    assert.deepEqual(
      names.filter((n) => n.includes('audit') || n.startsWith('CustomResourceDefinition/')),
      [],
    );
  });

  test("its Deployment runs the webhook's image with the same hardening", { skip }, () => {
    const webhook = single<Deployment>(objects, 'Deployment', FULLNAME);
    const audit = single<Deployment>(objects, 'Deployment', AUDIT);
    const [w, a] = [containerOf(webhook), containerOf(audit)];
    assert.equal(a.image, w.image);
    assert.deepEqual(a.securityContext, w.securityContext);
    assert.deepEqual(
      audit.spec?.template.spec?.securityContext,
      webhook.spec?.template.spec?.securityContext,
    );
    assert.equal(audit.spec?.replicas, 2);
    assert.deepEqual(a.args, [
      'audit',
      '--config=/etc/runtime-guard/config.yaml',
      '--report-api=openreports.io/v1alpha1',
      '--writes-per-second=5',
      '--write-burst=20',
      '--max-results=200',
      `--lease-name=${AUDIT}`,
      '--port=8080',
      '--log-level=info',
    ]);
    assert.equal(
      a.env?.find((e) => e.name === 'POD_NAMESPACE')?.valueFrom?.fieldRef?.fieldPath,
      'metadata.namespace',
    );
    assert.equal(audit.spec?.template.spec?.serviceAccountName, AUDIT);
    assert.equal(a.readinessProbe?.httpGet?.path, '/readyz');
    const spread =
      audit.spec?.template.spec?.affinity?.podAntiAffinity
        ?.preferredDuringSchedulingIgnoredDuringExecution?.[0];
    assert.deepEqual(
      spread?.podAffinityTerm.labelSelector?.matchLabels,
      audit.spec?.selector.matchLabels,
    );
  });

  test("the webhook's Service never selects its pods", { skip }, () => {
    const service = single<Service>(objects, 'Service', FULLNAME);
    const labels =
      single<Deployment>(objects, 'Deployment', AUDIT).spec?.template.metadata?.labels ?? {};
    const selected = Object.entries(service.spec?.selector ?? {}).every(
      ([k, v]) => labels[k] === v,
    );
    assert.equal(selected, false);
  });

  test('its RBAC reads the workload kinds and writes the report kind only', { skip }, () => {
    const role = single<ClusterRole>(objects, 'ClusterRole', AUDIT);
    const writes = (role.rules ?? []).filter((r) => r.verbs.some((v) => WRITE_VERBS.includes(v)));
    assert.deepEqual(
      writes.map((r) => [r.apiGroups, r.resources]),
      [[['openreports.io'], ['reports', 'clusterreports']]],
    );
    const read = (role.rules ?? []).flatMap((r) =>
      r.verbs.includes('watch') ? (r.resources ?? []) : [],
    );
    for (const kind of ['pods', 'namespaces', 'deployments', 'replicasets', 'cronjobs', 'jobs'])
      assert.ok(read.includes(kind), `watches ${kind}`);
    const lease = single<Role>(objects, 'Role', AUDIT);
    assert.deepEqual(lease.rules, [
      { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['create'] },
      {
        apiGroups: ['coordination.k8s.io'],
        resources: ['leases'],
        resourceNames: [AUDIT],
        verbs: ['get', 'update'],
      },
    ]);
  });

  test(
    'wgpolicyk8s.io: the RBAC and, with installCRDs, the CRDs follow reportApi',
    { skip },
    async () => {
      const wg = await render(
        'audit.enabled=true',
        'audit.installCRDs=true',
        'audit.reportApi=wgpolicyk8s.io/v1alpha2',
      );
      const role = single<ClusterRole>(wg, 'ClusterRole', AUDIT);
      assert.ok(
        role.rules?.some(
          (r) => r.apiGroups?.includes('wgpolicyk8s.io') && r.resources?.includes('policyreports'),
        ),
      );
      const crds = wg
        .filter((o) => o.kind === 'CustomResourceDefinition')
        .map((o) => o.metadata.name);
      assert.deepEqual(crds, [
        'policyreports.wgpolicyk8s.io',
        'clusterpolicyreports.wgpolicyk8s.io',
      ]);
      assert.ok(
        !objects.some((o) => o.kind === 'CustomResourceDefinition'),
        'no CRDs without installCRDs',
      );
    },
  );

  test('extraKinds are watched too', { skip }, async () => {
    const text = await helmTemplate([
      '--set',
      'audit.enabled=true',
      '--set-json',
      'config.extraKinds=[{"group":"argoproj.io","kind":"Rollout","resource":"rollouts","podTemplatePath":"spec.template"}]',
    ]);
    const role = single<ClusterRole>(parseManifests(text), 'ClusterRole', AUDIT);
    assert.ok(
      role.rules?.some(
        (r) =>
          r.apiGroups?.includes('argoproj.io') &&
          r.resources?.includes('rollouts') &&
          r.verbs.includes('watch'),
      ),
    );
  });
});
