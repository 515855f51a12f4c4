import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ephemeralUpdate, podReview, policyOf, violationsOf } from '../policy-helpers.ts';

const POD_UNCONFINED = {
  rule: 'seccompUnconfined',
  subject: 'pod',
  field: 'spec.securityContext.seccompProfile.type',
};

describe('rule seccompUnconfined', () => {
  it('refuses a pod-level Unconfined even when every container overrides it', () => {
    const pod = podReview({
      securityContext: { seccompProfile: { type: 'Unconfined' } },
      containers: [
        {
          name: 'app',
          image: 'nginx',
          securityContext: { seccompProfile: { type: 'RuntimeDefault' } },
        },
      ],
    });
    assert.deepEqual(violationsOf(pod), [POD_UNCONFINED]);
  });

  it('refuses Unconfined on an init container and names it once', () => {
    const pod = podReview({
      securityContext: { seccompProfile: { type: 'RuntimeDefault' } },
      initContainers: [
        {
          name: 'setup',
          image: 'busybox',
          securityContext: { seccompProfile: { type: 'Unconfined' } },
        },
      ],
      containers: [{ name: 'app', image: 'nginx' }],
    });
    assert.deepEqual(violationsOf(pod), [
      {
        rule: 'seccompUnconfined',
        subject: 'init container "setup"',
        field: 'spec.initContainers[0].securityContext.seccompProfile.type',
      },
    ]);
  });

  it('does not also report the containers that inherit a pod-level Unconfined', () => {
    const pod = podReview({
      securityContext: { seccompProfile: { type: 'Unconfined' } },
      containers: [
        { name: 'a', image: 'x' },
        { name: 'b', image: 'x' },
      ],
    });
    assert.deepEqual(violationsOf(pod), [POD_UNCONFINED]);
  });

  it('refuses a new ephemeral container that would inherit a pod-level Unconfined', () => {
    const pod = podReview({
      securityContext: { seccompProfile: { type: 'Unconfined' } },
      containers: [{ name: 'app', image: 'nginx' }],
      ephemeralContainers: [
        { name: 'old', image: 'busybox' },
        { name: 'debugger', image: 'busybox' },
      ],
    });
    assert.deepEqual(violationsOf(ephemeralUpdate(pod, 'debugger')), [
      { ...POD_UNCONFINED, subject: 'ephemeral container "debugger"' },
    ]);
  });

  it('can be turned off (seccompRequired then judges the profile)', () => {
    const pod = podReview({
      securityContext: { seccompProfile: { type: 'Unconfined' } },
      containers: [
        {
          name: 'app',
          image: 'nginx',
          securityContext: { seccompProfile: { type: 'RuntimeDefault' } },
        },
      ],
    });
    assert.deepEqual(
      violationsOf(pod, policyOf({ rules: { seccompUnconfined: { enabled: false } } })),
      [],
    );
  });
});
