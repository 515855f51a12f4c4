import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { podReview, policyOf, violationsOf } from '../policy-helpers.ts';

const dropping = (drop: unknown) =>
  podReview({
    securityContext: { seccompProfile: { type: 'RuntimeDefault' } },
    containers: [{ name: 'app', image: 'nginx', securityContext: { capabilities: { drop } } }],
  });

const APP_DROP = {
  rule: 'capabilitiesDropAll',
  subject: 'container "app"',
  field: 'spec.containers[0].securityContext.capabilities.drop',
};

describe('rule capabilitiesDropAll', () => {
  const restricted = policyOf({ preset: 'restricted' });

  it('is on under restricted: a container must drop exactly ALL', () => {
    assert.deepEqual(violationsOf(dropping(['ALL']), restricted), []);
    assert.deepEqual(violationsOf(dropping(['NET_RAW', 'SYS_ADMIN']), restricted), [APP_DROP]);
    assert.deepEqual(violationsOf(dropping(['all']), restricted), [APP_DROP], 'lower-case all');
    assert.deepEqual(violationsOf(dropping(null), restricted), [APP_DROP], 'no drop list');
  });

  it('judges every container list', () => {
    const pod = podReview({
      securityContext: { seccompProfile: { type: 'RuntimeDefault' } },
      initContainers: [{ name: 'setup', image: 'busybox' }],
      containers: [
        { name: 'app', image: 'nginx', securityContext: { capabilities: { drop: ['ALL'] } } },
      ],
      ephemeralContainers: [{ name: 'debugger', image: 'busybox' }],
    });
    assert.deepEqual(violationsOf(pod, restricted), [
      {
        rule: 'capabilitiesDropAll',
        subject: 'init container "setup"',
        field: 'spec.initContainers[0].securityContext.capabilities.drop',
      },
      {
        rule: 'capabilitiesDropAll',
        subject: 'ephemeral container "debugger"',
        field: 'spec.ephemeralContainers[0].securityContext.capabilities.drop',
      },
    ]);
  });

  it('is off under baseline unless configured', () => {
    assert.deepEqual(violationsOf(dropping([])), []);
    assert.deepEqual(
      violationsOf(dropping([]), policyOf({ rules: { capabilitiesDropAll: { enabled: true } } })),
      [APP_DROP],
    );
  });
});
