import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ephemeralUpdate, podReview, policyOf, violationsOf } from '../policy-helpers.ts';

const withProfile = (name: string) =>
  podReview({
    securityContext: { seccompProfile: { type: 'Localhost', localhostProfile: name } },
    containers: [{ name: 'app', image: 'nginx' }],
  });

const POD_PROFILE = {
  rule: 'seccompLocalhostAllowlist',
  subject: 'pod',
  field: 'spec.securityContext.seccompProfile.localhostProfile',
};

describe('rule seccompLocalhostAllowlist', () => {
  const p = policyOf({
    rules: { seccompLocalhostAllowlist: { profiles: ['profiles/*.json', 'vendor/**'] } },
  });

  it('allows profiles matching a glob', () => {
    assert.deepEqual(violationsOf(withProfile('profiles/nginx.json'), p), []);
    assert.deepEqual(violationsOf(withProfile('vendor/acme/strict.json'), p), []);
  });

  it('refuses profiles outside the list; * does not cross a slash', () => {
    assert.deepEqual(violationsOf(withProfile('profiles/sub/nginx.json'), p), [POD_PROFILE]);
    assert.deepEqual(violationsOf(withProfile('other/nginx.json'), p), [POD_PROFILE]);
  });

  it('refuses a name that is not a clean relative path, even where a glob matches it', () => {
    for (const name of ['vendor//strict.json', 'vendor/./strict.json', 'vendor/../x.json']) {
      assert.deepEqual(violationsOf(withProfile(name), p), [POD_PROFILE], name);
    }
  });

  it('judges container-level profiles too', () => {
    const pod = podReview({
      containers: [
        {
          name: 'app',
          image: 'nginx',
          securityContext: {
            seccompProfile: { type: 'Localhost', localhostProfile: 'anything.json' },
          },
        },
      ],
    });
    assert.deepEqual(violationsOf(pod, p), [
      {
        rule: 'seccompLocalhostAllowlist',
        subject: 'container "app"',
        field: 'spec.containers[0].securityContext.seccompProfile.localhostProfile',
      },
    ]);
  });

  it('judges a new ephemeral container by the pod-level profile it inherits', () => {
    const pod = podReview({
      securityContext: { seccompProfile: { type: 'Localhost', localhostProfile: 'old.json' } },
      containers: [{ name: 'app', image: 'nginx' }],
      ephemeralContainers: [{ name: 'debugger', image: 'busybox' }],
    });
    assert.deepEqual(violationsOf(ephemeralUpdate(pod, 'debugger'), p), [
      { ...POD_PROFILE, subject: 'ephemeral container "debugger"' },
    ]);
  });

  it('allows any Localhost profile when no list is configured', () => {
    assert.deepEqual(violationsOf(withProfile('whatever/permissive.json')), []);
  });
});
