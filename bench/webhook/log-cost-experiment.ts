/**
 * What the decision log costs runtime-guard per review: the real `runtime-guard serve` (W) and
 * the same server with its log written synchronously, in 4 KiB batches, or not at all
 * (serve-variant.ts), taking turns under the same closed-loop load, with F1 (parse only) as the
 * floor. Prints the median server CPU per review of each. An experiment behind BENCHMARKS.md's
 * analysis, not part of `npm run bench`.
 *
 *   node bench/webhook/log-cost-experiment.ts [--rounds 5] [--payload "typical pod"] [--endpoint validate]
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { Endpoint } from '../../src/admission/review-request.ts';
import { createFixture } from './fixtures.ts';
import { buildGoPrograms } from './load.ts';
import { FULL, measureRun, type Context } from './measure.ts';
import { startServer, type RunningServer, type StartOptions } from './servers.ts';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '5' },
    payload: { type: 'string', default: 'typical pod' },
    endpoint: { type: 'string', default: 'validate' },
    connections: { type: 'string', default: '8' },
  },
});

const variants: { label: string; name: 'F1' | 'W'; logVariant?: StartOptions['logVariant'] }[] = [
  { label: 'F1 (parse only)', name: 'F1' },
  { label: 'W (runtime-guard serve)', name: 'W' },
  { label: 'W, log written synchronously', name: 'W', logVariant: 'sync' },
  { label: 'W, log in 4 KiB batches', name: 'W', logVariant: 'buffered' },
  { label: 'W, no decision log', name: 'W', logVariant: 'off' },
];

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

const dir = await mkdtemp(join(tmpdir(), 'runtime-guard-log-cost-'));
const running: RunningServer[] = [];
try {
  const fixture = await createFixture(dir);
  const payload = fixture.payloads.find((p) => p.name === values.payload);
  if (!payload) throw new Error(`no payload ${values.payload}`);
  const endpoint = values.endpoint as Endpoint;
  const { loadgen } = await buildGoPrograms(dir);
  const context: Context = { fixture, loadgen, settings: FULL, log: () => {} };
  for (const variant of variants) {
    running.push(
      await startServer(variant.name, fixture, payload, {
        core: FULL.serverCore,
        ...(variant.logVariant ? { logVariant: variant.logVariant } : {}),
      }),
    );
  }
  const load = (connections: number, seconds: number) =>
    ({
      mode: 'closed',
      connections,
      warmupSeconds: 0.3,
      durationSeconds: seconds,
      check: 'bytes',
    }) as const;
  for (const server of running) {
    await measureRun(context, server, payload, endpoint, 'warm-up', load(8, 1.5));
  }
  const cpu = running.map(() => [] as number[]);
  const throughput = running.map(() => [] as number[]);
  for (let round = 0; round < Number(values.rounds); round++) {
    for (const [i, server] of running.entries()) {
      const record = await measureRun(
        context,
        server,
        payload,
        endpoint,
        'sweep',
        load(Number(values.connections), 2),
      );
      cpu[i]?.push(record.result.server?.cpuMicrosPerRequest ?? NaN);
      throughput[i]?.push(record.result.throughput);
    }
  }
  process.stdout.write(
    `${payload.name} /${endpoint}, closed loop on ${values.connections} connections, median of ${values.rounds} rounds taken in turns\n`,
  );
  for (const [i, variant] of variants.entries()) {
    process.stdout.write(
      `  ${variant.label.padEnd(32)} ${median(cpu[i] ?? [])
        .toFixed(0)
        .padStart(5)} µs/review  ` +
        `${median(throughput[i] ?? [])
          .toFixed(0)
          .padStart(6)} reviews/s  ` +
        `(µs: ${(cpu[i] ?? []).map((x) => x.toFixed(0)).join(' ')})\n`,
    );
  }
} finally {
  for (const server of running) await server.stop();
  await rm(dir, { recursive: true, force: true });
}
