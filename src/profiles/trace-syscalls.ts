// The syscalls of one or more traces, each checked against the table of the architecture it was
// made in. A name no table knows is an error, since container runtimes skip unknown names
// silently and the call would then be refused at run time. Bounded: one entry per distinct
// syscall and architecture, and the first few examples of each kind of note.

import type { CountedCall, TraceLocation, TraceSink, TracedCall } from './strace-reader.ts';
import type { StraceMode } from './strace-line.ts';
import {
  archOfMode,
  SYSCALL_TABLES,
  X32_SYSCALL_BIT,
  type Arch,
  type TraceArch,
} from './syscall-tables.ts';

export interface SyscallUse {
  arch: Arch;
  name: string;
  calls: number;
  first: TraceLocation;
}

export interface Noted<T> {
  count: number;
  /** The first MAX_EXAMPLES occurrences. */
  examples: T[];
}

export interface TraceReport {
  traceArch: TraceArch;
  /** Keyed "arch:name". */
  uses: Map<string, SyscallUse>;
  /** Lines that are none of strace's forms. */
  unreadable: Noted<{ at: TraceLocation; text: string }>;
  /** The input's last line, cut (strace killed while writing it); the call still counts. */
  truncated: Noted<{ at: TraceLocation; name: string }>;
  /** Names no table of their architecture knows: errors. */
  unknownNames: Noted<{ at: TraceLocation; name: string; arch: Arch }>;
  /** "syscall_0x1c4": a number the tracing strace had no name for, named from our table. */
  namedNumbers: Noted<{ at: TraceLocation; number: number; name: string; arch: Arch }>;
  /** Numbers no table knows (the kernel answers ENOSYS); a profile can only name calls. */
  unknownNumbers: Noted<{ at: TraceLocation; number: number; arch: Arch }>;
  /** "rt_sigaction#64": an x32 process calling a 64-bit-only number, which the kernel refuses. */
  x32SixtyFour: Noted<{ at: TraceLocation; name: string }>;
  /** Calls in a mode with no table (32-bit ARM on aarch64). */
  unsupportedMode: Noted<{ at: TraceLocation; name: string; mode: StraceMode }>;
}

export const MAX_EXAMPLES = 5;

function noted<T>(): Noted<T> {
  return { count: 0, examples: [] };
}

function note<T>(list: Noted<T>, item: T): void {
  list.count += 1;
  if (list.examples.length < MAX_EXAMPLES) list.examples.push(item);
}

export function emptyReport(traceArch: TraceArch): TraceReport {
  return {
    traceArch,
    uses: new Map(),
    unreadable: noted(),
    truncated: noted(),
    unknownNames: noted(),
    namedNumbers: noted(),
    unknownNumbers: noted(),
    x32SixtyFour: noted(),
    unsupportedMode: noted(),
  };
}

const UNNAMED = /^syscall_(?:0x([0-9a-f]+)|(\d+))$/;

/** The architecture of a call: from its -n number when printed, else strace's mode line. */
function archOf(
  traceArch: TraceArch,
  name: string,
  number: number | undefined,
  mode: StraceMode | undefined,
): Arch | undefined {
  if (number !== undefined && traceArch === 'x86_64') {
    if (number >= X32_SYSCALL_BIT) return 'x32';
    if (SYSCALL_TABLES.x86_64.byName.get(name) === number) return 'x86_64';
    if (SYSCALL_TABLES.x86.byName.get(name) === number) return 'x86';
  }
  return archOfMode(traceArch, mode ?? '64 bit');
}

/** A sink for StraceReader that adds every call to `report`. */
export function reportSink(report: TraceReport): TraceSink {
  const add = (
    name: string,
    number: number | undefined,
    mode: StraceMode | undefined,
    calls: number,
    at: TraceLocation,
    truncated: boolean,
  ): void => {
    const arch = archOf(report.traceArch, name, number, mode);
    if (arch === undefined) {
      note(report.unsupportedMode, { at, name, mode: mode ?? '64 bit' });
      return;
    }
    const table = SYSCALL_TABLES[arch];
    let known = name;
    const unnamed = UNNAMED.exec(name);
    if (unnamed) {
      const value = unnamed[1] !== undefined ? parseInt(unnamed[1], 16) : Number(unnamed[2]);
      const resolved =
        table.byNumber.get(value) ??
        (arch === 'x32' ? table.byNumber.get(value | X32_SYSCALL_BIT) : undefined);
      if (resolved === undefined) {
        note(report.unknownNumbers, { at, number: value, arch });
        return;
      }
      note(report.namedNumbers, { at, number: value, name: resolved, arch });
      known = resolved;
    } else if (name.endsWith('#64')) {
      if (arch === 'x32' && SYSCALL_TABLES.x86_64.byName.has(name.slice(0, -3))) {
        note(report.x32SixtyFour, { at, name });
      } else {
        note(report.unknownNames, { at, name, arch });
      }
      return;
    } else if (!table.byName.has(name)) {
      note(report.unknownNames, { at, name, arch });
      return;
    }
    if (truncated) note(report.truncated, { at, name: known });
    const key = `${arch}:${known}`;
    const use = report.uses.get(key);
    if (use) use.calls += calls;
    else report.uses.set(key, { arch, name: known, calls, first: at });
  };
  return {
    call(call: TracedCall) {
      add(call.name, call.number, call.mode, 1, call.at, call.truncated);
    },
    counted(row: CountedCall) {
      add(row.name, undefined, row.mode, row.calls, row.at, false);
    },
    unreadable(at: TraceLocation, text: string) {
      note(report.unreadable, { at, text });
    },
  };
}

/** The names used per architecture, sorted. */
export function namesByArch(report: TraceReport): Map<Arch, string[]> {
  const byArch = new Map<Arch, Set<string>>();
  for (const use of report.uses.values()) {
    let names = byArch.get(use.arch);
    if (!names) byArch.set(use.arch, (names = new Set()));
    names.add(use.name);
  }
  return new Map([...byArch].map(([arch, names]) => [arch, [...names].sort()]));
}
