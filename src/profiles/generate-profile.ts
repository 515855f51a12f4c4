// A profile from the syscalls of traces: what the application called, plus what the container
// runtime calls under the filter before the application starts (runtime-calls.ts).

import { runtimeCallNames, type Runtime } from './runtime-calls.ts';
import { buildAllowlistProfile, type AllowlistProfile } from './seccomp-profile.ts';
import {
  SECCOMP_ARCHITECTURES,
  SYSCALL_TABLES,
  tablesSource,
  type SeccompArch,
  type TraceArch,
} from './syscall-tables.ts';
import type { TraceLocation } from './strace-reader.ts';
import type { Noted, TraceReport } from './trace-syscalls.ts';

export interface GenerateOptions {
  /** The profile's architectures; the first is the one the traces were recorded on. */
  arches: readonly TraceArch[];
  runtimes: readonly Runtime[];
  /** true: the pods set allowPrivilegeEscalation: false; undefined: works either way. */
  noNewPrivileges: boolean | undefined;
  /** Accept traces with unreadable lines (they are still reported). */
  allowUnreadable: boolean;
}

export interface GeneratedProfile {
  profile: AllowlistProfile;
  /** Names added for the runtime, not seen in the traces. */
  runtimeNames: string[];
}

export interface ReportFindings {
  /** Problems that make the traces unusable as they are. */
  errors: string[];
  /** Facts the user should know; the profile is still made. */
  warnings: string[];
}

export function where(at: TraceLocation): string {
  return `${at.file}:${at.line}`;
}

function examples<T extends { at: TraceLocation }>(
  noted: Noted<T>,
  describe: (item: T) => string,
): string {
  const shown = noted.examples.map((item) => `${where(item.at)}: ${describe(item)}`).join('; ');
  return noted.count > noted.examples.length
    ? `${shown}; and ${noted.count - noted.examples.length} more`
    : shown;
}

/** What a set of traces says beyond its syscalls: errors first, then warnings. */
export function reportFindings(report: TraceReport, options: GenerateOptions): ReportFindings {
  const errors: string[] = [];
  const warnings: string[] = [];
  if (report.unknownNames.count > 0) {
    errors.push(
      `${report.unknownNames.count} call(s) to names that are no syscall in the ${tablesSource()}: ` +
        `${examples(report.unknownNames, (u) => `${u.name} (${u.arch})`)}. Container runtimes skip unknown names silently, so the call would be refused at run time; was the trace recorded on another architecture (--arch)?`,
    );
  }
  if (report.unsupportedMode.count > 0) {
    errors.push(
      `${report.unsupportedMode.count} call(s) in ${report.unsupportedMode.examples[0]?.mode} mode, which has no syscall table here: ${examples(report.unsupportedMode, (u) => u.name)}`,
    );
  }
  if (report.unreadable.count > 0) {
    const message = `${report.unreadable.count} line(s) are no strace output this reader knows: ${examples(report.unreadable, (u) => JSON.stringify(u.text.slice(0, 80)))}`;
    if (options.allowUnreadable) warnings.push(`${message} (ignored: --allow-unreadable)`);
    else
      errors.push(
        `${message}. Was the program's own output mixed into the trace (trace with -o FILE)? Pass --allow-unreadable to go on without them.`,
      );
  }
  if (report.uses.size === 0 && errors.length === 0) errors.push('the traces contain no syscall');
  if (report.truncated.count > 0) {
    warnings.push(
      `the last line of ${report.truncated.count} trace(s) is cut (strace stopped while writing it); its call counts: ${examples(report.truncated, (t) => t.name)}`,
    );
  }
  if (report.namedNumbers.count > 0) {
    warnings.push(
      `strace printed numbers it has no name for, named from the ${tablesSource()}: ${examples(report.namedNumbers, (n) => `0x${n.number.toString(16)} = ${n.name}`)}`,
    );
  }
  if (report.unknownNumbers.count > 0) {
    warnings.push(
      `calls to numbers no table here knows (the kernel answered ENOSYS, unless it is newer than Linux ${SYSCALL_TABLES.x86_64.kernel}); a profile can only allow named calls: ${examples(report.unknownNumbers, (n) => `0x${n.number.toString(16)} (${n.arch})`)}`,
    );
  }
  if (report.x32SixtyFour.count > 0) {
    warnings.push(
      `an x32 process called 64-bit-only numbers, which the kernel refuses under x32; not added: ${examples(report.x32SixtyFour, (x) => x.name)}`,
    );
  }
  return { errors, warnings };
}

/** Names of the trace's architecture that another profile architecture does not have. */
export function crossArchWarnings(report: TraceReport, arches: readonly TraceArch[]): string[] {
  const warnings: string[] = [];
  const traced = [...report.uses.values()].filter((u) => u.arch === report.traceArch);
  for (const arch of arches) {
    if (arch === report.traceArch) continue;
    const missing = traced
      .filter((u) => !SYSCALL_TABLES[arch].byName.has(u.name))
      .map((u) => u.name);
    warnings.push(
      `the traces were recorded on ${report.traceArch}; on ${arch} programs make other calls` +
        (missing.length > 0 ? ` (${arch} has no ${missing.sort().join(', ')})` : '') +
        `, and the runtime's calls were traced on x86_64: record on ${arch} too and merge the profiles (runtime-guard profile merge)`,
    );
  }
  return warnings;
}

export function generateProfile(report: TraceReport, options: GenerateOptions): GeneratedProfile {
  const names = new Set<string>();
  const architectures: SeccompArch[] = options.arches.map((arch) => SECCOMP_ARCHITECTURES[arch]);
  for (const use of report.uses.values()) {
    names.add(use.name);
    // 32-bit and x32 calls of an x86_64 trace need their architectures in the filter.
    architectures.push(SECCOMP_ARCHITECTURES[use.arch]);
  }
  const runtimeNames = runtimeCallNames(options.runtimes, options.noNewPrivileges).filter(
    (name) => !names.has(name),
  );
  for (const name of runtimeNames) names.add(name);
  return { profile: buildAllowlistProfile(names, architectures), runtimeNames };
}
