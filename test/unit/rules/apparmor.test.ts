import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ephemeralUpdate, podReview, violationsOf } from '../policy-helpers.ts';

const RD = { seccompProfile: { type: 'RuntimeDefault' } };
const UNCONFINED = { appArmorProfile: { type: 'Unconfined' } };

describe('rule appArmor', () => {
  it('refuses an Unconfined AppArmor field at pod and container level', () => {
    const pod = podReview({
      securityContext: { ...RD, ...UNCONFINED },
      containers: [{ name: 'app', image: 'nginx', securityContext: UNCONFINED }],
    });
    assert.deepEqual(violationsOf(pod), [
      { rule: 'appArmor', subject: 'pod', field: 'spec.securityContext.appArmorProfile.type' },
      {
        rule: 'appArmor',
        subject: 'container "app"',
        field: 'spec.containers[0].securityContext.appArmorProfile.type',
      },
    ]);
  });

  it('refuses the legacy annotation unconfined and allows localhost/ and runtime/default', () => {
    const annotated = (value: string) =>
      podReview(
        { securityContext: RD, containers: [{ name: 'app', image: 'nginx' }] },
        { 'container.apparmor.security.beta.kubernetes.io/app': value },
      );
    assert.deepEqual(violationsOf(annotated('unconfined')), [
      {
        rule: 'appArmor',
        subject: 'container "app"',
        field: 'metadata.annotations["container.apparmor.security.beta.kubernetes.io/app"]',
      },
    ]);
    assert.deepEqual(violationsOf(annotated('localhost/k8s-nginx')), []);
    assert.deepEqual(violationsOf(annotated('runtime/default')), []);
  });

  it('refuses a new ephemeral container that would inherit a pod-level Unconfined', () => {
    const pod = podReview({
      securityContext: { ...RD, ...UNCONFINED },
      containers: [{ name: 'app', image: 'nginx' }],
      ephemeralContainers: [{ name: 'debugger', image: 'busybox' }],
    });
    assert.deepEqual(violationsOf(ephemeralUpdate(pod, 'debugger')), [
      {
        rule: 'appArmor',
        subject: 'ephemeral container "debugger"',
        field: 'spec.securityContext.appArmorProfile.type',
      },
    ]);
  });

  it('does not apply to Windows pods', () => {
    const pod = podReview({
      os: { name: 'windows' },
      securityContext: UNCONFINED,
      containers: [{ name: 'app', image: 'iis' }],
    });
    assert.deepEqual(violationsOf(pod), []);
  });
});
