import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ephemeralUpdate, podReview, policyOf, violationsOf } from '../policy-helpers.ts';

const RD = { seccompProfile: { type: 'RuntimeDefault' } };
const HOST_PROCESS = { windowsOptions: { hostProcess: true } };

describe('rule privileged', () => {
  it('refuses privileged: true on any container list', () => {
    const pod = podReview({
      securityContext: RD,
      initContainers: [{ name: 'setup', image: 'busybox', securityContext: { privileged: true } }],
      containers: [{ name: 'app', image: 'nginx', securityContext: { privileged: false } }],
      ephemeralContainers: [
        { name: 'debugger', image: 'busybox', securityContext: { privileged: true } },
      ],
    });
    assert.deepEqual(violationsOf(pod), [
      {
        rule: 'privileged',
        subject: 'init container "setup"',
        field: 'spec.initContainers[0].securityContext.privileged',
      },
      {
        rule: 'privileged',
        subject: 'ephemeral container "debugger"',
        field: 'spec.ephemeralContainers[0].securityContext.privileged',
      },
    ]);
  });

  it('refuses HostProcess on the pod and on a container, Windows pods included', () => {
    for (const os of [{ name: 'windows' }, undefined]) {
      const pod = podReview({
        ...(os ? { os } : {}),
        securityContext: { ...RD, ...HOST_PROCESS },
        containers: [{ name: 'app', image: 'iis', securityContext: HOST_PROCESS }],
      });
      assert.deepEqual(
        violationsOf(pod),
        [
          {
            rule: 'privileged',
            subject: 'pod',
            field: 'spec.securityContext.windowsOptions.hostProcess',
          },
          {
            rule: 'privileged',
            subject: 'container "app"',
            field: 'spec.containers[0].securityContext.windowsOptions.hostProcess',
          },
        ],
        `os: ${JSON.stringify(os)}`,
      );
    }
  });

  it('refuses a new ephemeral container that inherits a pod-level HostProcess, unless it opts out', () => {
    const pod = podReview({
      os: { name: 'windows' },
      securityContext: HOST_PROCESS,
      containers: [{ name: 'app', image: 'iis' }],
      ephemeralContainers: [
        { name: 'debugger', image: 'busybox' },
        {
          name: 'opted-out',
          image: 'busybox',
          securityContext: { windowsOptions: { hostProcess: false } },
        },
      ],
    });
    assert.deepEqual(violationsOf(ephemeralUpdate(pod, 'debugger', 'opted-out')), [
      {
        rule: 'privileged',
        subject: 'ephemeral container "debugger"',
        field: 'spec.securityContext.windowsOptions.hostProcess',
      },
    ]);
  });

  it('leaves privileged: true on a Windows pod alone (Windows has no privileged containers)', () => {
    const pod = podReview({
      os: { name: 'windows' },
      containers: [{ name: 'app', image: 'iis', securityContext: { privileged: true } }],
    });
    assert.deepEqual(violationsOf(pod), []);
  });

  it('can be turned off', () => {
    const pod = podReview({
      securityContext: RD,
      containers: [{ name: 'app', image: 'x', securityContext: { privileged: true } }],
    });
    assert.deepEqual(
      violationsOf(pod, policyOf({ rules: { privileged: { enabled: false } } })),
      [],
    );
  });
});
