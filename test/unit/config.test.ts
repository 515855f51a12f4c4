import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, defaultReviewConfig, parseConfigText } from '../../src/config/load-config.ts';

const problems = (text: string) => {
  try {
    parseConfigText(text, 'policy.yaml');
  } catch (error) {
    assert.ok(error instanceof ConfigError);
    return error.message;
  }
  return assert.fail('expected a ConfigError');
};

describe('configuration', () => {
  it('defaults to baseline and enforce with every rule on but drop ALL', () => {
    const { policy: p, admission } = defaultReviewConfig();
    assert.equal(p.preset, 'baseline');
    assert.equal(admission.mode, 'enforce');
    assert.equal(p.rules.capabilitiesDropAll, false);
    assert.equal(
      p.rules.seccompRequired &&
        p.rules.seccompUnconfined &&
        p.rules.privileged &&
        p.rules.appArmor,
      true,
    );
    assert.equal(p.rules.capabilitiesAdded.allowed.size, 13);
    assert.deepEqual(p.mutation.dropCapabilities.drop, []);
    assert.equal(p.mutation.legacyAppArmorAnnotations.enabled, false);
  });

  it('the restricted preset turns on drop ALL and narrows added capabilities', () => {
    const { policy } = parseConfigText('preset: restricted\n', 'policy.yaml');
    assert.equal(policy.rules.capabilitiesDropAll, true);
    assert.deepEqual([...policy.rules.capabilitiesAdded.allowed], ['NET_BIND_SERVICE']);
    assert.deepEqual(policy.mutation.dropCapabilities.drop, ['ALL']);
  });

  it('reads a full file', () => {
    const { policy, admission, server } = parseConfigText(
      `preset: restricted
mode: warn
rules:
  seccompLocalhostAllowlist: { profiles: ["profiles/*.json"] }
  capabilitiesAdded: { allowed: [NET_BIND_SERVICE, cap_net_raw] }
  appArmor: { enabled: false }
mutation:
  legacyAppArmorAnnotations: { enabled: true }
  defaultSeccompProfile: { profile: { type: Localhost, localhostProfile: default.json } }
exemptions:
  namespaces: [kube-system]
extraKinds:
  - { group: argoproj.io, kind: Rollout, podTemplatePath: spec.template }
server:
  port: 9443
`,
      'policy.yaml',
    );
    assert.equal(admission.mode, 'warn');
    assert.deepEqual([...policy.rules.capabilitiesAdded.allowed], ['NET_BIND_SERVICE', 'NET_RAW']);
    assert.equal(policy.rules.appArmor, false);
    assert.ok(policy.rules.seccompLocalhostAllowlist.matchers[0]?.test('profiles/a.json'));
    assert.deepEqual(policy.mutation.defaultSeccompProfile.profile, {
      type: 'Localhost',
      localhostProfile: 'default.json',
    });
    assert.deepEqual(admission.extraKinds.get('argoproj.io/Rollout'), {
      templatePath: ['spec', 'template'],
    });
    assert.equal(server.port, 9443);
  });

  it('names the path and the problem of each mistake', () => {
    assert.equal(
      problems(
        'preset: strict\nrules:\n  capabilitiesAdded: { allowed: [NET_BIND_SERVICE, SYS_FOO] }\n  seccompRequird: { enabled: true }\n',
      ),
      `invalid configuration in policy.yaml:
  - preset: Invalid option: expected one of "baseline"|"restricted"
  - rules.capabilitiesAdded.allowed[1]: "SYS_FOO" is not a Linux capability (write names like NET_BIND_SERVICE)
  - rules: Unrecognized key: "seccompRequird"`,
    );
    assert.match(problems('mode: [enforce]\n'), /- mode: Invalid option/);
    assert.match(
      problems('mutation:\n  defaultSeccompProfile:\n    profile: { type: Localhost }\n'),
      /mutation\.defaultSeccompProfile\.profile\.localhostProfile: /,
    );
    assert.match(
      problems('extraKinds:\n  - { group: x, kind: Y, podTemplatePath: "spec/template" }\n'),
      /extraKinds\[0\]\.podTemplatePath: must be a dotted field path/,
    );
  });

  it('refuses YAML that does not parse or is not a mapping', () => {
    assert.match(
      problems('preset: [baseline\n'),
      /^invalid configuration in policy.yaml:\n {2}- not valid YAML: /,
    );
    assert.equal(
      problems('- a\n- b\n'),
      'invalid configuration in policy.yaml:\n  - (top level): expected a mapping of options',
    );
  });

  it('an empty file means all defaults', () => {
    assert.equal(parseConfigText('', 'empty.yaml').policy.preset, 'baseline');
  });
});
