// `runtime-guard profile …` as a user runs it: the profile on stdout, what it found on stderr,
// exit 2 with a precise message (file:line where there is one) for input it cannot use.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { parse as parseYaml } from 'yaml';
import { runProgram } from '../build-scripts.ts';
import type { AllowlistProfile } from '../../src/profiles/seccomp-profile.ts';
import { CLI, REPO_ROOT, runCli } from './oci-runtime.ts';

const CORPUS = join(REPO_ROOT, 'test', 'profiles', 'testdata', 'strace');
const dir = mkdtempSync(join(tmpdir(), 'runtime-guard-profile-cli-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

function noStackTrace(stderr: string): void {
  assert.doesNotMatch(stderr, /\n\s+at .+:\d+:\d+/, 'no stack trace');
}

function straceSkip(): string | false {
  if (spawnSync('sh', ['-c', 'command -v strace'], { stdio: 'ignore' }).status === 0) return false;
  const reason = 'profile record tests: strace is missing (run scripts/profiles/install-tools.sh)';
  if (process.env['CI']) throw new Error(`${reason}, and CI is set`);
  return reason;
}

function names(profile: AllowlistProfile): string[] {
  return profile.syscalls.flatMap((rule) => rule.names);
}

describe('runtime-guard profile from-strace', () => {
  it('prints an OCI allowlist profile of the traced calls plus the runtime calls', async () => {
    const result = await runCli(['profile', 'from-strace', join(CORPUS, 'follow-o.txt')]);
    assert.equal(result.code, 0, result.stderr);
    const profile = JSON.parse(result.stdout) as AllowlistProfile;
    assert.deepEqual(Object.keys(profile), [
      'defaultAction',
      'defaultErrnoRet',
      'architectures',
      'syscalls',
    ]);
    assert.deepEqual(Object.keys(profile.syscalls[0] ?? {}), ['names', 'action']);
    assert.ok(names(profile).includes('pipe2'), 'from the trace');
    assert.ok(names(profile).includes('setgroups'), "runc's, before the entrypoint");
    assert.deepEqual(names(profile), [...names(profile)].sort());
    assert.match(result.stderr, /\d+ syscalls from the traces, \d+ more for runc and crun/);
  });

  it('several traces and an -ff set give the union', async () => {
    const one = JSON.parse(
      (await runCli(['profile', 'from-strace', join(CORPUS, 'follow-o.txt')])).stdout,
    );
    const both = await runCli([
      'profile',
      'from-strace',
      join(CORPUS, 'follow-o.txt'),
      join(CORPUS, 'follow-forks-ff', 'trace'),
      join(CORPUS, 'decode-fds-y.txt'),
    ]);
    assert.equal(both.code, 0, both.stderr);
    const union = names(JSON.parse(both.stdout));
    assert.ok(names(one).every((name: string) => union.includes(name)));
    assert.ok(union.includes('clone3') && !names(one).includes('clone3'), "python's threads");
  });

  it('--format spo prints a SeccompProfile and the localhostProfile pods use', async () => {
    const result = await runCli([
      'profile',
      'from-strace',
      '--format',
      'spo',
      '--name',
      'web',
      '--namespace',
      'shop',
      join(CORPUS, 'plain.txt'),
    ]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /localhostProfile: operator\/shop\/web\.json/);
    const resource = parseYaml(result.stdout);
    assert.equal(resource.apiVersion, 'security-profiles-operator.x-k8s.io/v1beta1');
    assert.equal(resource.kind, 'SeccompProfile');
    assert.deepEqual(resource.metadata, { name: 'web', namespace: 'shop' });
    assert.equal(resource.spec.defaultAction, 'SCMP_ACT_ERRNO');
    assert.equal(resource.spec.defaultErrnoRet, undefined, 'not in the SPO API; EPERM by default');
    assert.ok(resource.spec.syscalls[0].names.includes('execve'));
  });

  it('--arch x86_64,aarch64 covers both, and says what an x86_64 trace cannot tell about aarch64', async () => {
    const result = await runCli([
      'profile',
      'from-strace',
      '--arch',
      'x86_64,aarch64',
      join(CORPUS, 'decode-fds-y.txt'),
    ]);
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(JSON.parse(result.stdout).architectures, [
      'SCMP_ARCH_X86_64',
      'SCMP_ARCH_AARCH64',
    ]);
    assert.match(
      result.stderr,
      /warning: the traces were recorded on x86_64; .*aarch64 has no .*arch_prctl/,
    );
  });

  it('--name for an OCI profile says where the chart delivers it', async () => {
    const result = await runCli([
      'profile',
      'from-strace',
      '--name',
      'web',
      join(CORPUS, 'plain.txt'),
    ]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stderr, /localhostProfile: runtime-guard\/web\.json/);
  });

  it('names strace could not name, and reports what it cannot allow', async () => {
    const result = await runCli(['profile', 'from-strace', join(CORPUS, 'modes-numbers-n.txt')]);
    assert.equal(result.code, 0, result.stderr);
    const profile = JSON.parse(result.stdout) as AllowlistProfile;
    assert.ok(names(profile).includes('fchmodat2') && names(profile).includes('mseal'));
    assert.deepEqual(profile.architectures, ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32']);
    assert.match(result.stderr, /modes-numbers-n\.txt:\d+: 0x1c4 = fchmodat2/);
    assert.match(result.stderr, /modes-numbers-n\.txt:\d+: 0x3e7 \(x86_64\)/);
    assert.match(result.stderr, /rt_sigaction#64/);
  });

  describe('unusable input: exit 2 and a precise message', () => {
    it('a missing file', async () => {
      const result = await runCli(['profile', 'from-strace', join(dir, 'nope.txt')]);
      assert.equal(result.code, 2);
      assert.match(
        result.stderr,
        /cannot read .*nope\.txt: no such file \(nor .*nope\.txt\.<pid> files of strace -ff\)/,
      );
      noStackTrace(result.stderr);
    });

    it('a name that is no syscall, with its file and line', async () => {
      // hand-made: a name strace never prints, as a table from another tool might
      const trace = file('unknown.txt', '1 getpid() = 1\n1 frobnicate(3) = 0\n');
      const result = await runCli(['profile', 'from-strace', trace]);
      assert.equal(result.code, 2);
      assert.match(result.stderr, /unknown\.txt:2: frobnicate \(x86_64\)/);
      assert.match(result.stderr, /runtimes skip unknown names silently/);
      assert.equal(result.stdout, '');
      noStackTrace(result.stderr);
    });

    it('lines that are no strace output, counted; --allow-unreadable goes on and still says so', async () => {
      const trace = join(CORPUS, 'program-stderr-mixed.txt');
      const strict = await runCli(['profile', 'from-strace', trace]);
      assert.equal(strict.code, 2);
      assert.match(
        strict.stderr,
        /1 line\(s\) are no strace output this reader knows: .*program-stderr-mixed\.txt:31: "\) = 25"/,
      );
      assert.equal(strict.stdout, '');
      const lenient = await runCli(['profile', 'from-strace', '--allow-unreadable', trace]);
      assert.equal(lenient.code, 0, lenient.stderr);
      assert.match(
        lenient.stderr,
        /warning: 1 line\(s\) are no strace output .*ignored: --allow-unreadable/,
      );
    });

    it('bad options', async () => {
      for (const [args, message] of [
        [['--arch', 'sparc'], /--arch sparc: expected x86_64 or aarch64/],
        [['--runtime', 'docker'], /--runtime docker: expected runc or crun/],
        [['--format', 'yaml'], /--format yaml: expected oci or spo/],
        [['--format', 'spo'], /--format spo needs --name/],
        [['--format', 'spo', '--name', 'Web_App'], /not a Kubernetes object name/],
        [['--bogus'], /Unknown option '--bogus'/],
      ] as const) {
        const result = await runCli(['profile', 'from-strace', ...args, join(CORPUS, 'plain.txt')]);
        assert.equal(result.code, 2, args.join(' '));
        assert.match(result.stderr, message);
        noStackTrace(result.stderr);
      }
      const none = await runCli(['profile', 'from-strace']);
      assert.equal(none.code, 2);
      assert.match(none.stderr, /needs at least one TRACE/);
      const unknown = await runCli(['profile', 'explain']);
      assert.equal(unknown.code, 2);
      assert.match(unknown.stderr, /unknown command "explain"/);
    });
  });
});

describe('runtime-guard profile merge', () => {
  it('joins allowlists: names and architectures', async () => {
    const a = file(
      'a.json',
      JSON.stringify({
        defaultAction: 'SCMP_ACT_ERRNO',
        architectures: ['SCMP_ARCH_X86_64'],
        syscalls: [{ names: ['read', 'write'], action: 'SCMP_ACT_ALLOW' }],
      }),
    );
    const b = file(
      'b.yaml',
      'apiVersion: security-profiles-operator.x-k8s.io/v1beta1\nkind: SeccompProfile\nmetadata: { name: b }\nspec:\n  defaultAction: SCMP_ACT_ERRNO\n  architectures: [SCMP_ARCH_AARCH64]\n  syscalls:\n    - action: SCMP_ACT_ALLOW\n      names: [openat, read]\n',
    );
    const result = await runCli(['profile', 'merge', a, b]);
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(JSON.parse(result.stdout), {
      defaultAction: 'SCMP_ACT_ERRNO',
      defaultErrnoRet: 1,
      architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_AARCH64'],
      syscalls: [{ names: ['openat', 'read', 'write'], action: 'SCMP_ACT_ALLOW' }],
    });
  });

  it('refuses what a union would change, and names that are no syscall', async () => {
    const runtimeDefault = join(REPO_ROOT, 'src', 'profiles', 'runtime-default.json');
    const profile = file(
      'rd.json',
      JSON.stringify(
        JSON.parse(await import('node:fs').then((fs) => fs.readFileSync(runtimeDefault, 'utf8')))
          .profile,
      ),
    );
    const withArgs = await runCli(['profile', 'merge', profile]);
    assert.equal(withArgs.code, 2);
    assert.match(
      withArgs.stderr,
      /rd\.json: syscalls\[1\] \(SCMP_ACT_ALLOW with args for socket\) is not a plain allow rule/,
    );
    const typo = file(
      'typo.json',
      JSON.stringify({
        defaultAction: 'SCMP_ACT_ERRNO',
        syscalls: [{ names: ['reed'], action: 'SCMP_ACT_ALLOW' }],
      }),
    );
    const unknown = await runCli(['profile', 'merge', typo]);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /typo\.json: not a syscall of its architectures: reed/);
    const broken = file('broken.json', '{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [');
    const notJson = await runCli(['profile', 'merge', broken]);
    assert.equal(notJson.code, 2);
    assert.match(notJson.stderr, /broken\.json: not JSON or YAML/);
    const wrong = file('wrong.json', '{"defaultAction": "ALLOW"}');
    const invalid = await runCli(['profile', 'merge', wrong]);
    assert.equal(invalid.code, 2);
    assert.match(invalid.stderr, /wrong\.json: not a seccomp profile: defaultAction: /);
    for (const result of [withArgs, unknown, notJson, invalid]) noStackTrace(result.stderr);
  });
});

describe('runtime-guard profile diff', () => {
  it("against containerd's RuntimeDefault: exit 1 and the calls it opens beyond it", async () => {
    const generated = await runCli([
      'profile',
      'from-strace',
      '--out',
      join(dir, 'python.json'),
      join(CORPUS, 'decode-fds-y.txt'),
    ]);
    assert.equal(generated.code, 0, generated.stderr);
    const result = await runCli(['profile', 'diff', join(dir, 'python.json')]);
    assert.equal(result.code, 1, result.stderr);
    assert.match(
      result.stdout,
      /against containerd's RuntimeDefault \(github\.com\/containerd\/containerd v2\.\d+\.\d+, amd64/,
    );
    // containerd answers clone3 with ENOSYS (glibc falls back to clone) unless CAP_SYS_ADMIN
    assert.match(result.stdout, /allowed here, refused there \(\d+\): .*clone3/);
    // containerd allows socket only for some address families
    assert.match(
      result.stdout,
      /allowed here for any arguments, there only for some \(\d+\): .*socket/,
    );
    const json = JSON.parse(
      (await runCli(['profile', 'diff', '--json', join(dir, 'python.json')])).stdout,
    );
    assert.ok(json.beyond.includes('clone3'));
    assert.ok(json.below.includes('mkdir'), 'allowed by default, never called by the program');
  });

  it('exit 0 for a profile inside the other; --against FILE', async () => {
    const small = file(
      'small.json',
      JSON.stringify({
        defaultAction: 'SCMP_ACT_ERRNO',
        syscalls: [{ names: ['read'], action: 'SCMP_ACT_ALLOW' }],
      }),
    );
    const inside = await runCli(['profile', 'diff', small]);
    assert.equal(inside.code, 0, inside.stdout);
    const big = file(
      'big.json',
      JSON.stringify({
        defaultAction: 'SCMP_ACT_ERRNO',
        syscalls: [{ names: ['read', 'write'], action: 'SCMP_ACT_ALLOW' }],
      }),
    );
    const reverse = await runCli(['profile', 'diff', big, '--against', small]);
    assert.equal(reverse.code, 1);
    assert.match(reverse.stdout, /allowed here, refused there \(1\): write/);
  });
});

describe('runtime-guard profile record', { skip: straceSkip() }, () => {
  it('traces the command with strace -f and prints its profile; the command’s output goes to stderr', async () => {
    const result = await runCli([
      'profile',
      'record',
      '--',
      '/bin/sh',
      '-c',
      'echo traced; cat /etc/hostname >/dev/null',
    ]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stderr, /^traced$/m);
    const profile = JSON.parse(result.stdout) as AllowlistProfile;
    for (const name of ['execve', 'wait4', 'openat'])
      assert.ok(names(profile).includes(name), name);
    const spawns = ['clone', 'clone3', 'fork', 'vfork'].filter((name) =>
      names(profile).includes(name),
    );
    assert.ok(spawns.length > 0, 'the child processes were traced too (-f)');
  });

  it('a failing command still gives the profile of what it did, with a warning', async () => {
    const out = join(dir, 'false.json');
    const result = await runCli(['profile', 'record', '--out', out, '--', '/bin/false']);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stderr, /warning: strace ended with 1/);
  });

  it('exit 2 when strace is not installed, or no command is given', async () => {
    const result = await runProgram(process.execPath, [CLI, 'profile', 'record', '--', 'true'], {
      env: { PATH: dir },
    });
    assert.equal(result.code, 2);
    assert.match(result.stderr, /strace is not installed/);
    noStackTrace(result.stderr);
    const none = await runCli(['profile', 'record']);
    assert.equal(none.code, 2);
    assert.match(none.stderr, /record needs a command after "--"/);
  });
});
