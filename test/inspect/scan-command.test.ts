/**
 * `runtime-guard scan` with bad input: every case exits 2 with one precise line on stderr and no
 * stack trace, before or without reaching a cluster. Against a real cluster: test/e2e/scan.test.ts.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runProgram } from '../build-scripts.ts';

const MAIN = join(import.meta.dirname, '..', '..', 'src', 'cli', 'main.ts');

function scan(args: string[], env: Record<string, string> = {}) {
  return runProgram(process.execPath, [MAIN, 'scan', ...args], { env: { NO_COLOR: '1', ...env } });
}

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function kubeconfig(server: string): string {
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'c', cluster: { server, 'insecure-skip-tls-verify': true } }],
    users: [{ name: 'u', user: { token: 'not-a-real-token' } }],
    contexts: [{ name: 'ctx', context: { cluster: 'c', user: 'u' } }],
    'current-context': 'ctx',
  });
}

describe('runtime-guard scan: bad input exits 2 with a precise message', () => {
  let dir: string;
  let unreachable: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'runtime-guard-scan-cli-'));
    unreachable = join(dir, 'unreachable.kubeconfig');
    await writeFile(unreachable, kubeconfig(`https://127.0.0.1:${await closedPort()}`));
    await writeFile(join(dir, 'broken.kubeconfig'), 'clusters: [unterminated\n');
    await writeFile(join(dir, 'bad-config.yaml'), 'preset: strictest\n');
  });
  after(() => rm(dir, { recursive: true, force: true }));

  const cases: [string, () => string[], RegExp][] = [
    [
      'an unknown output',
      () => ['--output', 'xml'],
      /^runtime-guard scan: --output must be one of table, json, html, policyreport, got "xml"$/m,
    ],
    [
      'an unknown --fail-on',
      () => ['--fail-on', 'sometimes'],
      /^runtime-guard scan: --fail-on must be one of refused, any, never, got "sometimes"$/m,
    ],
    [
      'an unknown option',
      () => ['--namespaces', 'x'],
      /^runtime-guard scan: Unknown option '--namespaces'/m,
    ],
    [
      'a bad namespace name',
      () => ['-n', 'Not_A_Name'],
      /^runtime-guard scan: -n "Not_A_Name" is not a namespace name$/m,
    ],
    [
      'a bad page size',
      () => ['--page-size', '0'],
      /^runtime-guard scan: --page-size must be a whole number from 1 to 10000, got "0"$/m,
    ],
    [
      'a missing kubeconfig',
      () => ['--kubeconfig', join(dir, 'nope')],
      /^runtime-guard scan: cannot read kubeconfig .*nope: ENOENT$/m,
    ],
    [
      'a kubeconfig that is not one',
      () => ['--kubeconfig', join(dir, 'broken.kubeconfig')],
      /^runtime-guard scan: .*broken\.kubeconfig is not a usable kubeconfig: /m,
    ],
    [
      'an unknown context',
      () => ['--kubeconfig', unreachable, '--context', 'prod'],
      /^runtime-guard scan: context "prod" is not in .*unreachable\.kubeconfig \(contexts: ctx\)$/m,
    ],
    [
      'an invalid configuration',
      () => ['--config', join(dir, 'bad-config.yaml'), '--kubeconfig', unreachable],
      /^runtime-guard scan: invalid configuration in .*bad-config\.yaml:\n {2}- preset: /m,
    ],
    [
      'an unreachable API server',
      () => ['--kubeconfig', unreachable],
      /^runtime-guard scan: cannot read namespaces \(all namespaces\): cannot reach the API server at https:\/\/127\.0\.0\.1:\d+: connection refused$/m,
    ],
  ];
  for (const [what, args, message] of cases) {
    it(what, async () => {
      const result = await scan(args());
      assert.equal(result.code, 2, result.stderr);
      assert.match(result.stderr, message);
      assert.doesNotMatch(result.stderr, /^\s+at /m, 'no stack trace');
      assert.equal(result.stdout, '', 'nothing on stdout');
    });
  }

  it('no cluster at all', async () => {
    const result = await scan([], { KUBECONFIG: '', HOME: dir, KUBERNETES_SERVICE_HOST: '' });
    assert.equal(result.code, 2);
    assert.match(
      result.stderr,
      /^runtime-guard scan: no cluster to read: no --kubeconfig, no KUBECONFIG, no ~\/\.kube\/config, and not running in a pod$/m,
    );
  });

  it('--help prints the usage on stdout and exits 0', async () => {
    const result = await scan(['--help']);
    assert.equal(result.code, 0);
    assert.match(result.stdout, /^usage: runtime-guard scan /);
    assert.match(
      result.stdout,
      /exit codes: 0 nothing at or above --fail-on, 1 findings, 2 bad input/,
    );
  });
});
