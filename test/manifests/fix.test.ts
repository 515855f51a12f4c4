// `check --fix` writes the mutating webhook's changes as small edits of the YAML source: every
// line the mutation does not reach stays byte for byte, and what comes out reads back as the
// mutated object with nothing left for the webhook to patch.

import assert from 'node:assert/strict';
import {
  chmodSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { applyPatch, diffLines } from 'diff';
import { defaultReviewConfig } from '../../src/config/load-config.ts';
import { checkManifests } from '../../src/manifests/check-manifests.ts';
import { check, REPOSITORY } from './support.ts';

const FIXTURES = join(REPOSITORY, 'test', 'manifests', 'testdata', 'fix');
const restricted = defaultReviewConfig({ preset: 'restricted' });
const scratch = mkdtempSync(join(tmpdir(), 'runtime-guard-check-fix-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

function fix(text: string, config = restricted) {
  const report = checkManifests([{ file: 'in.yaml', text }], config, {
    mutate: true,
    fix: true,
    namespaceModes: false,
  });
  const file = report.files[0];
  assert.ok(file?.fixed);
  return { text: file.fixed.text, unfixed: file.fixed.unfixed, report };
}

/** Lines the fix took out of `before` (it only ever adds lines, except those it removes). */
function removedLines(before: string, after: string): string[] {
  return diffLines(before, after)
    .filter((change) => change.removed)
    .flatMap((change) => change.value.split('\n').filter((line) => line !== ''));
}

function nothingLeftToMutate(text: string, config = restricted): void {
  const again = checkManifests([{ file: 'fixed.yaml', text }], config, {
    mutate: true,
    fix: true,
    namespaceModes: false,
  });
  assert.equal(again.summary.mutated, 0, `still mutated:\n${text}`);
  assert.equal(again.files[0]?.fixed?.text, text);
}

describe('check --fix', () => {
  it('keeps every untouched line of a commented multi-document file byte for byte', () => {
    const before = readFileSync(join(FIXTURES, 'shop.yaml.txt'), 'utf8');
    const { text, unfixed } = fix(before);
    assert.deepEqual(unfixed, []);
    assert.equal(text, readFileSync(join(FIXTURES, 'shop.fixed.yaml.txt'), 'utf8'));
    // Out go the translated legacy annotations and the map lines that held only them; the
    // comments, `...`, `---`, the anchor and alias, quoting and the block scalar stay.
    assert.deepEqual(removedLines(before, text), [
      "        seccomp.security.alpha.kubernetes.io/pod: 'runtime/default'",
      '            capabilities: { drop: [NET_RAW] }',
      '                    annotations:',
      '                        container.seccomp.security.alpha.kubernetes.io/job: localhost/profiles/job.json',
    ]);
    nothingLeftToMutate(text);
  });

  it('fixes a JSON document as JSON', () => {
    const before = `${JSON.stringify(
      {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: {
          name: 'j',
          annotations: { 'seccomp.security.alpha.kubernetes.io/pod': 'runtime/default', a: 'b' },
        },
        spec: { containers: [{ name: 'app', image: 'x' }] },
      },
      null,
      2,
    )}\n`;
    const { text, unfixed } = fix(before);
    assert.deepEqual(unfixed, []);
    const fixed = JSON.parse(text) as {
      metadata: { annotations: object };
      spec: Record<string, unknown>;
    };
    assert.deepEqual(fixed.metadata.annotations, { a: 'b' });
    assert.deepEqual(fixed.spec['securityContext'], { seccompProfile: { type: 'RuntimeDefault' } });
    // The annotation's line goes; the two lines that close where the new fields are written
    // change; no other line does.
    assert.deepEqual(removedLines(before, text), [
      '      "seccomp.security.alpha.kubernetes.io/pod": "runtime/default",',
      '        "image": "x"',
      '    ]',
    ]);
    nothingLeftToMutate(text);
  });

  it('keeps CRLF line ends and a missing final newline', () => {
    const before = [
      'apiVersion: v1',
      'kind: Pod',
      'metadata:',
      '  name: crlf',
      'spec:',
      '  containers:',
      '  - name: app',
      '    image: x',
    ].join('\r\n');
    const { text } = fix(before);
    assert.ok(!/[^\r]\n/.test(text), JSON.stringify(text));
    assert.ok(text.startsWith(`${before}\r\n`), JSON.stringify(text));
    assert.ok(!text.endsWith('\n'));
    nothingLeftToMutate(text);
  });

  it('fills a null field, keeps its comment, and a flow-style document stays flow', () => {
    const nulls =
      'apiVersion: v1\nkind: Pod\nmetadata: {name: n}\nspec:\n  securityContext: ~\n  containers:\n  - name: app\n    securityContext: # hardened below\n';
    const one = fix(nulls);
    assert.equal(
      one.text,
      'apiVersion: v1\nkind: Pod\nmetadata: {name: n}\nspec:\n  securityContext:\n    seccompProfile:\n      type: RuntimeDefault\n  containers:\n  - name: app\n    securityContext: # hardened below\n      capabilities:\n        drop:\n        - ALL\n',
    );
    const flow =
      '{apiVersion: v1, kind: Pod, metadata: {name: f}, spec: {containers: [{name: app}]}}\n';
    const two = fix(flow);
    assert.equal(
      two.text,
      '{apiVersion: v1, kind: Pod, metadata: {name: f}, spec: {containers: [{name: app, securityContext: { capabilities: { drop: [ ALL ] } }}], securityContext: { seccompProfile: { type: RuntimeDefault } }}}\n',
    );
    nothingLeftToMutate(one.text);
    nothingLeftToMutate(two.text);
  });

  it('fixes every object of a List, and leaves a document it cannot rewrite alone, saying why', () => {
    const list =
      'apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Pod\n  metadata: {name: a}\n  spec:\n    containers: [{name: app}]\n- apiVersion: v1\n  kind: Pod\n  metadata: {name: b}\n  spec:\n    containers: [{name: app}]\n';
    const fixedList = fix(list);
    assert.deepEqual(fixedList.unfixed, []);
    assert.equal((fixedList.text.match(/type: RuntimeDefault/g) ?? []).length, 2);
    nothingLeftToMutate(fixedList.text);

    // Two containers share one securityContext through an alias: writing the drop list into
    // the anchored node would change both, so the document is refused, not half written.
    const aliased =
      'apiVersion: v1\nkind: Pod\nmetadata: {name: shared}\nspec:\n  securityContext: {seccompProfile: {type: RuntimeDefault}}\n  containers:\n  - name: a\n    securityContext: &sc {runAsNonRoot: true}\n  - name: b\n    securityContext: *sc\n';
    const refused = fix(aliased);
    assert.equal(refused.text, aliased);
    assert.equal(refused.unfixed.length, 1);
    assert.match(refused.unfixed[0]?.reason ?? '', /alias/);
    assert.deepEqual(refused.unfixed[0]?.changes, [
      'added ALL to container "a" capabilities.drop',
      'added ALL to container "b" capabilities.drop',
    ]);
    const text = check(['--fix', '--config', join(FIXTURES, 'restricted.yaml'), '-'], {
      input: aliased,
    });
    assert.equal(text.code, 0);
    assert.equal(text.stdout, aliased);
    assert.match(
      text.stderr,
      /<stdin>:1: not rewritten \(the field is reached through an alias\); make these changes by hand: added ALL to container "a" capabilities\.drop/,
    );
  });

  it('leaves what mutation cannot fix, and lists it', () => {
    const before =
      'apiVersion: v1\nkind: Pod\nmetadata:\n  name: root\nspec:\n  containers:\n  - name: app\n    securityContext:\n      privileged: true\n      capabilities:\n        add: [SYS_ADMIN]\n';
    const run = check(['--fix', '-'], { input: before });
    assert.equal(run.code, 1);
    assert.match(run.stdout, /privileged: true\n/);
    assert.match(run.stdout, /add: \[SYS_ADMIN\]/);
    assert.match(run.stderr, /^<stdin>:9: Pod\/root: container "app": runs privileged/m);
    assert.match(run.stderr, /^<stdin>:11: Pod\/root: container "app": adds capability SYS_ADMIN/m);
  });

  it('--write rewrites only changed files in place, keeping their mode; --diff prints the patch', () => {
    const directory = join(scratch, 'write');
    mkdirSync(directory);
    const changed = join(directory, 'pod.yaml');
    const unchanged = join(directory, 'clean.yaml');
    const pod =
      'apiVersion: v1\nkind: Pod\nmetadata:\n  name: p # keep me\nspec:\n  containers:\n  - name: app\n';
    const clean =
      'apiVersion: v1\nkind: Pod\nmetadata: {name: c}\nspec:\n  securityContext: {seccompProfile: {type: RuntimeDefault}}\n  containers: [{name: app}]\n';
    writeFileSync(changed, pod);
    writeFileSync(unchanged, clean);
    chmodSync(changed, 0o640);
    const before = statSync(unchanged).mtimeMs;

    const diff = check(['--fix', '--diff', 'write'], { cwd: scratch });
    assert.equal(diff.code, 0, diff.stderr);
    assert.equal(readFileSync(changed, 'utf8'), pod, '--diff alone writes nothing');
    assert.match(diff.stdout, /^--- a\/write\/pod\.yaml\n\+\+\+ b\/write\/pod\.yaml\n@@ /);
    assert.doesNotMatch(diff.stdout, /clean\.yaml/);

    const write = check(['--fix', '--write', 'write'], { cwd: scratch });
    assert.equal(write.code, 0, write.stderr);
    assert.match(write.stderr, /wrote write\/pod\.yaml/);
    const written = readFileSync(changed, 'utf8');
    assert.ok(
      written.startsWith('apiVersion: v1\nkind: Pod\nmetadata:\n  name: p # keep me\nspec:\n'),
    );
    assert.match(written, /seccompProfile:\n {6}type: RuntimeDefault/);
    assert.equal(statSync(changed).mode & 0o777, 0o640);
    assert.equal(statSync(unchanged).mtimeMs, before, 'an unchanged file is not rewritten');
    nothingLeftToMutate(written, defaultReviewConfig());
    // The diff describes exactly that change.
    assert.equal(applyPatch(pod, diff.stdout), written);
  });
});
