// The parser against recorded traces of every strace output form (testdata/strace, recorded
// by scripts/profiles/record-parser-corpus.sh with Debian's strace). Each trace's expected set
// comes from strace itself: the -C count table of the same run (kept beside it as
// <trace>.summary), or of a -f run of the same program for the -ff set; see expected.json.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { expandTraceArgument, readTraceFile } from '../../src/profiles/trace-files.ts';
import { emptyReport, reportSink, type TraceReport } from '../../src/profiles/trace-syscalls.ts';
import type { Arch } from '../../src/profiles/syscall-tables.ts';
import { REPO_ROOT } from './oci-runtime.ts';

const CORPUS = join(REPO_ROOT, 'test', 'profiles', 'testdata', 'strace');

interface Expectation {
  source: string;
  /** strace's own sets, by its mode names. */
  summary: Record<string, string[]>;
  /** exit / exit_group seen in the trace: they return nothing, so strace's table omits them. */
  neverReturning: string;
  unreadable?: number;
  truncated?: number;
}

const expected = JSON.parse(readFileSync(join(CORPUS, 'expected.json'), 'utf8')) as {
  strace: string;
  traces: Record<string, Expectation>;
};

const MODE_OF: Record<Arch, string> = {
  x86_64: '64 bit',
  x86: '32 bit',
  x32: 'x32',
  aarch64: '64 bit',
};

async function read(...paths: string[]): Promise<TraceReport> {
  const report = emptyReport('x86_64');
  const sink = reportSink(report);
  for (const path of paths) {
    for (const file of await expandTraceArgument(path)) await readTraceFile(file, sink);
  }
  return report;
}

/** The report's sets in strace's terms: by mode, "#64" calls and unnamed numbers put back. */
function setsByMode(report: TraceReport): Record<string, string[]> {
  const sets: Record<string, Set<string>> = {};
  const add = (mode: string, name: string) => (sets[mode] ??= new Set()).add(name);
  for (const use of report.uses.values()) add(MODE_OF[use.arch], use.name);
  for (const call of report.x32SixtyFour.examples) add('x32', call.name);
  return Object.fromEntries(Object.entries(sets).map(([mode, names]) => [mode, [...names].sort()]));
}

/** strace's table leaves out exit/exit_group, and counts no call to a number it cannot name. */
function expectedSets(expectation: Expectation, report: TraceReport): Record<string, string[]> {
  const sets: Record<string, Set<string>> = {};
  for (const [mode, names] of Object.entries(expectation.summary)) sets[mode] = new Set(names);
  for (const name of expectation.neverReturning.split(' ').filter(Boolean)) {
    (sets['64 bit'] ??= new Set()).add(name);
  }
  for (const named of report.namedNumbers.examples) {
    (sets[MODE_OF[named.arch]] ??= new Set()).add(named.name);
  }
  return Object.fromEntries(Object.entries(sets).map(([mode, names]) => [mode, [...names].sort()]));
}

describe(`strace parser corpus (${expected.strace})`, () => {
  for (const [name, expectation] of Object.entries(expected.traces)) {
    it(`${name}: the calls strace counted (${expectation.source})`, async () => {
      const report = await read(join(CORPUS, name));
      assert.deepEqual(setsByMode(report), expectedSets(expectation, report));
      assert.equal(report.unreadable.count, expectation.unreadable ?? 0, 'unreadable lines');
      assert.equal(report.truncated.count, expectation.truncated ?? 0, 'truncated lines');
      assert.equal(report.unknownNames.count, 0, 'unknown names');
    });
  }

  for (const name of Object.keys(expected.traces)) {
    const summary = join(CORPUS, `${name}.summary`);
    let text: string;
    try {
      text = readFileSync(summary, 'utf8');
    } catch {
      continue;
    }
    it(`${name}.summary: the -C table read on its own gives the same sets`, async () => {
      assert.ok(text.length > 0);
      const report = await read(summary);
      const expectation = expected.traces[name] as Expectation;
      assert.deepEqual(
        setsByMode(report),
        expectedSets({ ...expectation, neverReturning: '' }, report),
      );
      assert.equal(report.unreadable.count, 0);
    });
  }

  it('modes: i386 calls through int 0x80 and x32 calls are told apart, with and without mode lines', async () => {
    for (const name of ['modes-stderr.txt', 'modes-numbers-n.txt']) {
      const report = await read(join(CORPUS, name));
      const sets = setsByMode(report);
      assert.deepEqual(sets['32 bit'], ['getpid', 'time'], name);
      assert.deepEqual(sets['x32'], ['getpid', 'rt_sigaction#64'], name);
      assert.ok(sets['64 bit']?.includes('getpid'), name);
      assert.ok(!sets['64 bit']?.includes('time'), `${name}: time was an i386 call`);
    }
  });

  it('numbers strace 6.1 cannot name are named from our Linux 6.12 table; 999 stays unknown', async () => {
    const report = await read(join(CORPUS, 'modes-numbers-n.txt'));
    assert.deepEqual(
      report.namedNumbers.examples.map((n) => [n.number, n.name, n.arch]),
      [
        [452, 'fchmodat2', 'x86_64'],
        [462, 'mseal', 'x86_64'],
      ],
    );
    assert.deepEqual(
      report.unknownNumbers.examples.map((n) => [n.number, n.arch]),
      [[999, 'x86_64']],
    );
  });

  it('the line the program wrote into the trace is counted and located', async () => {
    const report = await read(join(CORPUS, 'program-stderr-mixed.txt'));
    assert.equal(report.unreadable.count, 1);
    const [line] = report.unreadable.examples;
    assert.equal(line?.text, ') = 25');
    assert.match(`${line?.at.file}:${line?.at.line}`, /program-stderr-mixed\.txt:\d+$/);
  });

  it('the cut last line still counts its call, and says where', async () => {
    const report = await read(join(CORPUS, 'truncated-last-line.txt'));
    assert.equal(report.truncated.count, 1);
    assert.equal(report.truncated.examples[0]?.at.line, 20);
  });

  it('an -ff set is found from its -o prefix, a directory, or its files', async () => {
    const directory = join(CORPUS, 'follow-forks-ff');
    const files = await expandTraceArgument(directory);
    assert.ok(files.length >= 3, 'one file per process');
    assert.ok(files.every((f) => f.pid !== undefined));
    const byPrefix = setsByMode(await read(join(directory, 'trace')));
    assert.deepEqual(byPrefix, setsByMode(await read(directory)));
    assert.deepEqual(byPrefix, setsByMode(await read(...files.map((f) => f.path))));
  });
});
