// Line-level cases of the strace reader that the recorded corpus cannot show, or shows only
// once. Lines marked "as printed" are copied from Debian strace 6.1 output on this kind of
// machine; the others are made by hand and say why.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { callResult, parseStraceLine, resultNumber } from '../../src/profiles/strace-line.ts';
import {
  StraceReader,
  type CountedCall,
  type TraceLocation,
  type TracedCall,
} from '../../src/profiles/strace-reader.ts';
import { MAX_LINE_BYTES, readTraceFile } from '../../src/profiles/trace-files.ts';

interface Collected {
  calls: TracedCall[];
  counted: CountedCall[];
  unreadable: { at: TraceLocation; text: string }[];
}

function readLines(text: string, filePid?: number): Collected {
  const collected: Collected = { calls: [], counted: [], unreadable: [] };
  const reader = new StraceReader(
    'trace.txt',
    {
      call: (call) => collected.calls.push(call),
      counted: (row) => collected.counted.push(row),
      unreadable: (at, line) => collected.unreadable.push({ at, text: line }),
    },
    filePid,
  );
  const lines = text.split('\n');
  const last = lines.pop() as string;
  for (const line of lines) reader.line(line);
  if (last !== '') reader.line(last, true);
  reader.end();
  return collected;
}

const dir = mkdtempSync(join(tmpdir(), 'runtime-guard-strace-reader-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('strace lines', () => {
  it('reads every prefix strace puts before a call: pid, -Y comm, timestamp, -n number, -i address', () => {
    // as printed by strace -f -tt -T -i -n -Y
    const line =
      '[pid 20647<busybox>] 04:55:07.841119 [ 273] [000000000046110d] set_robust_list(0x2d1ed6a0, 24) = 0 <0.000012>';
    assert.deepEqual(parseStraceLine(line), {
      kind: 'call',
      pid: 20647,
      name: 'set_robust_list',
      number: 273,
      rest: '0x2d1ed6a0, 24) = 0 <0.000012>',
    });
    // -f -o pads the pid; -r right-aligns the relative timestamp
    const padded = parseStraceLine(
      '1814  [ 317] seccomp(SECCOMP_GET_ACTION_AVAIL, 0, [SECCOMP_RET_LOG]) = 0',
    );
    assert.equal(padded.kind === 'call' && padded.pid, 1814);
    const relative = parseStraceLine(
      '20623      0.001745 brk(NULL)           = 0x3fde000 <0.000014>',
    );
    assert.equal(relative.kind === 'call' && relative.name, 'brk');
    const epoch = parseStraceLine(
      '1796187307.906115 execve("/bin/busybox", ["busybox"], 0x7ffe /* 35 vars */) = 0',
    );
    assert.deepEqual(epoch.kind === 'call' && [epoch.pid, epoch.name], [undefined, 'execve']);
  });

  it('knows the records that are no call', () => {
    assert.equal(parseStraceLine('--- stopped by SIGSTOP ---').kind, 'signal');
    assert.equal(
      parseStraceLine('24664 --- SIGCONT {si_signo=SIGCONT, si_code=SI_USER} ---').kind,
      'signal',
    );
    assert.equal(parseStraceLine('+++ killed by SIGKILL (core dumped) +++').kind, 'exit');
    assert.equal(parseStraceLine('[pid  7] +++ superseded by execve in pid 5 +++').kind, 'exit');
    assert.deepEqual(parseStraceLine('[ Process PID=17491 runs in x32 mode. ]'), {
      kind: 'mode',
      pid: 17491,
      mode: 'x32',
    });
    assert.equal(parseStraceLine('strace: Process 16551 attached').kind, 'message');
    assert.equal(
      parseStraceLine(' > /usr/lib/x86_64-linux-gnu/libc.so.6(__read+0x12) [0x10a2]').kind,
      'stack-frame',
    );
    assert.equal(parseStraceLine('   ').kind, 'blank');
    assert.equal(parseStraceLine('hello from the program').kind, 'unreadable');
  });

  it('finds the result after the last ") = ", whatever the strings before it hold', () => {
    assert.equal(callResult('1, "f() = 3\\n", 8) = 8'), '8');
    assert.equal(callResult('3, "", 4096)                 = 0 <0.000011>'), '0');
    assert.equal(
      callResult('NULL) = -1 ENOENT (No such file or directory)'),
      '-1 ENOENT (No such file or directory)',
    );
    assert.equal(callResult('0 <unfinished ...>'), undefined);
    assert.equal(resultNumber("2 /* 29555 in strace's PID NS */"), 29555);
    assert.equal(resultNumber('3</etc/hostname>'), 3);
    assert.equal(resultNumber('?'), undefined);
  });
});

describe('strace reader', () => {
  it('joins an unfinished call with its resumption, also when the first process gains its [pid] prefix meanwhile', () => {
    // as printed by strace -f on stderr: the first process has no prefix until a second exists
    const { calls, unreadable } = readLines(
      [
        'wait4(-1,  <unfinished ...>',
        '[pid 22928] exit_group(0)                = ?',
        '[pid 22927] <... wait4 resumed>[{WIFEXITED(s) && WEXITSTATUS(s) == 0}], 0, NULL) = 22928',
      ].join('\n'),
    );
    assert.deepEqual(unreadable, []);
    const wait4 = calls.filter((c) => c.name === 'wait4');
    assert.equal(wait4.length, 1, 'one call, not two');
    assert.equal(wait4[0]?.result, '22928');
    assert.equal(wait4[0]?.at.line, 1);
    assert.equal(wait4[0]?.endLine, 3);
  });

  it('puts back together a call that "Process N attached" cut in two', () => {
    // as printed by strace -f on stderr
    const { calls } = readLines(
      [
        'clone(child_stack=NULL, flags=CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLDstrace: Process 22928 attached',
        ', child_tidptr=0x31ed6690) = 22928',
      ].join('\n'),
    );
    assert.equal(calls.length, 1);
    assert.equal(calls[0]?.name, 'clone');
    assert.equal(calls[0]?.result, '22928');
  });

  it('a call never resumed (its process died) still counts', () => {
    const { calls } = readLines(
      '5 futex(0x1, FUTEX_WAIT_PRIVATE, 0, NULL <unfinished ...>\n5 +++ killed by SIGKILL +++\n',
    );
    assert.deepEqual(
      calls.map((c) => [c.name, c.result]),
      [['futex', undefined]],
    );
  });

  it('a last line cut in its arguments counts as truncated; cut in its name, as unreadable', () => {
    // hand-made: strace writes a cut line only when killed while writing it
    const cutArgs = readLines('1 brk(NULL) = 0x1000\n1 openat(AT_FDCWD, "/etc/pa');
    assert.deepEqual(
      cutArgs.calls.map((c) => [c.name, c.truncated]),
      [
        ['brk', false],
        ['openat', true],
      ],
    );
    const cutName = readLines('1 brk(NULL) = 0x1000\n1 open');
    assert.equal(cutName.calls.length, 1);
    assert.deepEqual(
      cutName.unreadable.map((u) => [u.at.line, u.text]),
      [[2, '1 open']],
    );
  });

  it('reads count tables in any column order (-U), per mode', () => {
    // as printed by strace -c -U name,calls,errors (header and rows; the overlong name is made
    // by hand), then a 32-bit table
    const { counted, unreadable } = readLines(
      [
        'syscall              calls    errors',
        '---------------- --------- ---------',
        'access                   1         1',
        'sched_get_priority_max        2          ',
        'brk                      1          ',
        '---------------- --------- ---------',
        'total                    4         1',
        'System call usage summary for 32 bit mode:',
        '% time     seconds  usecs/call     calls    errors syscall',
        '------ ----------- ----------- --------- --------- ----------------',
        '  0.00    0.000000           0         1           time',
        '------ ----------- ----------- --------- --------- ----------------',
        '100.00    0.000000           0         1           total',
      ].join('\n'),
    );
    assert.deepEqual(unreadable, []);
    assert.deepEqual(
      counted.map((c) => [c.name, c.mode, c.calls]),
      [
        ['access', undefined, 1],
        ['sched_get_priority_max', undefined, 2],
        ['brk', undefined, 1],
        ['time', '32 bit', 1],
      ],
    );
  });

  it('names from an -ff file take the pid of its file name', () => {
    const { calls } = readLines('getpid() = 4242\n', 4242);
    assert.equal(calls[0]?.pid, 4242);
  });

  it('a line longer than the limit is cut, keeping its name, and the next line is read', async () => {
    const file = join(dir, 'long.txt');
    const huge = `1 write(1, "${'x'.repeat(MAX_LINE_BYTES + 10)}", 1) = 1`;
    writeFileSync(file, `${huge}\n1 getpid() = 1\n`);
    const calls: string[] = [];
    let unreadable = 0;
    await readTraceFile(
      { path: file, pid: undefined },
      {
        call: (c) => calls.push(`${c.name}@${c.at.line}`),
        counted() {},
        unreadable: () => (unreadable += 1),
      },
    );
    assert.deepEqual(calls, ['write@1', 'getpid@2']);
    assert.equal(unreadable, 0);
  });
});
