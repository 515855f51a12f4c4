import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { admissionReview, messageLines, pod, policy, validate } from '../../helpers.ts';

const dropping = (drop: unknown) =>
  admissionReview(
    pod({
      securityContext: { seccompProfile: { type: 'RuntimeDefault' } },
      containers: [{ name: 'app', image: 'nginx', securityContext: { capabilities: { drop } } }],
    }),
  );

describe('rule capabilitiesDropAll', () => {
  const restricted = policy({ preset: 'restricted' });

  it('is on under restricted: a container must drop exactly ALL', () => {
    assert.equal(validate(dropping(['ALL']), restricted).response.allowed, true);
    assert.deepEqual(
      messageLines(validate(dropping(['NET_RAW', 'SYS_ADMIN']), restricted).response),
      [
        '- container "app": does not drop ALL capabilities. Fix: add "ALL" to spec.containers[0].securityContext.capabilities.drop',
      ],
    );
    assert.equal(
      validate(dropping(['all']), restricted).response.allowed,
      false,
      'lower-case all is not ALL',
    );
    assert.equal(validate(dropping(null), restricted).response.allowed, false);
  });

  it('is off under baseline unless configured', () => {
    assert.equal(validate(dropping([])).response.allowed, true);
    assert.equal(
      validate(dropping([]), policy({ rules: { capabilitiesDropAll: { enabled: true } } })).response
        .allowed,
      false,
    );
  });
});
