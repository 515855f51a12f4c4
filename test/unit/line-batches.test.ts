// Log lines are batched before they reach sonic-boom (src/cli/line-batches.ts): a batch is
// handed over at its size or after its delay, and the lines held when the process exits, by
// process.exit() or by running out of work, still reach standard output, in order.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { openSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, test } from 'node:test';
import { pino } from 'pino';
import { LineBatches } from '../../src/cli/line-batches.ts';

const SERVE_COMMAND = join(import.meta.dirname, '../../src/cli/serve-command.ts');

async function withFile(run: (file: string) => Promise<void>) {
  const dir = await mkdtemp(join(tmpdir(), 'runtime-guard-lines-'));
  try {
    await run(join(dir, 'log'));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

describe('log line batches', () => {
  test('lines are held until a batch is full, then written in order', async () => {
    await withFile(async (file) => {
      const fd = openSync(file, 'a');
      const destination = pino.destination({ dest: fd, sync: false });
      const lines = new LineBatches(destination, { fd, batchChars: 1000, maxDelayMs: 60_000 });
      for (let i = 0; i < 9; i++) lines.write(`line ${i} ${'x'.repeat(100)}\n`);
      await sleep(50);
      assert.equal(
        await readFile(file, 'utf8'),
        '',
        'nine lines of 108 characters stay below 1000',
      );
      lines.write(`line 9 ${'x'.repeat(100)}\n`);
      await new Promise<void>((resolve, reject) =>
        lines.flush((error) => (error ? reject(error) : resolve())),
      );
      const written = (await readFile(file, 'utf8')).trim().split('\n');
      assert.deepEqual(
        written.map((line) => line.split(' ')[1]),
        ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'],
      );
      destination.end();
    });
  });

  test('a lone line is written after the delay, without another line to push it', async () => {
    await withFile(async (file) => {
      const destination = pino.destination({ dest: file, sync: false });
      const lines = new LineBatches(destination, { fd: 1, batchChars: 16384, maxDelayMs: 30 });
      lines.write('alone\n');
      for (let i = 0; i < 100 && (await readFile(file, 'utf8')) === ''; i++) await sleep(20);
      assert.equal(await readFile(file, 'utf8'), 'alone\n');
      destination.end();
    });
  });

  for (const ending of ['process.exit()', 'the event loop running dry'] as const) {
    test(`every line reaches standard output when the process ends by ${ending}`, async () => {
      const script = [
        `import { createServeLogger } from ${JSON.stringify(SERVE_COMMAND)};`,
        'const log = createServeLogger();',
        "for (let i = 0; i < 5000; i++) log.info({ i }, 'admission review');",
        ending === 'process.exit()' ? 'process.exit(0);' : '',
      ].join('\n');
      const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      let out = '';
      child.stdout.setEncoding('utf8');
      child.stdout.on('data', (chunk: string) => (out += chunk));
      const code = await new Promise((resolve) => child.on('close', resolve));
      assert.equal(code, 0);
      const numbers = out
        .trim()
        .split('\n')
        .map((line) => (JSON.parse(line) as { i: number }).i);
      assert.equal(numbers.length, 5000);
      assert.ok(
        numbers.every((n, index) => n === index),
        'in the order they were logged',
      );
    });
  }
});
