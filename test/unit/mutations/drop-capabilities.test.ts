import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { admissionReview, mutate, patched, pod, policy, type Json } from '../../helpers.ts';

const seccomp = { seccompProfile: { type: 'RuntimeDefault' } };

describe('mutation: dropped capabilities', () => {
  const restricted = policy({ preset: 'restricted' });

  it('merges ALL into every container list under restricted, never touching add', () => {
    const object = pod({
      securityContext: seccomp,
      initContainers: [{ name: 'setup', image: 'busybox' }],
      containers: [
        {
          name: 'app',
          image: 'nginx',
          securityContext: { capabilities: { add: ['NET_BIND_SERVICE'], drop: ['NET_RAW'] } },
        },
      ],
    });
    const result = patched(object, mutate(admissionReview(object), restricted).response) as {
      spec: { initContainers: Json[]; containers: Json[] };
    };
    assert.deepEqual(result.spec.initContainers[0]?.securityContext, {
      capabilities: { drop: ['ALL'] },
    });
    assert.deepEqual(result.spec.containers[0]?.securityContext, {
      capabilities: { add: ['NET_BIND_SERVICE'], drop: ['NET_RAW', 'ALL'] },
    });
  });

  it('adds nothing twice', () => {
    const object = pod({
      securityContext: seccomp,
      containers: [
        { name: 'app', image: 'nginx', securityContext: { capabilities: { drop: ['ALL'] } } },
      ],
    });
    assert.equal(mutate(admissionReview(object), restricted).response.patch, undefined);
  });

  it('drops nothing under baseline unless configured', () => {
    const object = pod({ securityContext: seccomp, containers: [{ name: 'app', image: 'nginx' }] });
    assert.equal(mutate(admissionReview(object)).response.patch, undefined);
    const p = policy({ mutation: { dropCapabilities: { drop: ['net_raw', 'CAP_SYS_ADMIN'] } } });
    const result = patched(object, mutate(admissionReview(object), p).response) as {
      spec: { containers: Json[] };
    };
    assert.deepEqual(result.spec.containers[0]?.securityContext, {
      capabilities: { drop: ['NET_RAW', 'SYS_ADMIN'] },
    });
  });
});
