import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { admissionReview, compliantSpec, pod } from '../helpers.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const dir = mkdtempSync(join(tmpdir(), 'runtime-guard-review-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function review(args: string[], input?: string) {
  const result = spawnSync(
    process.execPath,
    [join(ROOT, 'bin', 'runtime-guard.js'), 'review', ...args],
    { input, encoding: 'utf8', timeout: 30_000 },
  );
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('runtime-guard review', () => {
  const denied = JSON.stringify(
    admissionReview(
      pod({ containers: [{ name: 'app', image: 'nginx', securityContext: { privileged: true } }] }),
    ),
  );

  it('prints the validating response for a file and for standard input', () => {
    const file = join(dir, 'review.json');
    writeFileSync(file, denied);
    for (const run of [review([file]), review(['-'], denied), review([], denied)]) {
      assert.equal(run.code, 0, run.stderr);
      const out = JSON.parse(run.stdout);
      assert.equal(out.kind, 'AdmissionReview');
      assert.equal(out.response.allowed, false);
      assert.match(out.response.status.message, /container "app": runs privileged/);
    }
  });

  it('--mutate prints a patch; --config selects the policy', () => {
    const config = join(dir, 'restricted.yaml');
    writeFileSync(config, 'preset: restricted\nmode: warn\n');
    const run = review(
      ['--mutate', '--config', config],
      JSON.stringify(admissionReview(pod({ containers: [{ name: 'app', image: 'nginx' }] }))),
    );
    assert.equal(run.code, 0, run.stderr);
    const ops = JSON.parse(Buffer.from(JSON.parse(run.stdout).response.patch, 'base64').toString());
    assert.deepEqual(
      ops.map((o: { path: string }) => o.path),
      ['/spec/securityContext', '/spec/containers/0/securityContext'],
    );
    const warned = JSON.parse(review(['--config', config], denied).stdout);
    assert.equal(warned.response.allowed, true);
    assert.ok(warned.response.warnings.length > 1);
  });

  it('allows a compliant pod', () => {
    assert.equal(
      JSON.parse(review([], JSON.stringify(admissionReview(pod(compliantSpec())))).stdout).response
        .allowed,
      true,
    );
  });

  it('stops quietly when the reader closes the pipe early (| head -c 10)', async () => {
    // The write to a closed pipe raised EPIPE as an unhandled 'error' event: a stack trace on
    // stderr and exit code 1.
    const child = spawn(process.execPath, [join(ROOT, 'bin', 'runtime-guard.js'), 'review', '-'], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    child.stdout.destroy();
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.stdin.end(denied);
    const [code] = (await once(child, 'exit')) as [number | null];
    assert.equal(stderr, '');
    assert.equal(code, 0);
  });

  it('fails with a clear message on unreadable input', () => {
    const cases: [string[], string | undefined, RegExp][] = [
      [[join(dir, 'missing.json')], undefined, /cannot read .*missing\.json: ENOENT/],
      [[], '{"apiVersion": ', /standard input is not valid JSON/],
      [
        [],
        '{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview"}',
        /not a usable AdmissionReview: request must be an object, got nothing/,
      ],
      [
        ['--config', join(dir, 'nope.yaml')],
        '{}',
        /invalid configuration in .*nope\.yaml:\n {2}- cannot be read: ENOENT/,
      ],
      [['--bogus'], '{}', /Unknown option '--bogus'/],
    ];
    for (const [args, input, message] of cases) {
      const run = review(args, input);
      assert.equal(run.code, 2, `${args.join(' ')}: exit code`);
      assert.match(run.stderr, message);
      assert.equal(run.stdout, '');
    }
  });
});
