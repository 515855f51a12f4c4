/**
 * Conformance with Pod Security Admission's own fixtures (../shared/conformance/psa, beside the
 * project): each fixture Pod is wrapped in an AdmissionReview and judged with the preset of its
 * level. For the checks we share with PSA (capabilities, seccomp, privileged, AppArmor), PSA's
 * "fail" must be our denial *by the matching rule*, and PSA's "pass" our admission, except where
 * runtime-guard is deliberately stricter (listed below with the reason).
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import type { RuleId } from '../../src/policy/policy.ts';
import { admissionReview, mutate, patched, policy, validate, type Json } from '../helpers.ts';

const FIXTURES = resolve(
  dirname(fileURLToPath(import.meta.url)),
  '..',
  '..',
  '..',
  'shared',
  'conformance',
  'psa',
);

interface Fixture {
  file: string;
  level: 'baseline' | 'restricted';
  version: string;
  verdict: 'pass' | 'fail';
  check: string;
  pod: Json;
}

function loadFixtures(): Fixture[] {
  const fixtures: Fixture[] = [];
  for (const level of readdirSync(FIXTURES)) {
    if (level !== 'baseline' && level !== 'restricted') continue;
    for (const version of readdirSync(join(FIXTURES, level))) {
      for (const verdict of ['pass', 'fail'] as const) {
        const dir = join(FIXTURES, level, version, verdict);
        if (!existsSync(dir)) continue;
        for (const file of readdirSync(dir)
          .filter((f) => f.endsWith('.yaml'))
          .sort()) {
          const check = file.replace(/\d*\.yaml$/, '');
          fixtures.push({
            file: `${level}/${version}/${verdict}/${file}`,
            level,
            version,
            verdict,
            check,
            pod: parseYaml(readFileSync(join(dir, file), 'utf8')) as Json,
          });
        }
      }
    }
  }
  return fixtures;
}

/** PSA check family → the runtime-guard rules that must carry its failures. */
const RULES_FOR_CHECK: Record<string, readonly RuleId[]> = {
  capabilities_baseline: ['capabilitiesAdded'],
  capabilities_restricted: ['capabilitiesAdded', 'capabilitiesDropAll'],
  seccompprofile_baseline: ['seccompUnconfined', 'seccompRequired'],
  seccompprofile_restricted: ['seccompUnconfined', 'seccompRequired'],
  privileged: ['privileged'],
  apparmorprofile: ['appArmor'],
};

/**
 * Where we are deliberately stricter than PSA: a seccomp profile is required by both presets,
 * because a pod without one runs with no syscall filter on most nodes; PSA's baseline allows that.
 * The legacy v1.18 annotations count for nothing since Kubernetes ignores them from 1.27 on.
 */
const STRICTER_RULES: readonly RuleId[] = ['seccompRequired'];

/** Fail fixtures whose only failure mutation repairs: after mutation they are admitted. */
const REPAIRED_BY_MUTATION: Record<string, string> = {
  'restricted/v1.37/fail/capabilities_restricted0.yaml': 'drop ALL is added',
  'restricted/v1.37/fail/capabilities_restricted1.yaml': 'drop ALL is added',
  'restricted/v1.37/fail/capabilities_restricted2.yaml': 'drop ALL is added to the long drop list',
  'restricted/v1.37/fail/seccompprofile_restricted0.yaml': 'RuntimeDefault is set at the pod level',
  'restricted/v1.37/fail/seccompprofile_restricted2.yaml': 'RuntimeDefault is set at the pod level',
  'restricted/v1.37/fail/seccompprofile_restricted3.yaml': 'RuntimeDefault is set at the pod level',
};

const present = existsSync(FIXTURES);
const fixtures = present ? loadFixtures() : [];
/**
 * A fresh clone outside CI may lack ../shared and skips, saying so; under CI a missing corpus is a
 * failure, not a quiet pass.
 */
const missing = present ? false : `no PSA fixtures at ${FIXTURES} (../shared/conformance/psa)`;

if (missing && process.env.CI) {
  describe('Pod Security Admission fixtures under CI', () => {
    it('are present beside the repository', () => {
      assert.fail(`${missing}: CI must run the conformance corpus`);
    });
  });
}

describe('Pod Security Admission fixtures', { skip: missing }, () => {
  it('finds the fixture corpus', () => {
    assert.ok(fixtures.length >= 50, `${fixtures.length} fixtures`);
  });

  for (const f of fixtures) {
    const p = policy({ preset: f.level });
    it(`${f.file}: validate`, () => {
      const { response, outcome } = validate(admissionReview(f.pod), p);
      const rules = new Set(outcome.violations.map((v) => v.rule));
      if (f.verdict === 'fail') {
        const expected = RULES_FOR_CHECK[f.check];
        assert.ok(expected, `unknown check family ${f.check}`);
        assert.equal(response.allowed, false);
        assert.ok(
          expected.some((r) => rules.has(r)),
          `denied by one of ${expected.join(', ')}; got ${[...rules].join(', ')}`,
        );
      } else {
        const beyondStricter = [...rules].filter((r) => !STRICTER_RULES.includes(r));
        assert.deepEqual(
          beyondStricter,
          [],
          'a PSA pass is denied only where runtime-guard is deliberately stricter',
        );
      }
    });

    it(`${f.file}: after mutation`, () => {
      const { response: mutation } = mutate(admissionReview(f.pod), p);
      assert.equal(mutation.allowed, true);
      const mutated = patched(f.pod, mutation);
      const { response, outcome } = validate(admissionReview(mutated), p);
      if (f.verdict === 'pass' || REPAIRED_BY_MUTATION[f.file]) {
        assert.equal(
          response.allowed,
          true,
          outcome.violations.map((v) => `${v.rule}@${v.field}`).join('; '),
        );
      } else {
        assert.equal(response.allowed, false, 'mutation does not repair this failure');
      }
    });
  }
});

describe('v1.18 annotation fixtures behave as the translation says', { skip: missing }, () => {
  const load = (file: string) => parseYaml(readFileSync(join(FIXTURES, file), 'utf8')) as Json;
  const translated = (file: string) =>
    patched(load(file), mutate(admissionReview(load(file)), policy()).response) as Json & {
      metadata: Json;
      spec: Json;
    };

  it('pod runtime/default and container localhost/testing become fields and are admitted', () => {
    const result = translated('baseline/v1.18/pass/seccompprofile_baseline0.yaml');
    assert.deepEqual(result.metadata.annotations, {});
    assert.deepEqual(result.spec.securityContext, { seccompProfile: { type: 'RuntimeDefault' } });
    assert.deepEqual((result.spec.containers as Json[])[0]?.securityContext, {
      seccompProfile: { type: 'Localhost', localhostProfile: 'testing' },
    });
  });

  it('pod unconfined becomes a pod-level Unconfined field and is refused for it', () => {
    const result = translated('baseline/v1.18/fail/seccompprofile_baseline0.yaml');
    assert.deepEqual(result.spec.securityContext, { seccompProfile: { type: 'Unconfined' } });
    assert.deepEqual(
      validate(admissionReview(result)).outcome.violations.map((v) => v.rule),
      ['seccompUnconfined'],
    );
  });

  for (const [file, container] of [
    ['baseline/v1.18/fail/seccompprofile_baseline1.yaml', 'containers'],
    ['baseline/v1.18/fail/seccompprofile_baseline2.yaml', 'initContainers'],
  ] as const) {
    it(`${file}: the container's unconfined becomes its field and is refused for it`, () => {
      const result = translated(file);
      assert.deepEqual((result.spec[container] as Json[])[0]?.securityContext, {
        seccompProfile: { type: 'Unconfined' },
      });
      const { outcome } = validate(admissionReview(result));
      assert.deepEqual(
        outcome.violations.map((v) => `${v.rule}@${v.field}`),
        [`seccompUnconfined@spec.${container}[0].securityContext.seccompProfile.type`],
      );
    });
  }
});
