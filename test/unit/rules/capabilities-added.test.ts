import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { admissionReview, messageLines, pod, policy, validate } from '../../helpers.ts';

const adding = (add: unknown[], list = 'containers') =>
  admissionReview(
    pod({
      securityContext: { seccompProfile: { type: 'RuntimeDefault' } },
      containers: [{ name: 'app', image: 'nginx' }],
      [list]: [
        {
          name: list === 'containers' ? 'app' : 'other',
          image: 'nginx',
          securityContext: { capabilities: { add, drop: ['ALL'] } },
        },
      ],
    }),
  );

describe('rule capabilitiesAdded', () => {
  it('refuses SYS_ADMIN in every spelling a runtime accepts', () => {
    for (const spelling of [
      'SYS_ADMIN',
      'sys_admin',
      'CAP_SYS_ADMIN',
      'cap_sys_admin',
      ' Sys_Admin ',
    ]) {
      const lines = messageLines(validate(adding([spelling])).response);
      assert.equal(lines.length, 1, spelling);
      assert.match(
        lines[0] as string,
        /adds capability .*SYS_ADMIN.*, which the baseline policy does not allow/,
        spelling,
      );
    }
  });

  it('gives golden messages for a forbidden, an unknown and ALL', () => {
    assert.deepEqual(
      messageLines(validate(adding(['NET_ADMIN', 'cap_net_raw', 'NOT_A_CAP', 'ALL'])).response),
      [
        '- container "app": adds capability NET_ADMIN, which the baseline policy does not allow. Fix: remove "NET_ADMIN" from spec.containers[0].securityContext.capabilities.add',
        '- container "app": adds capability "cap_net_raw" (NET_RAW), which the baseline policy does not allow. Fix: remove "cap_net_raw" from spec.containers[0].securityContext.capabilities.add',
        '- container "app": adds "NOT_A_CAP", which is not a Linux capability. Fix: remove "NOT_A_CAP" from spec.containers[0].securityContext.capabilities.add',
        '- container "app": adds ALL: every Linux capability. Fix: remove "ALL" from spec.containers[0].securityContext.capabilities.add',
      ],
    );
  });

  it('refuses all in lower case as ALL', () => {
    assert.match(
      messageLines(validate(adding(['all'])).response)[0] as string,
      /adds "all" \(ALL\): every Linux capability/,
    );
  });

  it('allows the baseline list in canonical spelling and asks for it otherwise', () => {
    const baseline = [
      'AUDIT_WRITE',
      'CHOWN',
      'DAC_OVERRIDE',
      'FOWNER',
      'FSETID',
      'KILL',
      'MKNOD',
      'NET_BIND_SERVICE',
      'SETFCAP',
      'SETGID',
      'SETPCAP',
      'SETUID',
      'SYS_CHROOT',
    ];
    assert.equal(validate(adding(baseline)).response.allowed, true);
    assert.deepEqual(messageLines(validate(adding(['chown'])).response), [
      '- container "app": spells capability "chown" in a form Kubernetes does not document. Fix: write CHOWN at spec.containers[0].securityContext.capabilities.add[0]',
    ]);
  });

  it('allows only NET_BIND_SERVICE under restricted', () => {
    const restricted = policy({ preset: 'restricted' });
    assert.equal(validate(adding(['NET_BIND_SERVICE']), restricted).response.allowed, true);
    assert.deepEqual(messageLines(validate(adding(['CHOWN']), restricted).response), [
      '- container "app": adds capability CHOWN, which the restricted policy does not allow. Fix: remove "CHOWN" from spec.containers[0].securityContext.capabilities.add',
    ]);
  });

  it('judges init and ephemeral containers', () => {
    assert.match(
      messageLines(validate(adding(['SYS_PTRACE'], 'initContainers')).response)[0] as string,
      /^- init container "other": adds capability SYS_PTRACE/,
    );
    assert.match(
      messageLines(validate(adding(['SYS_PTRACE'], 'ephemeralContainers')).response)[0] as string,
      /^- ephemeral container "other": adds capability SYS_PTRACE/,
    );
  });

  it('takes a configured allowed list, normalised', () => {
    const p = policy({ rules: { capabilitiesAdded: { allowed: ['cap_net_admin'] } } });
    assert.equal(validate(adding(['NET_ADMIN']), p).response.allowed, true);
    assert.equal(validate(adding(['CHOWN']), p).response.allowed, false);
  });
});
