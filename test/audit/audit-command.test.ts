// `runtime-guard audit` refuses what it cannot run with a precise message and exit code 2,
// before it touches a cluster; never a stack trace.

import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { runProgram } from '../build-scripts.ts';

const MAIN = join(import.meta.dirname, '..', '..', 'src', 'cli', 'main.ts');

describe('runtime-guard audit: bad input', () => {
  let dir = '';
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'runtime-guard-audit-cli-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  // No kubeconfig anywhere and not in a pod: the cluster access error is the last check.
  const audit = (args: string[]) =>
    runProgram(process.execPath, [MAIN, 'audit', ...args], {
      env: { PATH: process.env['PATH'] ?? '', HOME: dir, KUBECONFIG: '' },
    });

  const cases: [string, string[], RegExp][] = [
    [
      'an unknown report API',
      ['--report-api', 'v1'],
      /--report-api "v1": expected one of openreports\.io\/v1alpha1, wgpolicyk8s\.io\/v1alpha2/,
    ],
    [
      'a rate that is no number',
      ['--writes-per-second', 'fast'],
      /--writes-per-second "fast": expected a number of at least 0\.01/,
    ],
    [
      'a burst below one',
      ['--write-burst', '0'],
      /--write-burst "0": expected an integer of at least 1/,
    ],
    ['a port out of range', ['--port', '70000'], /--port 70000: at most 65535/],
    ['an unknown option', ['--bogus'], /Unknown option '--bogus'/],
    ['an unknown log level', ['--log-level', 'loud'], /--log-level "loud"/],
    [
      'no cluster to read',
      [],
      /no cluster to read: no --kubeconfig, no KUBECONFIG, no ~\/\.kube\/config, and not running in a pod/,
    ],
  ];
  for (const [what, args, message] of cases) {
    test(what, async () => {
      const result = await audit(args);
      assert.equal(result.code, 2, result.stderr);
      assert.match(result.stderr, message);
      assert.doesNotMatch(result.stderr, /\n\s+at /, 'no stack trace');
    });
  }

  test('a configuration file that does not validate: its path and the field', async () => {
    const file = join(dir, 'bad.yaml');
    await writeFile(file, 'preset: strict\n');
    const result = await audit(['--config', file]);
    assert.equal(result.code, 2);
    assert.match(
      result.stderr,
      new RegExp(
        `invalid configuration in ${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}:\\n  - preset:`,
      ),
    );
  });

  test('--help prints the usage and exits 0', async () => {
    const result = await audit(['--help']);
    assert.equal(result.code, 0);
    assert.match(result.stdout, /usage: runtime-guard audit \[--config FILE\]/);
  });
});
