// The syscall tables (name → number per architecture) generated from the kernel's UAPI headers
// by scripts/profiles/generate-syscall-tables.ts; each data file records its source package,
// that package's version and the kernel version.

import aarch64 from './syscalls/aarch64.json' with { type: 'json' };
import x32 from './syscalls/x32.json' with { type: 'json' };
import x86 from './syscalls/x86.json' with { type: 'json' };
import x86_64 from './syscalls/x86_64.json' with { type: 'json' };

/** The architectures a profile can name, in our spelling (uname -m), and libseccomp's. */
export const SECCOMP_ARCHITECTURES = {
  x86_64: 'SCMP_ARCH_X86_64',
  x86: 'SCMP_ARCH_X86',
  x32: 'SCMP_ARCH_X32',
  aarch64: 'SCMP_ARCH_AARCH64',
} as const;

export type Arch = keyof typeof SECCOMP_ARCHITECTURES;
export type SeccompArch = (typeof SECCOMP_ARCHITECTURES)[Arch];

/** Architectures a trace can be recorded on (`--arch`); x86 and x32 are modes of x86_64. */
export const TRACE_ARCHITECTURES = ['x86_64', 'aarch64'] as const;
export type TraceArch = (typeof TRACE_ARCHITECTURES)[number];

export const X32_SYSCALL_BIT = 0x40000000;

export interface SyscallTable {
  arch: Arch;
  kernel: string;
  source: { package: string; version: string; suite: string; header: string };
  byName: ReadonlyMap<string, number>;
  byNumber: ReadonlyMap<number, string>;
}

interface TableFile {
  arch: string;
  kernel: string;
  source: { package: string; version: string; suite: string; header: string };
  syscalls: Record<string, number>;
}

function table(file: TableFile): SyscallTable {
  const byName = new Map(Object.entries(file.syscalls));
  const byNumber = new Map<number, string>();
  for (const [name, number] of byName) if (!byNumber.has(number)) byNumber.set(number, name);
  return { arch: file.arch as Arch, kernel: file.kernel, source: file.source, byName, byNumber };
}

export const SYSCALL_TABLES: Readonly<Record<Arch, SyscallTable>> = {
  x86_64: table(x86_64),
  x86: table(x86),
  x32: table(x32),
  aarch64: table(aarch64),
};

export function isArch(value: string): value is Arch {
  return Object.hasOwn(SECCOMP_ARCHITECTURES, value);
}

export function archOfSeccomp(value: string): Arch | undefined {
  return (Object.keys(SECCOMP_ARCHITECTURES) as Arch[]).find(
    (arch) => SECCOMP_ARCHITECTURES[arch] === value,
  );
}

/** The architecture a process of a trace recorded on `traceArch` runs in, by strace's mode. */
export function archOfMode(
  traceArch: TraceArch,
  mode: '64 bit' | '32 bit' | 'x32',
): Arch | undefined {
  if (mode === '64 bit') return traceArch;
  if (traceArch === 'x86_64') return mode === '32 bit' ? 'x86' : 'x32';
  return undefined; // 32-bit ARM tasks on aarch64: no table here
}

/** One sentence naming the tables' source, for reports and --help. */
export function tablesSource(): string {
  const { source, kernel } = SYSCALL_TABLES.x86_64;
  return `Linux ${kernel} UAPI headers (Debian ${source.package} ${source.version})`;
}
