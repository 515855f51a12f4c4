import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { admissionReview, messageLines, pod, validate } from '../../helpers.ts';

describe('rule seccompUnconfined', () => {
  it('refuses a pod-level Unconfined even when every container overrides it', () => {
    const { response } = validate(
      admissionReview(
        pod({
          securityContext: { seccompProfile: { type: 'Unconfined' } },
          containers: [
            {
              name: 'app',
              image: 'nginx',
              securityContext: { seccompProfile: { type: 'RuntimeDefault' } },
            },
          ],
        }),
      ),
    );
    assert.deepEqual(messageLines(response), [
      '- pod: sets seccomp profile Unconfined (no syscall filtering). Fix: set spec.securityContext.seccompProfile.type: RuntimeDefault',
    ]);
  });

  it('refuses Unconfined on an init container and names it once', () => {
    const { response } = validate(
      admissionReview(
        pod({
          securityContext: { seccompProfile: { type: 'RuntimeDefault' } },
          initContainers: [
            {
              name: 'setup',
              image: 'busybox',
              securityContext: { seccompProfile: { type: 'Unconfined' } },
            },
          ],
          containers: [{ name: 'app', image: 'nginx' }],
        }),
      ),
    );
    assert.deepEqual(messageLines(response), [
      '- init container "setup": sets seccomp profile Unconfined (no syscall filtering). Fix: set spec.initContainers[0].securityContext.seccompProfile.type: RuntimeDefault',
    ]);
  });

  it('does not also report the containers that inherit a pod-level Unconfined', () => {
    const { response } = validate(
      admissionReview(
        pod({
          securityContext: { seccompProfile: { type: 'Unconfined' } },
          containers: [
            { name: 'a', image: 'x' },
            { name: 'b', image: 'x' },
          ],
        }),
      ),
    );
    assert.equal(messageLines(response).length, 1);
    assert.deepEqual(
      response.auditAnnotations?.violations,
      'seccompUnconfined@spec.securityContext.seccompProfile.type',
    );
  });
});
