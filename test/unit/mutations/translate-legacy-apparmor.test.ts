import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mutatePod } from '../../../src/policy/mutate.ts';
import { pod } from '../../helpers.ts';
import { policyOf, reviewOf } from '../policy-helpers.ts';

const APP = 'container.apparmor.security.beta.kubernetes.io/app';
const SIDE = 'container.apparmor.security.beta.kubernetes.io/side';

const object = pod(
  {
    securityContext: { seccompProfile: { type: 'RuntimeDefault' } },
    containers: [
      { name: 'app', image: 'nginx' },
      { name: 'side', image: 'envoy' },
    ],
  },
  { annotations: { [APP]: 'localhost/k8s-nginx', [SIDE]: 'runtime/default' } },
);

describe('mutation: legacy AppArmor annotations to fields', () => {
  it('is off by default', () => {
    assert.deepEqual(mutatePod(reviewOf(object), policyOf()).edits, []);
  });

  it('translates when enabled and removes the annotations', () => {
    const p = policyOf({ mutation: { legacyAppArmorAnnotations: { enabled: true } } });
    const result = mutatePod(reviewOf(object), p);
    const localhost = { type: 'Localhost', localhostProfile: 'k8s-nginx' };
    assert.deepEqual(result.edits, [
      {
        op: 'set',
        path: ['spec', 'containers', 0, 'securityContext', 'appArmorProfile'],
        value: localhost,
      },
      { op: 'remove', path: ['metadata', 'annotations', APP] },
      {
        op: 'set',
        path: ['spec', 'containers', 1, 'securityContext', 'appArmorProfile'],
        value: { type: 'RuntimeDefault' },
      },
      { op: 'remove', path: ['metadata', 'annotations', SIDE] },
    ]);
    assert.deepEqual(
      result.spec.containers.map((c) => c.securityContext),
      [{ appArmorProfile: localhost }, { appArmorProfile: { type: 'RuntimeDefault' } }],
    );
    assert.deepEqual(result.annotations, {});
  });

  it('keeps a field already set, and leaves annotations naming no container or no profile', () => {
    const p = policyOf({ mutation: { legacyAppArmorAnnotations: { enabled: true } } });
    const GHOST = 'container.apparmor.security.beta.kubernetes.io/ghost';
    const annotations = { [APP]: 'unconfined', [SIDE]: 'complain', [GHOST]: 'runtime/default' };
    const result = mutatePod(
      reviewOf(
        pod(
          {
            securityContext: { seccompProfile: { type: 'RuntimeDefault' } },
            containers: [
              {
                name: 'app',
                image: 'nginx',
                securityContext: { appArmorProfile: { type: 'RuntimeDefault' } },
              },
              { name: 'side', image: 'envoy' },
            ],
          },
          { annotations },
        ),
      ),
      p,
    );
    assert.deepEqual(result.edits, [{ op: 'remove', path: ['metadata', 'annotations', APP] }]);
    assert.deepEqual(result.spec.containers[0]?.securityContext, {
      appArmorProfile: { type: 'RuntimeDefault' },
    });
    assert.equal(result.spec.containers[1]?.securityContext, undefined);
    assert.deepEqual(result.annotations, { [SIDE]: 'complain', [GHOST]: 'runtime/default' });
    assert.equal(result.notes.length, 2, 'both left-alone annotations are reported');
  });
});
