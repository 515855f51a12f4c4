// The runtime's calls under the container's filter: which calls of a trace fall in the window
// (hand-made sequences, one rule each), the shipped list re-derived from the kept traces, and
// the runtimes installed here traced again by scripts/profiles/trace-runtimes.sh.

import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { runProgram } from '../build-scripts.ts';
import {
  deriveRuntimeCalls,
  RUNTIME_CALLS,
  runtimeCallNames,
  RUNTIMES,
} from '../../src/profiles/runtime-calls.ts';
import { RuntimeWindowCollector } from '../../src/profiles/runtime-window.ts';
import { StraceReader } from '../../src/profiles/strace-reader.ts';
import { readRuntimeTraces, readTracedVersions } from '../../scripts/profiles/runtime-traces.ts';
import { containerTestsSkip, REPO_ROOT } from './oci-runtime.ts';

function windowOf(lines: string[]) {
  const collector = new RuntimeWindowCollector();
  const reader = new StraceReader('trace', {
    call: (call) => collector.call(call),
    counted() {},
    unreadable(at, text) {
      throw new Error(`unreadable ${at.line}: ${text}`);
    },
  });
  for (const line of lines) reader.line(line);
  reader.end();
  return collector.window;
}

// Hand-made in the form of `strace -f -n --pidns-translation -o`: 10 is the runtime's init,
// 11 a thread it started before installing the filter.
const BEFORE = [
  "10 [ 435] clone3({flags=CLONE_VM|CLONE_FS|CLONE_FILES|CLONE_SIGHAND|CLONE_THREAD|CLONE_SYSVSEM, exit_signal=0}, 88) = 2 /* 11 in strace's PID NS */",
  '10 [   0] read(3, "x", 1) = 1',
];
const AFTER = [
  '11 [ 202] futex(0xc0000, FUTEX_WAKE_PRIVATE, 1) = 0',
  '10 [ 257] openat(AT_FDCWD, "/proc/self/fd", O_RDONLY|O_CLOEXEC) = 6',
  "10 [  56] clone(child_stack=0xc0001, flags=CLONE_VM|CLONE_FS|CLONE_FILES|CLONE_SIGHAND|CLONE_THREAD|CLONE_SYSVSEM) = 3 /* 12 in strace's PID NS */",
  '12 [   9] mmap(NULL, 262144, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = 0x7f0000000000',
  '10 [  59] execve("/bin/true", ["/bin/true"], 0xc000 /* 3 vars */ <unfinished ...>',
  '11 [ 202] <... futex resumed>) = ?',
  '10 [  59] <... execve resumed>) = 0',
  '10 [  12] brk(NULL) = 0x55d000',
];

describe('the runtime window', () => {
  it('prctl(PR_SET_SECCOMP) filters the calling thread and the threads it starts later, until its execve', () => {
    const window = windowOf([
      ...BEFORE,
      '10 [ 157] prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, {len=9, filter=0xc00008f800}) = 0',
      ...AFTER,
    ]);
    assert.equal(window.filter?.line, 3);
    assert.equal(window.execve?.line, 8);
    // not futex (thread 11 is unfiltered), not read (before), not brk (the program's)
    assert.deepEqual([...window.calls.keys()].sort(), ['clone', 'execve', 'mmap', 'openat']);
  });

  it('seccomp() with SECCOMP_FILTER_FLAG_TSYNC filters every thread of the process', () => {
    const window = windowOf([
      ...BEFORE,
      '10 [ 317] seccomp(SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC, {len=378, filter=0x55ba020ea7c0}) = 0',
      ...AFTER,
    ]);
    assert.deepEqual([...window.calls.keys()].sort(), [
      'clone',
      'execve',
      'futex',
      'mmap',
      'openat',
    ]);
  });

  it("libseccomp's probes with a NULL program install nothing; a failed execve does not close the window", () => {
    const window = windowOf([
      '10 [ 317] seccomp(SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC, NULL) = -1 EFAULT (Bad address)',
      '10 [   0] read(3, "x", 1) = 1',
      '10 [ 317] seccomp(SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_SPEC_ALLOW, {len=378, filter=0x55}) = 0',
      '10 [  59] execve("/usr/local/bin/app", ["app"], 0x55 /* 3 vars */) = -1 ENOENT (No such file or directory)',
      '10 [ 332] statx(AT_FDCWD, "/usr/bin/app", AT_STATX_SYNC_AS_STAT, STATX_ALL, 0x7ff) = 0',
      '10 [  59] execve("/usr/bin/app", ["app"], 0x55 /* 3 vars */) = 0',
      '10 [  12] brk(NULL) = 0x55d000',
    ]);
    assert.equal(window.filter?.line, 3);
    assert.equal(window.execve?.line, 6);
    assert.deepEqual([...window.calls.keys()].sort(), ['execve', 'statx']);
  });
});

describe('the runtime calls shipped in src/profiles/runtime-calls.json', () => {
  it('are what the kept traces give, re-derived', async () => {
    const traces = await readRuntimeTraces();
    assert.deepEqual(deriveRuntimeCalls(traces), RUNTIME_CALLS.runtimes);
    const versions = await readTracedVersions();
    for (const runtime of RUNTIMES) assert.equal(RUNTIME_CALLS.traced[runtime], versions[runtime]);
    for (const runtime of RUNTIMES) {
      for (const setting of ['noNewPrivileges', 'withoutNoNewPrivileges'] as const) {
        const evidence = RUNTIME_CALLS.runtimes[runtime][setting];
        assert.ok(evidence.runs >= 10, `${runtime} ${setting}: ${evidence.runs} runs`);
        assert.ok('execve' in evidence.calls, 'execve itself runs under the filter');
      }
    }
  });

  it('differ with no-new-privileges: without it the privilege drop runs under the filter', () => {
    for (const runtime of RUNTIMES) {
      const withNnp = runtimeCallNames([runtime], true);
      const without = runtimeCallNames([runtime], false);
      assert.ok(without.length > withNnp.length, runtime);
      assert.ok(
        withNnp.every((name) => without.includes(name)),
        `${runtime}: nnp ⊆ without`,
      );
      assert.ok(without.includes('capset') && !withNnp.includes('capset'), runtime);
      assert.deepEqual(runtimeCallNames([runtime], undefined), without);
    }
    assert.ok(runtimeCallNames(['runc'], false).includes('setgroups'));
    assert.ok(runtimeCallNames(['crun'], false).includes('setresuid'));
  });

  it(
    'cover what the runtimes installed here make under the filter, traced again now',
    { skip: containerTestsSkip(), timeout: 120_000 },
    async () => {
      const out = await mkdtemp(join(tmpdir(), 'runtime-guard-runtime-traces-'));
      try {
        const script = join(REPO_ROOT, 'scripts', 'profiles', 'trace-runtimes.sh');
        const traced = await runProgram('bash', [script, out], { env: { RUNS: '1' } });
        assert.equal(traced.code, 0, traced.stderr);
        const versions = await readFile(join(out, 'versions.txt'), 'utf8');
        for (const trace of await readRuntimeTraces(out)) {
          const setting = trace.noNewPrivileges ? 'noNewPrivileges' : 'withoutNoNewPrivileges';
          const shipped = RUNTIME_CALLS.runtimes[trace.runtime][setting].calls;
          const missing = [...trace.window.calls.keys()].filter((name) => !(name in shipped));
          assert.deepEqual(
            missing,
            [],
            `${trace.runtime} (${setting}) called these under the filter, which runtime-calls.json lacks ` +
              `(traced: ${JSON.stringify(RUNTIME_CALLS.traced)}; here: ${versions.trim()}); ` +
              'record again with scripts/profiles/trace-runtimes.sh and derive-runtime-calls.ts',
          );
        }
      } finally {
        await rm(out, { recursive: true, force: true });
      }
    },
  );
});
