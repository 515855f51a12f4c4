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

describe('mutation: default seccomp profile', () => {
  it('adds RuntimeDefault to a pod without a pod-level profile, keeping container profiles', () => {
    const object = pod({
      containers: [
        {
          name: 'app',
          image: 'nginx',
          securityContext: { seccompProfile: { type: 'Localhost', localhostProfile: 'x.json' } },
        },
      ],
    });
    const { response } = mutate(admissionReview(object));
    assert.deepEqual(decodePatch(response), [
      {
        op: 'add',
        path: '/spec/securityContext',
        value: { seccompProfile: { type: 'RuntimeDefault' } },
      },
    ]);
    assert.deepEqual(
      (patched(object, response).spec as Json).containers,
      object.spec && (object.spec as Json).containers,
    );
  });

  it('adds under an existing securityContext without replacing it', () => {
    const object = pod({
      securityContext: { runAsNonRoot: true },
      containers: [{ name: 'app', image: 'nginx' }],
    });
    assert.deepEqual(decodePatch(mutate(admissionReview(object)).response), [
      {
        op: 'add',
        path: '/spec/securityContext/seccompProfile',
        value: { type: 'RuntimeDefault' },
      },
    ]);
  });

  it('never overwrites an explicit pod-level profile, Unconfined included', () => {
    const object = pod({
      securityContext: { seccompProfile: { type: 'Unconfined' } },
      containers: [{ name: 'app', image: 'nginx' }],
    });
    assert.equal(mutate(admissionReview(object)).response.patch, undefined);
  });

  it('uses a configured Localhost profile', () => {
    const p = policy({
      mutation: {
        defaultSeccompProfile: { profile: { type: 'Localhost', localhostProfile: 'default.json' } },
      },
    });
    const object = pod({ securityContext: null, containers: [{ name: 'app', image: 'nginx' }] });
    assert.deepEqual(decodePatch(mutate(admissionReview(object), p).response), [
      {
        op: 'replace',
        path: '/spec/securityContext',
        value: { seccompProfile: { type: 'Localhost', localhostProfile: 'default.json' } },
      },
    ]);
  });

  it('never touches Windows pods', () => {
    const object = pod({ os: { name: 'windows' }, containers: [{ name: 'app', image: 'iis' }] });
    assert.equal(
      mutate(admissionReview(object), policy({ preset: 'restricted' })).response.patch,
      undefined,
    );
  });
});
