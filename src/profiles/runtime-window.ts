// The calls a container runtime makes under the container's own seccomp filter: after it
// installs the filter and up to the entrypoint's execve. A profile made from a trace of the
// application alone lacks them, and the container then fails to start.
//
// Read from an `strace -f` trace of the runtime (one file, so lines are in time order; with
// --pidns-translation, so the thread ids clone returns inside the container's pid namespace
// are the ones the trace prints). Which threads the filter covers follows the kernel's rules:
// prctl(PR_SET_SECCOMP) and seccomp() without SECCOMP_FILTER_FLAG_TSYNC filter the calling
// thread, with TSYNC every thread of its process; threads created later inherit the filter.
// The window closes when a filtered thread's execve succeeds.

import { resultNumber } from './strace-line.ts';
import type { TraceLocation, TracedCall } from './strace-reader.ts';

export interface RuntimeWindow {
  /** Where the filter was installed; undefined when the trace shows no filter. */
  filter: TraceLocation | undefined;
  /** The entrypoint's execve; undefined when the trace ends first. */
  execve: TraceLocation | undefined;
  /** Name → the first call of it in the window. */
  calls: Map<string, TraceLocation>;
}

const SPAWNS = new Set(['clone', 'clone3', 'fork', 'vfork']);

function isFilterInstall(call: TracedCall): { tsync: boolean } | undefined {
  const result = resultNumber(call.result);
  if (result === undefined || result < 0) return undefined;
  if (call.name === 'prctl' && call.args.startsWith('PR_SET_SECCOMP, SECCOMP_MODE_FILTER')) {
    return { tsync: false };
  }
  // libseccomp probes flags with a NULL program (EFAULT); only a real program counts.
  const seccomp = /^SECCOMP_SET_MODE_FILTER, ([^,]+), (?!NULL)/.exec(call.args);
  if (call.name === 'seccomp' && seccomp) {
    return { tsync: (seccomp[1] as string).split('|').includes('SECCOMP_FILTER_FLAG_TSYNC') };
  }
  return undefined;
}

/** Collects the window from calls in the order a StraceReader emits them. */
export class RuntimeWindowCollector {
  private readonly threadGroup = new Map<number, number>();
  private readonly filtered = new Set<number>();
  /** Entry line of the first filter install: calls entered after it may be filtered. */
  private filterLine: number | undefined;
  private closed = false;
  readonly window: RuntimeWindow = { filter: undefined, execve: undefined, calls: new Map() };

  private groupOf(tid: number): number {
    return this.threadGroup.get(tid) ?? tid;
  }

  call(call: TracedCall): void {
    if (this.closed || call.pid === undefined) return;
    const tid = call.pid;
    const inWindow =
      this.filterLine !== undefined && this.filtered.has(tid) && call.at.line > this.filterLine;
    if (inWindow && !this.window.calls.has(call.name)) this.window.calls.set(call.name, call.at);

    if (SPAWNS.has(call.name)) {
      const child = resultNumber(call.result);
      if (child !== undefined && child > 0) {
        const thread = /\bCLONE_THREAD\b/.test(call.args);
        this.threadGroup.set(child, thread ? this.groupOf(tid) : child);
        if (this.filtered.has(tid)) this.filtered.add(child);
      }
      return;
    }
    const install = isFilterInstall(call);
    if (install) {
      this.filterLine ??= call.at.line;
      this.window.filter ??= call.at;
      if (install.tsync) {
        const group = this.groupOf(tid);
        for (const [thread, owner] of this.threadGroup)
          if (owner === group) this.filtered.add(thread);
      }
      this.filtered.add(tid);
      return;
    }
    if (inWindow && call.name === 'execve' && resultNumber(call.result) === 0) {
      this.window.execve = call.at;
      this.closed = true;
    }
  }
}
