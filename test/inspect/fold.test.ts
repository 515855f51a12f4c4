/** The fold: pods reported on their owning workload, template and running pods judged apart. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { defaultReviewConfig } from '../../src/config/load-config.ts';
import { deployment, fold, namespace, podOf, RD, replicaSet, type Json } from './support.ts';

const BARE = { containers: [{ name: 'app', image: 'nginx' }] };
const COMPLIANT = { securityContext: RD, containers: [{ name: 'app', image: 'nginx' }] };
const PRIVILEGED = {
  securityContext: RD,
  containers: [{ name: 'app', image: 'nginx', securityContext: { privileged: true } }],
};

describe('scan fold', () => {
  it('reports pods of a Deployment once, on the Deployment, and skips its ReplicaSet', () => {
    const web = deployment('web', 'shop', BARE);
    const rs = replicaSet('web-1', 'shop', web, BARE);
    const report = fold({
      namespaces: [namespace('shop')],
      workloads: [web, rs],
      pods: [podOf('web-1-a', 'shop', rs, BARE), podOf('web-1-b', 'shop', rs, BARE)],
    });
    assert.deepEqual(
      report.workloads.map((w) => [w.resource.kind, w.resource.name, w.status, w.pods]),
      [['Deployment', 'web', 'fixed-by-mutation', 2]],
    );
    assert.equal(report.findings.length, 1);
    const [f] = report.findings;
    assert.deepEqual(f?.resource, {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      namespace: 'shop',
      name: 'web',
    });
    assert.equal(f?.rule, 'seccompRequired');
    assert.equal(f?.status, 'fixed-by-mutation');
    assert.equal(f?.field, 'spec.template.spec.containers[0].securityContext.seccompProfile');
    assert.deepEqual(f?.pods, ['web-1-a', 'web-1-b']);
    assert.equal(f?.kubectl.restart, 'kubectl rollout restart deployments.apps/web -n shop');
    assert.deepEqual(f?.patch, [
      {
        op: 'add',
        path: '/spec/template/spec/securityContext',
        value: { seccompProfile: { type: 'RuntimeDefault' } },
      },
    ]);
  });

  it('folds a ReplicaSet listed before its Deployment all the same', () => {
    const web = deployment('web', 'shop', COMPLIANT);
    const rs = replicaSet('web-1', 'shop', web, PRIVILEGED);
    const report = fold({ namespaces: [namespace('shop')], workloads: [rs, web], pods: [] });
    assert.deepEqual(
      report.workloads.map((w) => `${w.resource.kind}/${w.resource.name}`),
      ['Deployment/web'],
    );
    assert.deepEqual(report.findings, []);
  });

  it('calls pods running-unprotected when the template complies and they do not', () => {
    const web = deployment('web', 'shop', COMPLIANT, {});
    const old = replicaSet('web-0', 'shop', web, BARE);
    const report = fold({
      namespaces: [namespace('shop')],
      workloads: [web, old],
      pods: [
        podOf('web-0-a', 'shop', old, BARE, {
          annotations: { 'seccomp.security.alpha.kubernetes.io/pod': 'runtime/default' },
        }),
      ],
    });
    assert.deepEqual(
      report.findings.map((f) => [f.status, f.rule, f.field, f.pods, f.patch, f.kubectl.restart]),
      [
        [
          'running-unprotected',
          'seccompRequired',
          'spec.containers[0].securityContext.seccompProfile',
          ['web-0-a'],
          null,
          'kubectl rollout restart deployments.apps/web -n shop',
        ],
      ],
    );
    assert.deepEqual(report.findings[0]?.legacySeccompAnnotation, {
      key: 'seccomp.security.alpha.kubernetes.io/pod',
      value: 'runtime/default',
    });
    assert.equal(report.namespaces[0]?.enforceReady, true, 'running pods do not block enforce');
  });

  it('reports a Job of a CronJob on the CronJob, and replaces its pods by deleting the Job', () => {
    const spec = { restartPolicy: 'Never', ...PRIVILEGED };
    const cron: Json = {
      apiVersion: 'batch/v1',
      kind: 'CronJob',
      metadata: { name: 'nightly', namespace: 'ops', uid: 'uid-cron' },
      spec: { schedule: '0 3 * * *', jobTemplate: { spec: { template: { spec } } } },
    };
    const job: Json = {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: {
        name: 'nightly-29000000',
        namespace: 'ops',
        uid: 'uid-job',
        ownerReferences: [{ kind: 'CronJob', name: 'nightly', uid: 'uid-cron', controller: true }],
      },
      spec: { template: { spec } },
    };
    const report = fold({
      namespaces: [namespace('ops')],
      workloads: [cron, job],
      pods: [
        podOf('nightly-29000000-x', 'ops', job, spec),
        podOf('nightly-28000000-y', 'ops', job, spec, {}, 'Succeeded'),
      ],
    });
    assert.deepEqual(
      report.workloads.map((w) => [w.resource.kind, w.status, w.pods]),
      [['CronJob', 'refused', 1]],
    );
    const [f] = report.findings;
    assert.equal(
      f?.field,
      'spec.jobTemplate.spec.template.spec.containers[0].securityContext.privileged',
    );
    assert.deepEqual(f?.pods, ['nightly-29000000-x'], 'a Succeeded pod does not run');
    assert.equal(f?.kubectl.restart, 'kubectl delete jobs.batch -n ops nightly-29000000');
    assert.equal(report.namespaces[0]?.enforceReady, false);
  });

  it('reports a pod without a controller on itself, and re-creates it to fix it', () => {
    const report = fold({
      namespaces: [namespace('shop')],
      pods: [podOf('debug', 'shop', undefined, PRIVILEGED, { resourceVersion: '42' })],
    });
    const [f] = report.findings;
    assert.deepEqual(f?.resource, {
      apiVersion: 'v1',
      kind: 'Pod',
      namespace: 'shop',
      name: 'debug',
    });
    assert.deepEqual(f?.pods, ['debug']);
    assert.equal(
      f?.kubectl.patch,
      `kubectl get pods debug -n shop -o json | kubectl patch --local -f - --type=json -p '[{"op":"replace","path":"/spec/containers/0/securityContext/privileged","value":false},{"op":"remove","path":"/metadata/resourceVersion"},{"op":"remove","path":"/metadata/uid"}]' -o json | kubectl replace --force -f -`,
    );
    assert.equal(f?.kubectl.restart, null, 're-creating it is the fix');
  });

  it('reports a pod whose controller the scan does not read on the pod, with a warning', () => {
    const owner: Json = {
      apiVersion: 'example.com/v1',
      kind: 'Widget',
      metadata: { name: 'w', uid: 'uid-w' },
    };
    const report = fold({
      namespaces: [namespace('shop')],
      pods: [podOf('w-1', 'shop', owner, PRIVILEGED)],
    });
    assert.equal(report.findings[0]?.resource.kind, 'Pod');
    assert.match(report.warnings[0] ?? '', /controlled by Widget w, which the scan does not read/);
  });

  it('lists namespaces in mode off and exempt ones without judging them', () => {
    const config = defaultReviewConfig({ exemptions: { namespaces: ['kube-system'] } });
    const report = fold({
      config,
      namespaces: [
        namespace('legacy', { 'runtime-guard.io/mode': 'off' }),
        namespace('kube-system'),
        namespace('shop', { 'runtime-guard.io/mode': 'audit' }),
        namespace('odd', { 'runtime-guard.io/mode': 'strict' }),
      ],
      workloads: [
        deployment('a', 'legacy', PRIVILEGED),
        deployment('b', 'kube-system', PRIVILEGED),
        deployment('c', 'shop', PRIVILEGED),
      ],
    });
    assert.deepEqual(
      report.namespaces.map((ns) => [
        ns.name,
        ns.mode,
        ns.modeSource,
        ns.judged,
        ns.enforceReady,
        ns.workloads,
      ]),
      [
        ['kube-system', 'enforce', 'configuration', false, null, 1],
        ['legacy', 'off', 'label', false, null, 1],
        ['odd', 'enforce', 'configuration', true, true, 0],
        ['shop', 'audit', 'label', true, false, 1],
      ],
    );
    assert.deepEqual(
      report.workloads.map((w) => [w.resource.name, w.status, w.reason]),
      [
        ['b', 'exempt', 'namespace "kube-system" is exempt'],
        ['a', 'off', 'namespace legacy is in mode off'],
        ['c', 'refused', null],
      ],
    );
    assert.deepEqual(
      report.findings.map((f) => f.resource.name),
      ['c'],
    );
    assert.match(
      report.warnings[0] ?? '',
      /namespace odd: label runtime-guard.io\/mode="strict" is not a mode/,
    );
  });

  it('ignores mode labels when the configuration does not read them', () => {
    const report = fold({
      namespaceLabels: false,
      namespaces: [namespace('legacy', { 'runtime-guard.io/mode': 'off' })],
      workloads: [deployment('a', 'legacy', PRIVILEGED)],
    });
    assert.equal(report.namespaces[0]?.mode, 'enforce');
    assert.equal(report.findings[0]?.status, 'refused');
  });

  it('exempts a runtime class, as the webhook does', () => {
    const config = defaultReviewConfig({ exemptions: { runtimeClassNames: ['gvisor'] } });
    const report = fold({
      config,
      namespaces: [namespace('shop')],
      workloads: [deployment('sandboxed', 'shop', { ...PRIVILEGED, runtimeClassName: 'gvisor' })],
    });
    assert.deepEqual(
      report.workloads.map((w) => [w.status, w.reason]),
      [['exempt', 'runtimeClassName "gvisor" is exempt']],
    );
    assert.deepEqual(report.findings, []);
  });

  it('says which of a template is refused and which mutation fixes, with one patch for all', () => {
    const web = deployment('web', 'shop', {
      containers: [
        {
          name: 'app',
          image: 'nginx',
          securityContext: { capabilities: { add: ['SYS_ADMIN', 'NET_ADMIN'] } },
        },
      ],
    });
    const report = fold({ namespaces: [namespace('shop')], workloads: [web] });
    assert.deepEqual(
      report.findings.map((f) => [f.rule, f.status, f.field]),
      [
        [
          'seccompRequired',
          'fixed-by-mutation',
          'spec.template.spec.containers[0].securityContext.seccompProfile',
        ],
        [
          'capabilitiesAdded',
          'refused',
          'spec.template.spec.containers[0].securityContext.capabilities.add[0]',
        ],
        [
          'capabilitiesAdded',
          'refused',
          'spec.template.spec.containers[0].securityContext.capabilities.add[1]',
        ],
      ],
    );
    // Both removals from one list, the higher index first.
    assert.deepEqual(report.workloads[0]?.patch, [
      {
        op: 'add',
        path: '/spec/template/spec/securityContext',
        value: { seccompProfile: { type: 'RuntimeDefault' } },
      },
      { op: 'remove', path: '/spec/template/spec/containers/0/securityContext/capabilities/add/1' },
      { op: 'remove', path: '/spec/template/spec/containers/0/securityContext/capabilities/add/0' },
    ]);
    assert.equal(report.summary.refusedWorkloads, 1);
    assert.deepEqual(report.summary.byStatus, {
      refused: 2,
      'fixed-by-mutation': 1,
      'running-unprotected': 0,
    });
  });
});
