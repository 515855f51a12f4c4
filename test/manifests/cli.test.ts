// `runtime-guard check` as a user runs it: inputs, exit codes, and bad input answered with a
// precise message and exit code 2, never a stack trace.

import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { MAX_INPUT_BYTES } from '../../src/manifests/input-files.ts';
import { check } from './support.ts';

const dir = mkdtempSync(join(tmpdir(), 'runtime-guard-check-cli-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const POD = (name: string, extra = '') =>
  `apiVersion: v1\nkind: Pod\nmetadata:\n  name: ${name}\nspec:\n  containers:\n  - name: app\n    image: x\n${extra}`;
const PRIVILEGED = '    securityContext:\n      privileged: yes\n';

function assertBadInput(result: { code: number | null; stderr: string }, message: RegExp): void {
  assert.equal(result.code, 2, result.stderr);
  assert.match(result.stderr, message);
  assert.doesNotMatch(result.stderr, /\n\s+at /, 'a stack trace');
}

describe('runtime-guard check', () => {
  it('exits 0 when nothing is refused, 1 when something is', () => {
    assert.equal(check(['-'], { input: POD('ok') }).code, 0);
    const refused = check(['-'], { input: POD('root', PRIVILEGED) });
    assert.equal(refused.code, 1);
    // `yes` is true to kubectl (YAML 1.1), so it is here.
    assert.match(refused.stdout, /^<stdin>:10: Pod\/root: container "app": runs privileged/m);
  });

  it('reads files, directories (yaml, yml, json; not hidden ones) and standard input together', () => {
    const tree = join(dir, 'tree');
    mkdirSync(join(tree, 'nested'), { recursive: true });
    mkdirSync(join(tree, '.git'));
    writeFileSync(join(tree, 'a.yaml'), POD('a'));
    writeFileSync(join(tree, 'nested', 'b.yml'), `${POD('b')}---\n${POD('c', PRIVILEGED)}`);
    writeFileSync(
      join(tree, 'nested', 'c.json'),
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'List',
        items: [{ apiVersion: 'v1', kind: 'Service', metadata: { name: 's' } }],
      }),
    );
    writeFileSync(join(tree, 'package.json'), '{"name": "not kubernetes"}');
    writeFileSync(join(tree, 'notes.txt'), 'not read');
    writeFileSync(join(tree, '.git', 'x.yaml'), 'not: [read');
    symlinkSync(tree, join(tree, 'nested', 'loop'));
    const result = check(['-o', 'json', tree, '-'], { input: POD('d') });
    assert.equal(result.code, 1, result.stderr);
    const report = JSON.parse(result.stdout) as {
      summary: Record<string, number>;
      objects: { file: string; name: string; status: string }[];
    };
    assert.deepEqual(
      report.objects.map((o) => [
        o.file.startsWith(dir) ? o.file.slice(dir.length + 1) : o.file,
        o.name,
        o.status,
      ]),
      [
        ['tree/a.yaml', 'a', 'passed'],
        ['tree/nested/b.yml', 'b', 'passed'],
        ['tree/nested/b.yml', 'c', 'refused'],
        ['<stdin>', 'd', 'passed'],
      ],
    );
    assert.equal(report.summary['otherKinds'], 1);
    assert.equal(report.summary['notKubernetes'], 1);
  });

  it('judges as the cluster would: namespace exemptions, mode labels, warn mode', () => {
    const config = join(dir, 'config.yaml');
    writeFileSync(
      config,
      'mode: enforce\nexemptions: {namespaces: [kube-system]}\nserver: {namespaceModes: {enabled: true}}\n',
    );
    const namespace =
      'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: team\n  labels: {runtime-guard.io/mode: warn}\n---\n';
    const inTeam = POD('w', PRIVILEGED).replace('  name: w\n', '  name: w\n  namespace: team\n');
    const warned = check(['--config', config, '-'], { input: namespace + inTeam });
    assert.equal(warned.code, 0, warned.stdout);
    assert.match(
      warned.stdout,
      /Pod\/w: container "app": runs privileged.* \(warn mode: admitted with a warning\)$/m,
    );
    const exempt = check(['--config', config, '-n', 'kube-system', '-'], {
      input: POD('sys', PRIVILEGED),
    });
    assert.equal(exempt.code, 0, exempt.stdout);
    assert.match(exempt.stdout, /Pod\/sys: exempt: namespace "kube-system" is exempt/);
  });

  it('refuses a malformed object at the line of its bad field', () => {
    const result = check(['-'], {
      input:
        'apiVersion: v1\nkind: Pod\nmetadata: {name: m}\nspec:\n  containers:\n  - name: app\n    securityContext:\n      capabilities:\n        add: [1]\n',
    });
    assert.equal(result.code, 1);
    assert.match(
      result.stdout,
      /^<stdin>:9: Pod\/m: object: spec\.containers\[0\]\.securityContext\.capabilities\.add\[0\]: expected a string, got a number/m,
    );
  });

  it("reports a YAML error as file:line:column with the parser's reason", () => {
    const file = join(dir, 'broken.yaml');
    writeFileSync(file, `${POD('ok')}---\nkind: Pod\nmetadata:\n  name: [unclosed\nspec: {}\n`);
    assertBadInput(
      check([file]),
      new RegExp(`^runtime-guard check: ${file.replace(/[.]/g, '\\.')}:\\d+:\\d+: \\S.*\\n$`),
    );
    assertBadInput(
      check(['-'], { input: 'a: 1\na: 2\n' }),
      /^runtime-guard check: <stdin>:2:1: Map keys must be unique\n$/,
    );
    assertBadInput(
      check(['-'], { input: 'a: *nowhere\n' }),
      /^runtime-guard check: <stdin>:1:\d+: /,
    );
    // An alias bomb is refused, not expanded.
    const bomb = [
      'a: &a [x, x, x, x, x, x, x, x, x, x]',
      ...'bcdefgh'
        .split('')
        .map((c, i) => `${c}: &${c} [${Array(10).fill(`*${'abcdefgh'[i]}`).join(', ')}]`),
    ].join('\n');
    assertBadInput(
      check(['-'], { input: `${bomb}\n` }),
      /^runtime-guard check: <stdin>:1:1: .*alias/i,
    );
  });

  it('answers unusable options and inputs with exit code 2', () => {
    assertBadInput(check([]), /no input: name files, directories, or - for standard input/);
    assertBadInput(
      check(['--output', 'xml', '-']),
      /--output must be one of text, json, sarif, junit, policyreport, got "xml"/,
    );
    assertBadInput(check(['--write', '-']), /--write goes with --fix/);
    assertBadInput(check(['--fix', '--no-mutation', '-']), /choose one/);
    assertBadInput(check(['--fix', '--write', '-']), /--write cannot rewrite standard input/);
    assertBadInput(check(['--frobnicate', '-']), /Unknown option '--frobnicate'/);
    assertBadInput(check([join(dir, 'missing.yaml')]), /cannot read .*missing\.yaml: ENOENT/);
    assertBadInput(check(['-', '-']), /standard input \(-\) named twice/);
    const badConfig = join(dir, 'bad-config.yaml');
    writeFileSync(badConfig, 'preset: lenient\n');
    assertBadInput(
      check(['--config', badConfig, '-']),
      /invalid configuration in .*bad-config\.yaml/,
    );
  });

  it('refuses an input over its size bound without reading it whole', () => {
    const big = join(dir, 'big.yaml');
    // Extended with a hole: its size is what counts, and it is never read.
    writeFileSync(big, '');
    truncateSync(big, MAX_INPUT_BYTES + 1);
    assertBadInput(check([big]), /big\.yaml: larger than 32 MiB, not read/);
    assertBadInput(
      check(['-'], { input: 'x'.repeat(MAX_INPUT_BYTES + 1) }),
      /<stdin>: larger than 32 MiB, not read/,
    );
  });
});
