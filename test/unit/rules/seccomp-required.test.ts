import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { evaluatePod } from '../../../src/policy/registry.ts';
import { ephemeralUpdate, podReview, policyOf, violationsOf } from '../policy-helpers.ts';

describe('rule seccompRequired', () => {
  it('refuses every container without an effective profile, init and regular, in container order', () => {
    const pod = podReview({
      initContainers: [{ name: 'setup', image: 'busybox' }],
      containers: [{ name: 'app', image: 'nginx' }],
    });
    assert.deepEqual(
      evaluatePod(pod, policyOf()).map(({ rule, subject, order, field }) => ({
        rule,
        subject,
        order,
        field,
      })),
      [
        {
          rule: 'seccompRequired',
          subject: 'init container "setup"',
          order: 1,
          field: 'spec.initContainers[0].securityContext.seccompProfile',
        },
        {
          rule: 'seccompRequired',
          subject: 'container "app"',
          order: 2,
          field: 'spec.containers[0].securityContext.seccompProfile',
        },
      ],
    );
  });

  it('accepts a container profile in place of the pod profile, and judges each container alone', () => {
    const pod = podReview({
      containers: [
        {
          name: 'app',
          image: 'nginx',
          securityContext: { seccompProfile: { type: 'RuntimeDefault' } },
        },
        {
          name: 'sidecar',
          image: 'envoy',
          securityContext: {
            seccompProfile: { type: 'Localhost', localhostProfile: 'envoy.json' },
          },
        },
        { name: 'logger', image: 'fluent-bit' },
      ],
    });
    assert.deepEqual(violationsOf(pod), [
      {
        rule: 'seccompRequired',
        subject: 'container "logger"',
        field: 'spec.containers[2].securityContext.seccompProfile',
      },
    ]);
  });

  it('allows RuntimeDefault and Localhost at the pod level', () => {
    for (const profile of [
      { type: 'RuntimeDefault' },
      { type: 'Localhost', localhostProfile: 'p.json' },
    ]) {
      const pod = podReview({
        securityContext: { seccompProfile: profile },
        containers: [{ name: 'app', image: 'nginx' }],
      });
      assert.deepEqual(violationsOf(pod), [], JSON.stringify(profile));
    }
  });

  it('refuses a profile type that is neither RuntimeDefault nor Localhost, at its type', () => {
    const pod = podReview({
      containers: [
        {
          name: 'app',
          image: 'nginx',
          securityContext: { seccompProfile: { type: 'Permissive' } },
        },
      ],
    });
    assert.deepEqual(violationsOf(pod), [
      {
        rule: 'seccompRequired',
        subject: 'container "app"',
        field: 'spec.containers[0].securityContext.seccompProfile.type',
      },
    ]);
  });

  it('does not count the legacy annotations, for the pod or for a container', () => {
    const legacy: Record<string, string>[] = [
      { 'seccomp.security.alpha.kubernetes.io/pod': 'runtime/default' },
      { 'container.seccomp.security.alpha.kubernetes.io/app': 'localhost/profiles/app.json' },
    ];
    for (const annotations of legacy) {
      const pod = podReview({ containers: [{ name: 'app', image: 'nginx' }] }, annotations);
      assert.deepEqual(
        violationsOf(pod),
        [
          {
            rule: 'seccompRequired',
            subject: 'container "app"',
            field: 'spec.containers[0].securityContext.seccompProfile',
          },
        ],
        JSON.stringify(annotations),
      );
    }
  });

  it('leaves Unconfined to seccompUnconfined, and reports it itself when that rule is off', () => {
    const pod = podReview({
      securityContext: { seccompProfile: { type: 'Unconfined' } },
      containers: [{ name: 'app', image: 'nginx' }],
    });
    assert.deepEqual(violationsOf(pod), [
      {
        rule: 'seccompUnconfined',
        subject: 'pod',
        field: 'spec.securityContext.seccompProfile.type',
      },
    ]);
    assert.deepEqual(
      violationsOf(pod, policyOf({ rules: { seccompUnconfined: { enabled: false } } })),
      [
        {
          rule: 'seccompRequired',
          subject: 'container "app"',
          field: 'spec.securityContext.seccompProfile.type',
        },
      ],
    );
  });

  it('judges a new ephemeral container by the profile it will run with, at its own field', () => {
    const pod = podReview({
      containers: [{ name: 'app', image: 'nginx' }],
      ephemeralContainers: [{ name: 'debugger', image: 'busybox' }],
    });
    assert.deepEqual(violationsOf(ephemeralUpdate(pod, 'debugger')), [
      {
        rule: 'seccompRequired',
        subject: 'ephemeral container "debugger"',
        field: 'spec.ephemeralContainers[0].securityContext.seccompProfile',
      },
    ]);
    const confined = podReview({
      securityContext: { seccompProfile: { type: 'RuntimeDefault' } },
      containers: [{ name: 'app', image: 'nginx' }],
      ephemeralContainers: [{ name: 'debugger', image: 'busybox' }],
    });
    assert.deepEqual(violationsOf(ephemeralUpdate(confined, 'debugger')), []);
  });

  it('can be turned off', () => {
    const pod = podReview({ containers: [{ name: 'app', image: 'nginx' }] });
    assert.deepEqual(
      violationsOf(pod, policyOf({ rules: { seccompRequired: { enabled: false } } })),
      [],
    );
  });

  it('does not apply to Windows pods', () => {
    const pod = podReview({ os: { name: 'windows' }, containers: [{ name: 'app', image: 'iis' }] });
    assert.deepEqual(violationsOf(pod), []);
  });
});
