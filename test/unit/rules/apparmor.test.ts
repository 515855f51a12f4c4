import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { admissionReview, messageLines, pod, validate } from '../../helpers.ts';

const seccomp = { seccompProfile: { type: 'RuntimeDefault' } };

describe('rule appArmor', () => {
  it('refuses an Unconfined AppArmor field at pod and container level', () => {
    const review = admissionReview(
      pod({
        securityContext: { ...seccomp, appArmorProfile: { type: 'Unconfined' } },
        containers: [
          {
            name: 'app',
            image: 'nginx',
            securityContext: { appArmorProfile: { type: 'Unconfined' } },
          },
        ],
      }),
    );
    assert.deepEqual(messageLines(validate(review).response), [
      '- pod: sets AppArmor profile Unconfined. Fix: set spec.securityContext.appArmorProfile.type: RuntimeDefault',
      '- container "app": sets AppArmor profile Unconfined. Fix: set spec.containers[0].securityContext.appArmorProfile.type: RuntimeDefault',
    ]);
  });

  it('refuses the legacy annotation unconfined and allows localhost/ and runtime/default', () => {
    const review = (value: string) =>
      admissionReview(
        pod(
          { securityContext: seccomp, containers: [{ name: 'app', image: 'nginx' }] },
          { annotations: { 'container.apparmor.security.beta.kubernetes.io/app': value } },
        ),
      );
    assert.deepEqual(messageLines(validate(review('unconfined')).response), [
      '- container "app": is AppArmor-unconfined by annotation metadata.annotations["container.apparmor.security.beta.kubernetes.io/app"]. Fix: remove that annotation and set spec.containers[0].securityContext.appArmorProfile.type: RuntimeDefault',
    ]);
    assert.equal(validate(review('localhost/k8s-nginx')).response.allowed, true);
    assert.equal(validate(review('runtime/default')).response.allowed, true);
  });
});
