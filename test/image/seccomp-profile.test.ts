// Which entries of a runtime's default seccomp profile a container gets: the conditions on
// capabilities, architectures and kernels, on a small profile and, where the machine has it,
// on the profile the image test uses.

import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { describe, test } from 'node:test';
import { RUNTIME_DEFAULT_PROFILE } from './image-harness.ts';
import { seccompForContainer, type ContainersSeccompProfile } from './seccomp-profile.ts';

const PROFILE: ContainersSeccompProfile = {
  defaultAction: 'SCMP_ACT_ERRNO',
  defaultErrnoRet: 38,
  archMap: [
    { architecture: 'SCMP_ARCH_X86_64', subArchitectures: ['SCMP_ARCH_X86', 'SCMP_ARCH_X32'] },
    { architecture: 'SCMP_ARCH_AARCH64', subArchitectures: ['SCMP_ARCH_ARM'] },
  ],
  syscalls: [
    { names: ['read', 'write'], action: 'SCMP_ACT_ALLOW', args: [] },
    { names: ['arch_prctl'], action: 'SCMP_ACT_ALLOW', includes: { arches: ['amd64', 'x32'] } },
    { names: ['bpf'], action: 'SCMP_ACT_ALLOW', includes: { caps: ['CAP_SYS_ADMIN'] } },
    {
      names: ['bpf'],
      action: 'SCMP_ACT_ERRNO',
      errnoRet: 1,
      excludes: { caps: ['CAP_SYS_ADMIN'] },
    },
    { names: ['s390_runtime_instr'], action: 'SCMP_ACT_ALLOW', excludes: { arches: ['amd64'] } },
    { names: ['pidfd_getfd'], action: 'SCMP_ACT_ALLOW', includes: { minKernel: '5.6' } },
    {
      names: ['personality'],
      action: 'SCMP_ACT_ALLOW',
      args: [{ index: 0, value: 8, valueTwo: 0, op: 'SCMP_CMP_EQ' }],
    },
  ],
};

const names = (profile: ReturnType<typeof seccompForContainer>) =>
  profile.syscalls.map((s) => `${s.names.join(',')}:${s.action}`);

describe('seccompForContainer', () => {
  test('without capabilities: the errno entries, not the ones a capability unlocks', () => {
    const result = seccompForContainer(PROFILE, {
      arch: 'amd64',
      capabilities: [],
      kernel: '6.1.0',
    });
    assert.deepEqual(names(result), [
      'read,write:SCMP_ACT_ALLOW',
      'arch_prctl:SCMP_ACT_ALLOW',
      'bpf:SCMP_ACT_ERRNO',
      'pidfd_getfd:SCMP_ACT_ALLOW',
      'personality:SCMP_ACT_ALLOW',
    ]);
    assert.equal(result.defaultAction, 'SCMP_ACT_ERRNO');
    assert.equal(result.defaultErrnoRet, 38);
    assert.deepEqual(result.architectures, ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32']);
    assert.equal(result.syscalls.find((s) => s.names[0] === 'bpf')?.errnoRet, 1);
    assert.deepEqual(result.syscalls.at(-1)?.args, [
      { index: 0, value: 8, valueTwo: 0, op: 'SCMP_CMP_EQ' },
    ]);
    assert.equal(result.syscalls[0]?.args, undefined, 'an empty args list is left out');
  });

  test('with the capability, the entry it unlocks replaces the errno one', () => {
    const result = seccompForContainer(PROFILE, {
      arch: 'amd64',
      capabilities: ['CAP_SYS_ADMIN'],
      kernel: '6.1.0',
    });
    assert.ok(names(result).includes('bpf:SCMP_ACT_ALLOW'));
    assert.ok(!names(result).includes('bpf:SCMP_ACT_ERRNO'));
  });

  test('architectures and kernel versions', () => {
    const arm = seccompForContainer(PROFILE, { arch: 'arm64', capabilities: [], kernel: '5.4.0' });
    assert.deepEqual(arm.architectures, ['SCMP_ARCH_AARCH64', 'SCMP_ARCH_ARM']);
    assert.ok(names(arm).includes('s390_runtime_instr:SCMP_ACT_ALLOW'));
    assert.ok(!names(arm).includes('arch_prctl:SCMP_ACT_ALLOW'));
    assert.ok(!names(arm).includes('pidfd_getfd:SCMP_ACT_ALLOW'), 'needs 5.6, kernel is 5.4');
    assert.throws(
      () => seccompForContainer(PROFILE, { arch: 'mips', capabilities: [], kernel: '6.1' }),
      /no seccomp architecture for mips/,
    );
  });

  test(
    'the runtime default profile of this machine, for a container that dropped ALL',
    { skip: existsSync(RUNTIME_DEFAULT_PROFILE) ? false : `no ${RUNTIME_DEFAULT_PROFILE}` },
    async () => {
      const profile = JSON.parse(
        await readFile(RUNTIME_DEFAULT_PROFILE, 'utf8'),
      ) as ContainersSeccompProfile;
      const result = seccompForContainer(profile, {
        arch: 'amd64',
        capabilities: [],
        kernel: '6.1.0',
      });
      const allowed = new Set(
        result.syscalls.filter((s) => s.action === 'SCMP_ACT_ALLOW').flatMap((s) => s.names),
      );
      for (const needed of ['read', 'epoll_wait', 'accept4', 'clone', 'mmap', 'socket']) {
        assert.ok(allowed.has(needed), `${needed} is allowed`);
      }
      for (const unlocked of [
        'bpf',
        'chroot',
        'init_module',
        'settimeofday',
        'open_by_handle_at',
      ]) {
        assert.ok(!allowed.has(unlocked), `${unlocked} needs a capability the container dropped`);
      }
    },
  );
});
