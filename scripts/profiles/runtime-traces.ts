// Reads the runtime traces kept in test/profiles/testdata/runtime (trace-runtimes.sh) into
// their windows; shared by derive-runtime-calls.ts and the test that re-derives the list.

import { readdir, readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RUNTIMES, type Runtime, type TracedRuntime } from '../../src/profiles/runtime-calls.ts';
import { RuntimeWindowCollector } from '../../src/profiles/runtime-window.ts';
import { readTraceFile } from '../../src/profiles/trace-files.ts';

export const RUNTIME_TRACES = resolve(
  dirname(fileURLToPath(import.meta.url)),
  '..',
  '..',
  'test',
  'profiles',
  'testdata',
  'runtime',
);

const TRACE_NAME = /^(runc|crun)-nnp-(true|false)-uid(\d+)-(\d+)\.txt(?:\.gz)?$/;

export interface RuntimeTrace extends TracedRuntime {
  file: string;
}

/** Every trace of `directory` with its window; throws when one shows no filter or no execve. */
export async function readRuntimeTraces(directory = RUNTIME_TRACES): Promise<RuntimeTrace[]> {
  const traces: RuntimeTrace[] = [];
  for (const name of (await readdir(directory)).sort()) {
    const match = TRACE_NAME.exec(name);
    if (!match) continue;
    const collector = new RuntimeWindowCollector();
    const file = join(directory, name);
    await readTraceFile(
      { path: file, pid: undefined },
      { call: (call) => collector.call(call), counted() {}, unreadable() {} },
    );
    const { window } = collector;
    if (!window.filter || !window.execve) {
      throw new Error(
        `${name}: no ${window.filter ? 'entrypoint execve' : 'seccomp filter'} found`,
      );
    }
    traces.push({
      file,
      runtime: match[1] as Runtime,
      noNewPrivileges: match[2] === 'true',
      window,
    });
  }
  for (const runtime of RUNTIMES) {
    if (!traces.some((t) => t.runtime === runtime))
      throw new Error(`no ${runtime} trace in ${directory}`);
  }
  return traces;
}

/** versions.txt: "runc 1.1.5+ds1-1+deb12u1" lines. */
export async function readTracedVersions(
  directory = RUNTIME_TRACES,
): Promise<Record<string, string>> {
  const text = await readFile(join(directory, 'versions.txt'), 'utf8');
  const versions: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const [name, ...rest] = line.trim().split(' ');
    if (name) versions[name] = rest.join(' ');
  }
  return versions;
}
