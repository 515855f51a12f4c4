// The proof: real programs of this machine (a shell pipeline, python3, Node.js) traced with
// Debian's strace through `runtime-guard profile record`, then run in real containers (runc and
// crun) under the profile made from the trace, with no-new-privileges on and off. Inside,
// /proc/self/status shows `Seccomp: 2` (a filter is on); without one call the program needs,
// that call fails with EPERM; without the calls added for the runtime, the container does not
// even start.

import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { AllowlistProfile } from '../../src/profiles/seccomp-profile.ts';
import { containerTestsSkip, Containers, REPO_ROOT, runCli } from './oci-runtime.ts';

const skip = containerTestsSkip();

interface Program {
  name: string;
  args: string[];
  hostDirectories: string[];
  /** A call the program makes itself (not the runtime), and what it prints when refused. */
  needs: string;
  refusal: RegExp;
  /** What it prints when it ran to its end. */
  done: RegExp;
}

const NODE_PROGRAM = `
const fs = require('node:fs');
const { Worker } = require('node:worker_threads');
const status = fs.readFileSync('/proc/self/status', 'utf8');
console.log(status.split('\\n').find((line) => line.startsWith('Seccomp:')));
fs.mkdirSync('/tmp/runtime-guard');
const worker = new Worker('require("node:worker_threads").parentPort.postMessage(6 * 7)', { eval: true });
worker.on('message', (answer) => setTimeout(() => console.log('node done', answer), 5));
`;

const PYTHON_PROGRAM = `
import hashlib, json, os, threading
digest = []
worker = threading.Thread(target=lambda: digest.append(hashlib.sha256(b"x").hexdigest()))
worker.start(); worker.join()
print([line for line in open("/proc/self/status") if line.startswith("Seccomp:")][0].strip())
print("python done", json.dumps(os.uname().sysname), len(digest[0]))
`;

const PROGRAMS: Program[] = [
  {
    name: 'a shell pipeline',
    args: [
      '/bin/sh',
      '-c',
      'set -e; grep "^Seccomp:" /proc/self/status | tr -s "\\t" " "; uname -r >/dev/null; echo shell done',
    ],
    hostDirectories: [],
    needs: 'uname',
    refusal: /uname: .*Operation not permitted/,
    done: /shell done/,
  },
  {
    name: 'python3',
    args: ['/usr/bin/python3', '-I', '-c', PYTHON_PROGRAM],
    hostDirectories: [],
    needs: 'uname',
    refusal: /PermissionError: \[Errno 1\] Operation not permitted/,
    done: /python done "Linux" 64/,
  },
  {
    name: 'Node.js',
    args: [process.execPath, '-e', NODE_PROGRAM],
    hostDirectories: [dirname(process.execPath)],
    needs: 'mkdir',
    refusal: /EPERM: operation not permitted, mkdir '\/tmp\/runtime-guard'/,
    done: /node done 42/,
  },
];

const RUNTIMES = ['runc', 'crun'] as const;

function without(profile: AllowlistProfile, names: readonly string[]): AllowlistProfile {
  const copy = structuredClone(profile);
  for (const rule of copy.syscalls) rule.names = rule.names.filter((n) => !names.includes(n));
  return copy;
}

describe('profiles from traces, in real containers', { skip, timeout: 300_000 }, () => {
  let containers: Containers;
  const recorded = new Map<string, { profile: AllowlistProfile; trace: string; stderr: string }>();

  before(async () => {
    containers = await Containers.create();
    for (const program of PROGRAMS) {
      const out = join(containers.root, `${program.args[0]?.split('/').pop()}.json`);
      const trace = `${out}.trace`;
      const result = await runCli([
        'profile',
        'record',
        '--out',
        out,
        '--trace',
        trace,
        '--',
        ...program.args,
      ]);
      assert.equal(result.code, 0, `record ${program.name}:\n${result.stderr}`);
      recorded.set(program.name, {
        profile: JSON.parse(await readFile(out, 'utf8')) as AllowlistProfile,
        trace,
        stderr: result.stderr,
      });
    }
  });

  after(async () => {
    await containers?.dispose();
  });

  async function run(
    program: Program,
    profile: unknown,
    runtime: 'runc' | 'crun',
    noNewPrivileges: boolean,
  ) {
    const bundle = await containers.bundle({
      args: program.args,
      seccomp: profile,
      noNewPrivileges,
      hostDirectories: program.hostDirectories,
    });
    return containers.run(runtime, bundle);
  }

  for (const program of PROGRAMS) {
    describe(program.name, () => {
      it('its profile is an allowlist of the calls it made, with EPERM for the rest', () => {
        const { profile, stderr } = recorded.get(program.name) ?? assert.fail('not recorded');
        assert.equal(profile.defaultAction, 'SCMP_ACT_ERRNO');
        assert.equal(profile.defaultErrnoRet, 1);
        assert.deepEqual(profile.architectures, ['SCMP_ARCH_X86_64']);
        assert.ok(profile.syscalls[0]?.names.includes(program.needs));
        assert.match(stderr, /\d+ syscalls from the traces, \d+ more for runc and crun/);
      });

      for (const runtime of RUNTIMES) {
        for (const noNewPrivileges of [false, true]) {
          it(`runs under it with ${runtime}, no-new-privileges ${noNewPrivileges ? 'on' : 'off'}: Seccomp: 2`, async () => {
            const { profile } = recorded.get(program.name) ?? assert.fail('not recorded');
            const result = await run(program, profile, runtime, noNewPrivileges);
            assert.equal(result.code, 0, `${result.stdout}\n${result.stderr}`);
            assert.match(result.stdout, /^Seccomp:\s+2$/m);
            assert.match(result.stdout, program.done);
          });
        }
      }

      it(`without ${program.needs} it fails where it calls it, with EPERM`, async () => {
        const { profile } = recorded.get(program.name) ?? assert.fail('not recorded');
        const result = await run(program, without(profile, [program.needs]), 'runc', true);
        assert.notEqual(result.code, 0, result.stdout);
        assert.match(result.stdout, /^Seccomp:\s+2$/m, 'it started, under the filter');
        assert.match(`${result.stdout}${result.stderr}`, program.refusal);
        assert.doesNotMatch(result.stdout, program.done);
      });
    });
  }

  describe("the runtime's own calls", () => {
    const program = PROGRAMS[1] as Program;

    it('without the calls added for the runtime, runc and crun cannot start the container (no-new-privileges off)', async () => {
      const { profile, stderr } = recorded.get(program.name) ?? assert.fail('not recorded');
      const added = /before the entrypoint runs \(([^)]*)\)/.exec(stderr)?.[1]?.split(', ') ?? [];
      assert.ok(added.length > 0, stderr);
      for (const runtime of RUNTIMES) {
        const result = await run(program, without(profile, added), runtime, false);
        assert.notEqual(result.code, 0, `${runtime}: ${result.stdout}`);
        assert.match(result.stderr, /operation not permitted/i, runtime);
        assert.doesNotMatch(result.stdout, /Seccomp:/, `${runtime}: the program never ran`);
      }
    });

    it('a --no-new-privileges profile is enough with no-new-privileges on, and too little for runc without', async () => {
      const { trace } = recorded.get(program.name) ?? assert.fail('not recorded');
      const generated = await runCli([
        'profile',
        'from-strace',
        '--no-new-privileges',
        '--runtime',
        'runc',
        trace,
      ]);
      assert.equal(generated.code, 0, generated.stderr);
      const narrow = JSON.parse(generated.stdout) as AllowlistProfile;
      const { profile: wide } = recorded.get(program.name) ?? assert.fail('not recorded');
      assert.ok((narrow.syscalls[0]?.names.length ?? 0) < (wide.syscalls[0]?.names.length ?? 0));
      const on = await run(program, narrow, 'runc', true);
      assert.equal(on.code, 0, on.stderr);
      assert.match(on.stdout, /^Seccomp:\s+2$/m);
      const off = await run(program, narrow, 'runc', false);
      assert.notEqual(off.code, 0);
      assert.match(off.stderr, /operation not permitted/i);
    });
  });

  it('a merged profile with 32-bit and x32 architectures loads in runc and crun', async () => {
    const program = PROGRAMS[1] as Program;
    const python = join(containers.root, 'python3.json');
    const modes = join(containers.root, 'modes.json');
    const corpus = join(REPO_ROOT, 'test', 'profiles', 'testdata', 'strace', 'modes-numbers-n.txt');
    const fromModes = await runCli(['profile', 'from-strace', '--out', modes, corpus]);
    assert.equal(fromModes.code, 0, fromModes.stderr);
    const merged = await runCli(['profile', 'merge', python, modes]);
    assert.equal(merged.code, 0, merged.stderr);
    const profile = JSON.parse(merged.stdout) as AllowlistProfile;
    assert.deepEqual(profile.architectures, ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32']);
    for (const runtime of RUNTIMES) {
      const result = await run(program, profile, runtime, true);
      assert.equal(result.code, 0, `${runtime}: ${result.stderr}`);
      assert.match(result.stdout, /^Seccomp:\s+2$/m);
    }
  });
});
