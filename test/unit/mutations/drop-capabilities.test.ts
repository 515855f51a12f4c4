import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mutatePod } from '../../../src/policy/mutate.ts';
import { pod } from '../../helpers.ts';
import { policyOf, reviewOf } from '../policy-helpers.ts';

const seccomp = { seccompProfile: { type: 'RuntimeDefault' } };

describe('mutation: dropped capabilities', () => {
  const restricted = policyOf({ preset: 'restricted' });

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
    const result = mutatePod(reviewOf(object), restricted);
    assert.deepEqual(result.edits, [
      {
        op: 'set',
        path: ['spec', 'initContainers', 0, 'securityContext', 'capabilities', 'drop'],
        value: ['ALL'],
      },
      {
        op: 'set',
        path: ['spec', 'containers', 0, 'securityContext', 'capabilities', 'drop'],
        value: ['NET_RAW', 'ALL'],
      },
    ]);
    assert.deepEqual(result.spec.initContainers?.[0]?.securityContext, {
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
    assert.deepEqual(mutatePod(reviewOf(object), restricted).edits, []);
  });

  it('drops nothing under baseline unless configured, and writes configured names canonically', () => {
    const object = pod({ securityContext: seccomp, containers: [{ name: 'app', image: 'nginx' }] });
    assert.deepEqual(mutatePod(reviewOf(object), policyOf()).edits, []);
    const p = policyOf({ mutation: { dropCapabilities: { drop: ['net_raw', 'CAP_SYS_ADMIN'] } } });
    const result = mutatePod(reviewOf(object), p);
    assert.deepEqual(result.edits, [
      {
        op: 'set',
        path: ['spec', 'containers', 0, 'securityContext', 'capabilities', 'drop'],
        value: ['NET_RAW', 'SYS_ADMIN'],
      },
    ]);
    assert.deepEqual(result.spec.containers[0]?.securityContext, {
      capabilities: { drop: ['NET_RAW', 'SYS_ADMIN'] },
    });
  });
});
