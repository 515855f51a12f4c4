import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { podReview, policyOf, violationsOf } from '../policy-helpers.ts';

type ContainerList = 'initContainers' | 'containers' | 'ephemeralContainers';

/** A pod whose one container in `list` (`other`, or `app` for the regular list) adds `add`. */
const adding = (add: unknown[], list: ContainerList = 'containers') =>
  podReview({
    securityContext: { seccompProfile: { type: 'RuntimeDefault' } },
    containers: [{ name: 'app', image: 'nginx' }],
    [list]: [
      {
        name: list === 'containers' ? 'app' : 'other',
        image: 'nginx',
        securityContext: { capabilities: { add, drop: ['ALL'] } },
      },
    ],
  });

/** The violations at `spec.containers[0]…add[i]` for each index. */
const atIndexes = (...indexes: number[]) =>
  indexes.map((i) => ({
    rule: 'capabilitiesAdded',
    subject: 'container "app"',
    field: `spec.containers[0].securityContext.capabilities.add[${i}]`,
  }));

describe('rule capabilitiesAdded', () => {
  it('refuses SYS_ADMIN in every spelling a runtime accepts', () => {
    for (const spelling of [
      'SYS_ADMIN',
      'sys_admin',
      'CAP_SYS_ADMIN',
      'cap_sys_admin',
      ' Sys_Admin ',
    ]) {
      assert.deepEqual(violationsOf(adding([spelling])), atIndexes(0), spelling);
    }
  });

  it('refuses a forbidden, a forbidden one misspelt, an unknown name and ALL, each at its index', () => {
    assert.deepEqual(
      violationsOf(adding(['NET_ADMIN', 'cap_net_raw', 'NOT_A_CAP', 'ALL'])),
      atIndexes(0, 1, 2, 3),
    );
  });

  it('lists a long add list in index order (add[2] before add[10])', () => {
    const names = Array.from({ length: 12 }, (_, i) => `MADE_UP_${i}`);
    assert.deepEqual(violationsOf(adding(names)), atIndexes(...names.map((_, i) => i)));
  });

  it('refuses all in lower case as ALL', () => {
    assert.deepEqual(violationsOf(adding(['all'])), atIndexes(0));
  });

  it('allows the baseline list in canonical spelling and asks for it otherwise', () => {
    // Pod Security Standards, baseline: written out here, not read from the code under test.
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
    assert.deepEqual(violationsOf(adding(baseline)), []);
    assert.deepEqual(violationsOf(adding(['chown'])), atIndexes(0));
    assert.deepEqual(violationsOf(adding(['CHOWN', 'CAP_CHOWN'])), atIndexes(1));
  });

  it('allows only NET_BIND_SERVICE under restricted', () => {
    const restricted = policyOf({ preset: 'restricted' });
    assert.deepEqual(violationsOf(adding(['NET_BIND_SERVICE']), restricted), []);
    assert.deepEqual(violationsOf(adding(['CHOWN']), restricted), atIndexes(0));
  });

  it('judges init and ephemeral containers', () => {
    assert.deepEqual(violationsOf(adding(['SYS_PTRACE'], 'initContainers')), [
      {
        rule: 'capabilitiesAdded',
        subject: 'init container "other"',
        field: 'spec.initContainers[0].securityContext.capabilities.add[0]',
      },
    ]);
    assert.deepEqual(violationsOf(adding(['SYS_PTRACE'], 'ephemeralContainers')), [
      {
        rule: 'capabilitiesAdded',
        subject: 'ephemeral container "other"',
        field: 'spec.ephemeralContainers[0].securityContext.capabilities.add[0]',
      },
    ]);
  });

  it('takes a configured allowed list, normalised', () => {
    const p = policyOf({ rules: { capabilitiesAdded: { allowed: ['cap_net_admin'] } } });
    assert.deepEqual(violationsOf(adding(['NET_ADMIN']), p), []);
    assert.deepEqual(violationsOf(adding(['CHOWN']), p), atIndexes(0));
  });

  it('does not apply to Windows pods', () => {
    const pod = podReview({
      os: { name: 'windows' },
      containers: [
        { name: 'app', image: 'iis', securityContext: { capabilities: { add: ['SYS_ADMIN'] } } },
      ],
    });
    assert.deepEqual(violationsOf(pod), []);
  });
});
