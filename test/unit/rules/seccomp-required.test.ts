import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { admissionReview, messageLines, pod, policy, validate } from '../../helpers.ts';

describe('rule seccompRequired', () => {
  it('refuses every container without an effective profile, init and regular, with a pod-level fix', () => {
    const { response } = validate(
      admissionReview(
        pod({
          initContainers: [{ name: 'setup', image: 'busybox' }],
          containers: [{ name: 'app', image: 'nginx' }],
        }),
      ),
    );
    assert.deepEqual(messageLines(response), [
      '- init container "setup": has no seccomp profile. Fix: set spec.securityContext.seccompProfile.type: RuntimeDefault',
      '- container "app": has no seccomp profile. Fix: set spec.securityContext.seccompProfile.type: RuntimeDefault',
    ]);
    assert.equal(
      response.status?.message.split('\n')[0],
      'runtime-guard: Pod "web" in namespace "team-a" violates the baseline policy (mode: enforce), 2 violations:',
    );
    assert.equal(response.status?.code, 403);
  });

  it('accepts a container profile in place of the pod profile, and judges each container alone', () => {
    const { response } = validate(
      admissionReview(
        pod({
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
        }),
      ),
    );
    assert.deepEqual(messageLines(response), [
      '- container "logger": has no seccomp profile. Fix: set spec.securityContext.seccompProfile.type: RuntimeDefault',
    ]);
  });

  it('allows RuntimeDefault and Localhost at the pod level', () => {
    for (const profile of [
      { type: 'RuntimeDefault' },
      { type: 'Localhost', localhostProfile: 'p.json' },
    ]) {
      const { response } = validate(
        admissionReview(
          pod({
            securityContext: { seccompProfile: profile },
            containers: [{ name: 'app', image: 'nginx' }],
          }),
        ),
      );
      assert.equal(response.allowed, true, JSON.stringify(profile));
    }
  });

  it('refuses a profile type that is neither RuntimeDefault nor Localhost', () => {
    const { response } = validate(
      admissionReview(
        pod({
          containers: [
            {
              name: 'app',
              image: 'nginx',
              securityContext: { seccompProfile: { type: 'Permissive' } },
            },
          ],
        }),
      ),
    );
    assert.deepEqual(messageLines(response), [
      '- container "app": runs seccomp profile type "Permissive", which is not RuntimeDefault or Localhost. Fix: set spec.containers[0].securityContext.seccompProfile.type: RuntimeDefault',
    ]);
  });

  it('says that a legacy annotation is ignored', () => {
    const { response } = validate(
      admissionReview(
        pod(
          { containers: [{ name: 'app', image: 'nginx' }] },
          { annotations: { 'seccomp.security.alpha.kubernetes.io/pod': 'runtime/default' } },
        ),
      ),
    );
    assert.deepEqual(messageLines(response), [
      '- container "app": has no seccomp profile; its annotation metadata.annotations["seccomp.security.alpha.kubernetes.io/pod"]: runtime/default has been ignored since Kubernetes 1.27. Fix: set spec.securityContext.seccompProfile.type: RuntimeDefault',
    ]);
  });

  it('reports Unconfined itself when the seccompUnconfined rule is off', () => {
    const p = policy({ rules: { seccompUnconfined: { enabled: false } } });
    const { response } = validate(
      admissionReview(
        pod({
          securityContext: { seccompProfile: { type: 'Unconfined' } },
          containers: [{ name: 'app', image: 'nginx' }],
        }),
      ),
      p,
    );
    assert.deepEqual(messageLines(response), [
      '- container "app": runs seccomp profile type "Unconfined", which is not RuntimeDefault or Localhost. Fix: set spec.securityContext.seccompProfile.type: RuntimeDefault',
    ]);
  });

  it('can be turned off', () => {
    const p = policy({ rules: { seccompRequired: { enabled: false } } });
    assert.equal(
      validate(admissionReview(pod({ containers: [{ name: 'app', image: 'nginx' }] })), p).response
        .allowed,
      true,
    );
  });

  it('does not apply to Windows pods', () => {
    const { response } = validate(
      admissionReview(
        pod({ os: { name: 'windows' }, containers: [{ name: 'app', image: 'iis' }] }),
      ),
    );
    assert.equal(response.allowed, true);
  });
});
