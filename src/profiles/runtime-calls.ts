// The calls each container runtime makes under the container's filter, before the entrypoint
// runs (runtime-window.ts), as derived from the traces in test/profiles/testdata/runtime by
// scripts/profiles/derive-runtime-calls.ts. They differ by runtime and with no-new-privileges:
// without it runc and crun install the filter before dropping privileges (a privileged
// operation otherwise), so setuid, capset and the rest run under it; with it they install it
// just before execve. Kubernetes sets no-new-privileges when a container has
// `allowPrivilegeEscalation: false`.

import data from './runtime-calls.json' with { type: 'json' };
import type { RuntimeWindow } from './runtime-window.ts';

export const RUNTIMES = ['runc', 'crun'] as const;
export type Runtime = (typeof RUNTIMES)[number];

export interface RuntimeCallsEvidence {
  /** How many traces this list was derived from. */
  runs: number;
  /** Name → in how many of those runs it was called under the filter. */
  calls: Record<string, number>;
}

export interface RuntimeCallsData {
  derivedBy: string;
  traced: Record<string, string>;
  runtimes: Record<
    Runtime,
    { noNewPrivileges: RuntimeCallsEvidence; withoutNoNewPrivileges: RuntimeCallsEvidence }
  >;
}

export const RUNTIME_CALLS: RuntimeCallsData = data;

export interface TracedRuntime {
  runtime: Runtime;
  noNewPrivileges: boolean;
  window: RuntimeWindow;
}

/** The evidence of several traced starts, per runtime and no-new-privileges setting. */
export function deriveRuntimeCalls(traces: readonly TracedRuntime[]): RuntimeCallsData['runtimes'] {
  const empty = (): RuntimeCallsEvidence => ({ runs: 0, calls: {} });
  const runtimes = {
    runc: { noNewPrivileges: empty(), withoutNoNewPrivileges: empty() },
    crun: { noNewPrivileges: empty(), withoutNoNewPrivileges: empty() },
  };
  for (const trace of traces) {
    const evidence =
      runtimes[trace.runtime][trace.noNewPrivileges ? 'noNewPrivileges' : 'withoutNoNewPrivileges'];
    evidence.runs += 1;
    for (const name of trace.window.calls.keys())
      evidence.calls[name] = (evidence.calls[name] ?? 0) + 1;
  }
  for (const runtime of Object.values(runtimes)) {
    for (const evidence of [runtime.noNewPrivileges, runtime.withoutNoNewPrivileges]) {
      evidence.calls = Object.fromEntries(
        Object.entries(evidence.calls).sort(([a], [b]) => a.localeCompare(b)),
      );
    }
  }
  return runtimes;
}

/**
 * The names to add to a profile for these runtimes; with `noNewPrivileges` undefined, the
 * union of both settings, so the profile works whether or not the pod sets it.
 */
export function runtimeCallNames(
  runtimes: readonly Runtime[],
  noNewPrivileges: boolean | undefined,
): string[] {
  const names = new Set<string>();
  for (const runtime of runtimes) {
    const entry = RUNTIME_CALLS.runtimes[runtime];
    const settings =
      noNewPrivileges === undefined
        ? [entry.noNewPrivileges, entry.withoutNoNewPrivileges]
        : [noNewPrivileges ? entry.noNewPrivileges : entry.withoutNoNewPrivileges];
    for (const evidence of settings)
      for (const name of Object.keys(evidence.calls)) names.add(name);
  }
  return [...names].sort();
}
