import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { patchFromEdits } from '../../../src/admission/json-patch.ts';
import { mutatePod } from '../../../src/policy/mutate.ts';
import { pod, type Json } from '../../helpers.ts';
import { policyOf, reviewOf } from '../policy-helpers.ts';

const POD_KEY = 'seccomp.security.alpha.kubernetes.io/pod';
const containerKey = (name: string) => `container.seccomp.security.alpha.kubernetes.io/${name}`;
const RUNTIME_DEFAULT = { type: 'RuntimeDefault' };

const annotated = (annotations: Record<string, string>, spec: Json = {}) =>
  pod(
    {
      containers: [{ name: 'app', image: 'nginx' }],
      initContainers: [{ name: 'setup', image: 'busybox' }],
      ...spec,
    },
    { annotations },
  );

describe('mutation: legacy seccomp annotations to fields', () => {
  it('translates every value form and removes the annotations', () => {
    const object = annotated({
      [POD_KEY]: 'docker/default',
      [containerKey('app')]: 'localhost/profiles/nginx.json',
      [containerKey('setup')]: 'unconfined',
      team: 'payments',
    });
    const result = mutatePod(reviewOf(object), policyOf());
    const localhost = { type: 'Localhost', localhostProfile: 'profiles/nginx.json' };
    assert.deepEqual(result.edits, [
      { op: 'set', path: ['spec', 'securityContext', 'seccompProfile'], value: RUNTIME_DEFAULT },
      { op: 'remove', path: ['metadata', 'annotations', POD_KEY] },
      {
        op: 'set',
        path: ['spec', 'containers', 0, 'securityContext', 'seccompProfile'],
        value: localhost,
      },
      { op: 'remove', path: ['metadata', 'annotations', containerKey('app')] },
      {
        op: 'set',
        path: ['spec', 'initContainers', 0, 'securityContext', 'seccompProfile'],
        value: { type: 'Unconfined' },
      },
      { op: 'remove', path: ['metadata', 'annotations', containerKey('setup')] },
    ]);
    assert.deepEqual(result.annotations, { team: 'payments' });
    assert.deepEqual(result.spec.securityContext, { seccompProfile: RUNTIME_DEFAULT });
    assert.deepEqual(result.spec.containers[0]?.securityContext, { seccompProfile: localhost });
    assert.deepEqual(result.spec.initContainers?.[0]?.securityContext, {
      seccompProfile: { type: 'Unconfined' },
    });
  });

  it('escapes the slash in annotation keys in the patch path', () => {
    const object = annotated({ [POD_KEY]: 'runtime/default' });
    const { edits } = mutatePod(reviewOf(object), policyOf());
    assert.deepEqual(
      patchFromEdits(object, edits).find((op) => op.op === 'remove'),
      { op: 'remove', path: '/metadata/annotations/seccomp.security.alpha.kubernetes.io~1pod' },
    );
  });

  it('keeps an existing field over the annotation, and still removes the annotation', () => {
    const object = annotated(
      { [POD_KEY]: 'unconfined' },
      { securityContext: { seccompProfile: RUNTIME_DEFAULT } },
    );
    const result = mutatePod(reviewOf(object), policyOf());
    assert.deepEqual(result.edits, [{ op: 'remove', path: ['metadata', 'annotations', POD_KEY] }]);
    assert.deepEqual(result.spec.securityContext, { seccompProfile: RUNTIME_DEFAULT });
    assert.deepEqual(result.annotations, {});
  });

  it('leaves annotations naming no container or with unknown values, and reports them', () => {
    const ghost = containerKey('ghost');
    const app = containerKey('app');
    const object = annotated({ [ghost]: 'runtime/default', [app]: 'localhost/' });
    const result = mutatePod(reviewOf(object), policyOf());
    assert.deepEqual(result.annotations, { [ghost]: 'runtime/default', [app]: 'localhost/' });
    // Only the default profile: neither annotation is translated nor removed.
    assert.deepEqual(result.edits, [
      { op: 'set', path: ['spec', 'securityContext', 'seccompProfile'], value: RUNTIME_DEFAULT },
    ]);
    assert.deepEqual(
      result.notes.map((note) => [ghost, app].find((key) => note.includes(key))),
      [ghost, app],
      'one note per left-alone annotation, in their order',
    );
  });

  it('keeps the annotations when configured to', () => {
    const object = annotated({ [POD_KEY]: 'runtime/default' });
    const p = policyOf({ mutation: { legacySeccompAnnotations: { removeAnnotations: false } } });
    const result = mutatePod(reviewOf(object), p);
    assert.deepEqual(result.edits, [
      { op: 'set', path: ['spec', 'securityContext', 'seccompProfile'], value: RUNTIME_DEFAULT },
    ]);
    assert.deepEqual(result.annotations, { [POD_KEY]: 'runtime/default' });
    assert.deepEqual(result.spec.securityContext, { seccompProfile: RUNTIME_DEFAULT });
  });

  it('translates in pod templates of workloads', () => {
    const deployment = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web' },
      spec: {
        template: {
          metadata: { annotations: { [POD_KEY]: 'localhost/p.json' } },
          spec: { containers: [{ name: 'app', image: 'nginx' }] },
        },
      },
    };
    const result = mutatePod(reviewOf(deployment), policyOf());
    const localhost = { type: 'Localhost', localhostProfile: 'p.json' };
    assert.deepEqual(result.edits, [
      {
        op: 'set',
        path: ['spec', 'template', 'spec', 'securityContext', 'seccompProfile'],
        value: localhost,
      },
      { op: 'remove', path: ['spec', 'template', 'metadata', 'annotations', POD_KEY] },
    ]);
    assert.deepEqual(result.spec, {
      containers: [{ name: 'app', image: 'nginx' }],
      securityContext: { seccompProfile: localhost },
    });
    assert.deepEqual(result.annotations, {});
  });
});
