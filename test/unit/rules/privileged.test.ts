import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { admissionReview, messageLines, pod, policy, validate } from '../../helpers.ts';

describe('rule privileged', () => {
  it('refuses privileged: true on any container list', () => {
    const review = admissionReview(
      pod({
        securityContext: { seccompProfile: { type: 'RuntimeDefault' } },
        initContainers: [
          { name: 'setup', image: 'busybox', securityContext: { privileged: true } },
        ],
        containers: [{ name: 'app', image: 'nginx', securityContext: { privileged: false } }],
      }),
    );
    assert.deepEqual(messageLines(validate(review).response), [
      '- init container "setup": runs privileged (all capabilities, host devices, no seccomp). Fix: set spec.initContainers[0].securityContext.privileged: false',
    ]);
  });

  it('can be turned off', () => {
    const review = admissionReview(
      pod({
        securityContext: { seccompProfile: { type: 'RuntimeDefault' } },
        containers: [{ name: 'app', image: 'x', securityContext: { privileged: true } }],
      }),
    );
    assert.equal(
      validate(review, policy({ rules: { privileged: { enabled: false } } })).response.allowed,
      true,
    );
  });
});
