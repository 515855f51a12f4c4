import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  admissionReview,
  decodePatch,
  mutate,
  patched,
  pod,
  policy,
  type Json,
} from '../../helpers.ts';

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
      'seccomp.security.alpha.kubernetes.io/pod': 'docker/default',
      'container.seccomp.security.alpha.kubernetes.io/app': 'localhost/profiles/nginx.json',
      'container.seccomp.security.alpha.kubernetes.io/setup': 'unconfined',
      team: 'payments',
    });
    const { response } = mutate(admissionReview(object));
    assert.equal(response.allowed, true);
    const result = patched(object, response) as Json & { metadata: Json; spec: Json };
    assert.deepEqual(result.metadata.annotations, { team: 'payments' });
    assert.deepEqual(result.spec.securityContext, { seccompProfile: { type: 'RuntimeDefault' } });
    assert.deepEqual((result.spec.containers as Json[])[0]?.securityContext, {
      seccompProfile: { type: 'Localhost', localhostProfile: 'profiles/nginx.json' },
    });
    assert.deepEqual((result.spec.initContainers as Json[])[0]?.securityContext, {
      seccompProfile: { type: 'Unconfined' },
    });
  });

  it('escapes the slash in annotation keys in the patch path', () => {
    const { response } = mutate(
      admissionReview(annotated({ 'seccomp.security.alpha.kubernetes.io/pod': 'runtime/default' })),
    );
    assert.deepEqual(
      decodePatch(response).find((op) => op.op === 'remove'),
      {
        op: 'remove',
        path: '/metadata/annotations/seccomp.security.alpha.kubernetes.io~1pod',
      },
    );
  });

  it('keeps an existing field over the annotation', () => {
    const object = annotated(
      { 'seccomp.security.alpha.kubernetes.io/pod': 'unconfined' },
      { securityContext: { seccompProfile: { type: 'RuntimeDefault' } } },
    );
    const result = patched(object, mutate(admissionReview(object)).response) as {
      spec: Json;
      metadata: Json;
    };
    assert.deepEqual(result.spec.securityContext, { seccompProfile: { type: 'RuntimeDefault' } });
    assert.deepEqual(result.metadata.annotations, {});
  });

  it('leaves annotations naming no container or with unknown values, and reports them as warnings', () => {
    const object = annotated({
      'container.seccomp.security.alpha.kubernetes.io/ghost': 'runtime/default',
      'container.seccomp.security.alpha.kubernetes.io/app': 'localhost/',
    });
    const { response } = mutate(admissionReview(object));
    const result = patched(object, response) as { metadata: Json };
    assert.deepEqual(Object.keys(result.metadata.annotations as Json).sort(), [
      'container.seccomp.security.alpha.kubernetes.io/app',
      'container.seccomp.security.alpha.kubernetes.io/ghost',
    ]);
    assert.deepEqual(response.warnings, [
      'runtime-guard: annotation container.seccomp.security.alpha.kubernetes.io/ghost names no container of this pod; left as is (Kubernetes ignores it)',
      'runtime-guard: annotation container.seccomp.security.alpha.kubernetes.io/app: "localhost/" maps to no seccomp profile; left as is (Kubernetes ignores it)',
    ]);
  });

  it('keeps the annotations when configured to', () => {
    const object = annotated({ 'seccomp.security.alpha.kubernetes.io/pod': 'runtime/default' });
    const p = policy({ mutation: { legacySeccompAnnotations: { removeAnnotations: false } } });
    const result = patched(object, mutate(admissionReview(object), p).response) as {
      metadata: Json;
      spec: Json;
    };
    assert.deepEqual(result.metadata.annotations, {
      'seccomp.security.alpha.kubernetes.io/pod': 'runtime/default',
    });
    assert.deepEqual(result.spec.securityContext, { seccompProfile: { type: 'RuntimeDefault' } });
  });

  it('translates in pod templates of workloads', () => {
    const deployment = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web' },
      spec: {
        template: {
          metadata: {
            annotations: { 'seccomp.security.alpha.kubernetes.io/pod': 'localhost/p.json' },
          },
          spec: { containers: [{ name: 'app', image: 'nginx' }] },
        },
      },
    };
    const result = patched(deployment, mutate(admissionReview(deployment)).response);
    assert.deepEqual(result.spec.template.spec, {
      containers: [{ name: 'app', image: 'nginx' }],
      securityContext: { seccompProfile: { type: 'Localhost', localhostProfile: 'p.json' } },
    });
    assert.deepEqual(result.spec.template.metadata.annotations, {});
  });
});
