import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { patchFromEdits } from '../../../src/admission/json-patch.ts';
import { mutatePod } from '../../../src/policy/mutate.ts';
import { pod } from '../../helpers.ts';
import { ephemeralUpdate, policyOf, reviewOf } from '../policy-helpers.ts';

const RUNTIME_DEFAULT = { type: 'RuntimeDefault' };

describe('mutation: default seccomp profile', () => {
  it('adds RuntimeDefault to a pod without a pod-level profile, keeping container profiles', () => {
    const containers = [
      {
        name: 'app',
        image: 'nginx',
        securityContext: { seccompProfile: { type: 'Localhost', localhostProfile: 'x.json' } },
      },
    ];
    const object = pod({ containers });
    const received = structuredClone(object);
    const result = mutatePod(reviewOf(object), policyOf());
    assert.deepEqual(result.edits, [
      { op: 'set', path: ['spec', 'securityContext', 'seccompProfile'], value: RUNTIME_DEFAULT },
    ]);
    assert.deepEqual(result.spec.securityContext, { seccompProfile: RUNTIME_DEFAULT });
    assert.deepEqual(result.spec.containers, containers);
    assert.deepEqual(object, received, 'the object received is not modified');
    // The missing parent is created whole by one operation.
    assert.deepEqual(patchFromEdits(object, result.edits), [
      { op: 'add', path: '/spec/securityContext', value: { seccompProfile: RUNTIME_DEFAULT } },
    ]);
  });

  it("sets a workload template's pod level and names that field", () => {
    const deployment = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web' },
      spec: { template: { spec: { containers: [{ name: 'app', image: 'nginx' }] } } },
    };
    const result = mutatePod(reviewOf(deployment), policyOf());
    const path = ['spec', 'template', 'spec', 'securityContext', 'seccompProfile'];
    assert.deepEqual(result.edits, [{ op: 'set', path, value: RUNTIME_DEFAULT }]);
    assert.deepEqual(result.changes, [
      'set spec.template.spec.securityContext.seccompProfile to RuntimeDefault',
    ]);
  });

  it('adds under an existing securityContext without replacing it', () => {
    const object = pod({
      securityContext: { runAsNonRoot: true },
      containers: [{ name: 'app', image: 'nginx' }],
    });
    const result = mutatePod(reviewOf(object), policyOf());
    assert.deepEqual(result.edits, [
      { op: 'set', path: ['spec', 'securityContext', 'seccompProfile'], value: RUNTIME_DEFAULT },
    ]);
    assert.deepEqual(result.spec.securityContext, {
      runAsNonRoot: true,
      seccompProfile: RUNTIME_DEFAULT,
    });
    assert.deepEqual(patchFromEdits(object, result.edits), [
      { op: 'add', path: '/spec/securityContext/seccompProfile', value: RUNTIME_DEFAULT },
    ]);
  });

  it('never overwrites an explicit pod-level profile, Unconfined included', () => {
    const object = pod({
      securityContext: { seccompProfile: { type: 'Unconfined' } },
      containers: [{ name: 'app', image: 'nginx' }],
    });
    assert.deepEqual(mutatePod(reviewOf(object), policyOf()).edits, []);
  });

  it('uses a configured Localhost profile, replacing a null securityContext', () => {
    const p = policyOf({
      mutation: {
        defaultSeccompProfile: { profile: { type: 'Localhost', localhostProfile: 'default.json' } },
      },
    });
    const object = pod({ securityContext: null, containers: [{ name: 'app', image: 'nginx' }] });
    const localhost = { type: 'Localhost', localhostProfile: 'default.json' };
    const result = mutatePod(reviewOf(object), p);
    assert.deepEqual(result.edits, [
      { op: 'set', path: ['spec', 'securityContext', 'seccompProfile'], value: localhost },
    ]);
    assert.deepEqual(patchFromEdits(object, result.edits), [
      { op: 'replace', path: '/spec/securityContext', value: { seccompProfile: localhost } },
    ]);
  });

  it('on a debug session, sets only the new ephemeral containers that have no profile', () => {
    const object = pod({
      containers: [{ name: 'app', image: 'nginx' }],
      ephemeralContainers: [
        { name: 'old', image: 'busybox' },
        { name: 'debugger', image: 'busybox' },
        {
          name: 'own',
          image: 'busybox',
          securityContext: { seccompProfile: { type: 'Localhost', localhostProfile: 'd.json' } },
        },
      ],
    });
    const result = mutatePod(ephemeralUpdate(reviewOf(object), 'debugger', 'own'), policyOf());
    assert.deepEqual(result.edits, [
      {
        op: 'set',
        path: ['spec', 'ephemeralContainers', 1, 'securityContext', 'seccompProfile'],
        value: RUNTIME_DEFAULT,
      },
    ]);
    assert.equal(result.spec.securityContext, undefined, 'the pod level is left alone');
  });

  it('can be turned off', () => {
    const object = pod({ containers: [{ name: 'app', image: 'nginx' }] });
    const p = policyOf({ mutation: { defaultSeccompProfile: { enabled: false } } });
    assert.deepEqual(mutatePod(reviewOf(object), p).edits, []);
  });

  it('never touches Windows pods', () => {
    const object = pod({ os: { name: 'windows' }, containers: [{ name: 'app', image: 'iis' }] });
    const result = mutatePod(reviewOf(object), policyOf({ preset: 'restricted' }));
    assert.deepEqual(result.edits, []);
    assert.deepEqual(result.spec, object.spec);
  });
});
