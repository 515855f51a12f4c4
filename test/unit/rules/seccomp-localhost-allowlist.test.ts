import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { admissionReview, messageLines, pod, policy, validate } from '../../helpers.ts';

const withProfile = (name: string) =>
  admissionReview(
    pod({
      securityContext: { seccompProfile: { type: 'Localhost', localhostProfile: name } },
      containers: [{ name: 'app', image: 'nginx' }],
    }),
  );

describe('rule seccompLocalhostAllowlist', () => {
  const p = policy({
    rules: { seccompLocalhostAllowlist: { profiles: ['profiles/*.json', 'vendor/**'] } },
  });

  it('allows profiles matching a glob', () => {
    assert.equal(validate(withProfile('profiles/nginx.json'), p).response.allowed, true);
    assert.equal(validate(withProfile('vendor/acme/strict.json'), p).response.allowed, true);
  });

  it('refuses profiles outside the list; * does not cross a slash', () => {
    assert.deepEqual(messageLines(validate(withProfile('profiles/sub/nginx.json'), p).response), [
      '- pod: uses Localhost seccomp profile "profiles/sub/nginx.json", which is not in the allowed list (profiles/*.json, vendor/**). Fix: set spec.securityContext.seccompProfile.localhostProfile to an allowed profile, or spec.securityContext.seccompProfile.type: RuntimeDefault',
    ]);
  });

  it('judges container-level profiles too', () => {
    const review = admissionReview(
      pod({
        containers: [
          {
            name: 'app',
            image: 'nginx',
            securityContext: {
              seccompProfile: { type: 'Localhost', localhostProfile: 'anything.json' },
            },
          },
        ],
      }),
    );
    assert.equal(messageLines(validate(review, p).response).length, 1);
  });

  it('allows any Localhost profile when no list is configured', () => {
    assert.equal(validate(withProfile('whatever/permissive.json')).response.allowed, true);
  });
});
