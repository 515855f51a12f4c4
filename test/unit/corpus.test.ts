/**
 * The policy core at its boundary, on runtime-guard's own fixture corpus (test/testdata): each
 * manifest is read by the one workload reader, judged by `evaluatePod` as written and after
 * `mutatePod`, and the violations (rule and field) compared with the file's header. The wording
 * of messages is the messages test's business, not this one's.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { applyPatch } from 'rfc6902';
import { parse as parseYaml } from 'yaml';
import { patchFromEdits } from '../../src/admission/json-patch.ts';
import type { ReviewConfig } from '../../src/admission/settings.ts';
import { parseConfigText } from '../../src/config/load-config.ts';
import { mutatePod } from '../../src/policy/mutate.ts';
import type { PodUnderReview } from '../../src/policy/pod-under-review.ts';
import { evaluatePod } from '../../src/policy/registry.ts';
import { corpusFiles, PRESETS, readFixtureHeader } from '../testdata/corpus.ts';
import { reviewOf } from './policy-helpers.ts';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', 'testdata');
type Json = Record<string, unknown>;

const podUnderReview = (object: Json, config: ReviewConfig): PodUnderReview =>
  reviewOf(object, config.admission.extraKinds);

const found = (pod: PodUnderReview, config: ReviewConfig) =>
  evaluatePod(pod, config.policy)
    .map((v) => `${v.rule} ${v.field}`)
    .sort();

describe('fixture corpus (test/testdata)', () => {
  it('is what test/testdata/cases.ts generates (run `npm run testdata` after changing a case)', () => {
    const onDisk = new Map<string, string>();
    for (const preset of PRESETS) {
      for (const name of readdirSync(join(ROOT, preset), { recursive: true })) {
        const path = `${preset}/${String(name)}`;
        if (path.endsWith('.yaml')) onDisk.set(path, readFileSync(join(ROOT, path), 'utf8'));
      }
    }
    const generated = corpusFiles();
    assert.deepEqual([...onDisk.keys()].sort(), [...generated.keys()].sort());
    for (const [path, text] of generated) assert.equal(onDisk.get(path), text, path);
  });

  for (const preset of PRESETS) {
    const config = parseConfigText(
      readFileSync(join(ROOT, preset, 'config.yaml'), 'utf8'),
      `${preset}/config.yaml`,
    );
    for (const outcome of ['pass', 'fail'] as const) {
      const dir = join(ROOT, preset, outcome);
      for (const name of readdirSync(dir).sort()) {
        const text = readFileSync(join(dir, name), 'utf8');
        const expected = readFixtureHeader(text);
        const object = parseYaml(text) as Json;
        const path = `${preset}/${outcome}/${name}`;

        it(`${path}: ${outcome === 'pass' ? 'no violation' : expected.violations.join(', ')}`, () => {
          assert.equal(
            expected.violations.length === 0,
            outcome === 'pass',
            'file is in the right folder',
          );
          const pod = podUnderReview(object, config);
          assert.deepEqual(found(pod, config), [...expected.violations].sort(), 'as written');

          const mutated = mutatePod(pod, config.policy);
          const afterMutation = { ...pod, spec: mutated.spec, annotations: mutated.annotations };
          assert.deepEqual(
            found(afterMutation, config),
            [...expected.afterMutation].sort(),
            'after mutation',
          );

          // The edits say the same as the mutated spec: applied as a JSON Patch, read back, judged again.
          const copy = structuredClone(object);
          const errors = applyPatch(copy, patchFromEdits(object, mutated.edits)).filter((e) => e);
          assert.deepEqual(errors, [], 'the patch applies');
          assert.deepEqual(
            found(podUnderReview(copy, config), config),
            [...expected.afterMutation].sort(),
            'patched',
          );
          // And once patched, there is nothing left to change.
          assert.deepEqual(
            mutatePod(podUnderReview(copy, config), config.policy).edits,
            [],
            'idempotent',
          );

          if (expected.ephemeralUpdate) {
            const names = new Set((pod.spec.ephemeralContainers ?? []).map((c) => c.name));
            const debug = { ...pod, judgePodLevel: false, onlyContainers: names };
            assert.deepEqual(
              found(debug, config),
              [...expected.ephemeralUpdate].sort(),
              'ephemeral update',
            );
          }
        });
      }
    }
  }
});
