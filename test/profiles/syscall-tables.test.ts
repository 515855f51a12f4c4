// The shipped syscall tables (Linux 6.12, generated from Debian trixie's linux-libc-dev by
// scripts/profiles/generate-syscall-tables.ts) against two independent sources on this
// machine: the older kernel headers Debian 12 installs (every call they list has the same number
// in ours: tables only grow), and libseccomp's own resolver, which the runtimes use to turn a
// profile's names into numbers.

import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { SYSCALL_TABLES, X32_SYSCALL_BIT, type Arch } from '../../src/profiles/syscall-tables.ts';

const HEADERS = {
  x86_64: '/usr/include/x86_64-linux-gnu/asm/unistd_64.h',
  x86: '/usr/include/x86_64-linux-gnu/asm/unistd_32.h',
  x32: '/usr/include/x86_64-linux-gnu/asm/unistd_x32.h',
} as const;

const RESOLVER_ARCH: Record<Arch, string> = {
  x86_64: 'x86_64',
  x86: 'x86',
  x32: 'x32',
  aarch64: 'aarch64',
};

function toolsSkip(): string | false {
  const missing: string[] = [];
  if (spawnSync('sh', ['-c', 'command -v scmp_sys_resolver'], { stdio: 'ignore' }).status !== 0) {
    missing.push('scmp_sys_resolver (Debian package seccomp)');
  }
  if (!existsSync(HEADERS.x86_64)) missing.push('the kernel headers (linux-libc-dev)');
  if (missing.length === 0) return false;
  const reason = `syscall table cross-checks: missing ${missing.join(', ')} (run scripts/profiles/install-tools.sh)`;
  if (process.env['CI']) throw new Error(`${reason}, and CI is set: these checks must run`);
  return reason;
}

const skip = toolsSkip();

function headerTable(path: string, x32: boolean): Map<string, number> {
  const table = new Map<string, number>();
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    const match = x32
      ? /^#define __NR_(\w+) \(__X32_SYSCALL_BIT \+ (\d+)\)$/.exec(line)
      : /^#define __NR_(\w+) (\d+)$/.exec(line);
    if (match) table.set(match[1] as string, Number(match[2]) + (x32 ? X32_SYSCALL_BIT : 0));
  }
  return table;
}

describe('syscall tables', () => {
  it('record where they come from', () => {
    for (const table of Object.values(SYSCALL_TABLES)) {
      assert.equal(table.source.package, 'linux-libc-dev');
      assert.match(table.source.version, /^\d+\.\d+/);
      assert.ok(table.source.version.startsWith(table.kernel), table.arch);
      assert.ok(table.byName.size > 300, `${table.arch}: ${table.byName.size} calls`);
    }
    // Calls of recent kernels are there, which a table from strace 6.1 or libseccomp 2.5 lacks.
    for (const arch of ['x86_64', 'aarch64'] as const) {
      assert.equal(SYSCALL_TABLES[arch].byName.get('fchmodat2'), 452);
      assert.equal(SYSCALL_TABLES[arch].byName.get('mseal'), 462);
    }
    // The legacy calls the generic (aarch64) table never had.
    assert.ok(SYSCALL_TABLES.x86_64.byName.has('open'));
    assert.ok(!SYSCALL_TABLES.aarch64.byName.has('open'));
  });

  it(
    "agree with the headers installed here (Debian 12's linux-libc-dev) on every call those list",
    { skip },
    () => {
      const version = execFileSync('dpkg-query', ['-W', '-f', '${Version}', 'linux-libc-dev'], {
        encoding: 'utf8',
      });
      for (const [arch, path] of Object.entries(HEADERS) as [keyof typeof HEADERS, string][]) {
        const installed = headerTable(path, arch === 'x32');
        assert.ok(installed.size > 300, `${path}: ${installed.size} calls`);
        const ours = SYSCALL_TABLES[arch].byName;
        const differing = [...installed].filter(([name, number]) => ours.get(name) !== number);
        assert.deepEqual(differing, [], `${arch}: linux-libc-dev ${version} vs ours`);
      }
    },
  );

  it(
    "agree with libseccomp's resolver on every call it knows, on all four architectures",
    { skip },
    () => {
      for (const [arch, table] of Object.entries(SYSCALL_TABLES) as [
        Arch,
        (typeof SYSCALL_TABLES)[Arch],
      ][]) {
        const names = [...table.byName.keys()];
        // One shell for the whole table: a process per name, not a Node.js spawn per name.
        const output = execFileSync(
          'sh',
          [
            '-c',
            'a=$1; shift; for n in "$@"; do scmp_sys_resolver -a "$a" "$n"; done',
            'sh',
            RESOLVER_ARCH[arch],
            ...names,
          ],
          { encoding: 'utf8' },
        )
          .trim()
          .split('\n');
        assert.equal(output.length, names.length);
        let known = 0;
        const differing: string[] = [];
        names.forEach((name, index) => {
          const resolved = Number(output[index]);
          if (resolved < 0) return; // a call this libseccomp is too old to know
          known += 1;
          if (resolved !== table.byName.get(name))
            differing.push(`${name}: ours ${table.byName.get(name)}, libseccomp ${resolved}`);
        });
        assert.deepEqual(differing, [], arch);
        assert.ok(
          known > names.length * 0.9,
          `${arch}: libseccomp knows ${known} of ${names.length}`,
        );
      }
    },
  );
});
