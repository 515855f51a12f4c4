// How fast the strace reader goes, and in how much memory: a trace of SIZE_MB (default 200)
// made of the corpus's python -f -yy -tt -T trace repeated, with the pids shifted each round
// so every round is new processes. Prints figures; asserts only that the set is the corpus's.
//
// usage: node bench/profiles.bench.ts [--size-mb N]

import { createWriteStream } from 'node:fs';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { readTraceFile } from '../src/profiles/trace-files.ts';
import { emptyReport, namesByArch, reportSink } from '../src/profiles/trace-syscalls.ts';

const { values } = parseArgs({ options: { 'size-mb': { type: 'string', default: '200' } } });
const sizeMb = Number(values['size-mb']);
const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const sample = await readFile(
  join(root, 'test/profiles/testdata/strace/decode-fds-yy.txt'),
  'utf8',
);
const work = await mkdtemp(join(tmpdir(), 'runtime-guard-bench-'));
const trace = join(work, 'trace.txt');
try {
  const out = createWriteStream(trace);
  let written = 0;
  for (let round = 0; written < sizeMb * 1024 * 1024; round += 1) {
    const text = sample.replace(/^(\d+) /gm, (_, pid: string) => `${Number(pid) + round * 1000} `);
    if (!out.write(text)) await new Promise<void>((r) => out.once('drain', () => r()));
    written += Buffer.byteLength(text);
  }
  await new Promise<void>((r) => out.end(r));
  const bytes = (await stat(trace)).size;
  const lines = (sample.match(/\n/g)?.length ?? 0) * Math.round(bytes / Buffer.byteLength(sample));

  const one = emptyReport('x86_64');
  await readTraceFile(
    { path: join(root, 'test/profiles/testdata/strace/decode-fds-yy.txt'), pid: undefined },
    reportSink(one),
  );
  const expected = JSON.stringify([...namesByArch(one)]);

  const report = emptyReport('x86_64');
  const rssBefore = process.memoryUsage().rss;
  let rssPeak = rssBefore;
  const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, process.memoryUsage().rss)), 20);
  const started = process.hrtime.bigint();
  await readTraceFile({ path: trace, pid: undefined }, reportSink(report));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  clearInterval(sampler);
  if (JSON.stringify([...namesByArch(report)]) !== expected) throw new Error('wrong syscall set');
  const mb = bytes / 1024 / 1024;
  console.log(
    `strace reader: ${mb.toFixed(0)} MiB, ~${(lines / 1e6).toFixed(1)} M lines in ${seconds.toFixed(2)} s`,
  );
  console.log(
    `  ${(mb / seconds).toFixed(0)} MiB/s, ${(lines / seconds / 1e6).toFixed(2)} M lines/s`,
  );
  console.log(
    `  RSS ${(rssBefore / 1048576).toFixed(0)} MiB before, ${(rssPeak / 1048576).toFixed(0)} MiB at most while reading`,
  );
} finally {
  await rm(work, { recursive: true, force: true });
}
