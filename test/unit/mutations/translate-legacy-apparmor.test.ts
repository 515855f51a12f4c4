import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { admissionReview, mutate, patched, pod, policy, type Json } from '../../helpers.ts';

const object = pod(
  {
    securityContext: { seccompProfile: { type: 'RuntimeDefault' } },
    containers: [
      { name: 'app', image: 'nginx' },
      { name: 'side', image: 'envoy' },
    ],
  },
  {
    annotations: {
      'container.apparmor.security.beta.kubernetes.io/app': 'localhost/k8s-nginx',
      'container.apparmor.security.beta.kubernetes.io/side': 'runtime/default',
    },
  },
);

describe('mutation: legacy AppArmor annotations to fields', () => {
  it('is off by default', () => {
    assert.equal(mutate(admissionReview(object)).response.patch, undefined);
  });

  it('translates when enabled and removes the annotations', () => {
    const p = policy({ mutation: { legacyAppArmorAnnotations: { enabled: true } } });
    const result = patched(object, mutate(admissionReview(object), p).response) as {
      metadata: Json;
      spec: { containers: Json[] };
    };
    assert.deepEqual(
      result.spec.containers.map((c) => c.securityContext),
      [
        { appArmorProfile: { type: 'Localhost', localhostProfile: 'k8s-nginx' } },
        { appArmorProfile: { type: 'RuntimeDefault' } },
      ],
    );
    assert.deepEqual(result.metadata.annotations, {});
  });
});
