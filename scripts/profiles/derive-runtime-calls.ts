// Derives src/profiles/runtime-calls.json from the runtime traces kept in
// test/profiles/testdata/runtime (recorded by trace-runtimes.sh): for each runtime and
// no-new-privileges setting, the calls made under the container's filter before the
// entrypoint's execve, with the number of runs that made each.
//
// usage: node scripts/profiles/derive-runtime-calls.ts

import { writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { deriveRuntimeCalls, type RuntimeCallsData } from '../../src/profiles/runtime-calls.ts';
import { readRuntimeTraces, readTracedVersions } from './runtime-traces.ts';

const OUT = join(
  resolve(dirname(fileURLToPath(import.meta.url)), '..', '..'),
  'src',
  'profiles',
  'runtime-calls.json',
);

export const DERIVED_BY =
  'scripts/profiles/derive-runtime-calls.ts from test/profiles/testdata/runtime (scripts/profiles/trace-runtimes.sh)';

const traces = await readRuntimeTraces();
const data: RuntimeCallsData = {
  derivedBy: DERIVED_BY,
  traced: { ...(await readTracedVersions()), arch: 'x86_64' },
  runtimes: deriveRuntimeCalls(traces),
};
await writeFile(OUT, `${JSON.stringify(data, null, 2)}\n`);
process.stderr.write(`derive-runtime-calls: ${traces.length} traces → ${OUT}\n`);
