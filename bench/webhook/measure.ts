/**
 * The measurement plan for one server on one payload and endpoint (a "cell"):
 *
 * 1. warm-up: closed loop, 8 connections, not recorded (JIT, caches);
 * 2. saturation: a closed-loop sweep over concurrency (1, 2, 4, …) until two steps in a row
 *    add less than 3 % throughput; the best throughput is the saturation point;
 * 3. latency: fixed-rate runs at 25/50/75/90 % of that saturation point;
 * 4. capacity: the highest of those rates with p99 ≤ 5 ms and no error;
 * 5. for runtime-guard (W) also a run at 50 % of its capacity, and for the large pod one at
 *    100 reviews/s (the goals).
 *
 * Every run records the load generator's figures, the server's event-loop delay and the load
 * average of the machine.
 */
import { loadavg } from 'node:os';
import type { Endpoint } from '../../src/admission/review-request.ts';
import type { Fixture, PayloadFiles } from './fixtures.ts';
import { runLoad, type LatencySummary, type LoadOptions, type LoadResult } from './load.ts';
import type { EventLoopDelay, RunningServer, ServerName } from './servers.ts';

export interface Settings {
  serverCore: number | undefined;
  clientCore: number | undefined;
  warmupSeconds: number;
  sweepConcurrency: readonly number[];
  sweepWarmupSeconds: number;
  sweepSeconds: number;
  fractions: readonly number[];
  fixedWarmupSeconds: number;
  fixedSeconds: number;
  openConnections: number;
  p99LimitMs: number;
  largePodRate: number;
  largePodP99LimitMs: number;
}

export const FULL: Settings = {
  serverCore: 1,
  clientCore: 0,
  warmupSeconds: 1.5,
  sweepConcurrency: [1, 2, 4, 8, 16, 32],
  sweepWarmupSeconds: 0.5,
  sweepSeconds: 2,
  fractions: [0.25, 0.5, 0.75, 0.9],
  fixedWarmupSeconds: 0.5,
  fixedSeconds: 4,
  openConnections: 32,
  p99LimitMs: 5,
  largePodRate: 100,
  largePodP99LimitMs: 20,
};

export type Phase =
  'correctness' | 'warm-up' | 'sweep' | 'fixed-rate' | 'half-capacity' | 'large-pod-rate' | 'smoke';

export interface RunRecord {
  server: ServerName;
  payload: string;
  endpoint: Endpoint;
  phase: Phase;
  concurrency?: number;
  /** Share of the saturation throughput a fixed-rate run asked for. */
  fraction?: number;
  targetRate?: number;
  at: string;
  loadAverage: number[];
  eventLoopDelayMs: EventLoopDelay;
  result: LoadResult;
}

export interface Cell {
  server: ServerName;
  payload: string;
  endpoint: Endpoint;
  saturation: number;
  saturationConcurrency: number;
  /** Server CPU per review at the saturation point (µs). */
  cpuMicrosPerReview: number;
  /** Highest fixed rate with p99 within the limit and no error; 0 if none. */
  capacity: number;
  capacityFraction: number;
  errors: number;
  peakRssMiB: number;
  /** W only: the run at half its capacity. */
  halfCapacity?: { rate: number; latencyMs: LatencySummary | null; errors: number };
  /** W on the large pod only: the run at the fixed rate of the goal. */
  largePodRate?: { rate: number; latencyMs: LatencySummary | null; errors: number };
}

export interface Context {
  fixture: Fixture;
  loadgen: string;
  settings: Settings;
  log: (line: string) => void;
}

export async function measureRun(
  context: Context,
  server: RunningServer,
  payload: PayloadFiles,
  endpoint: Endpoint,
  phase: Phase,
  load: Pick<
    LoadOptions,
    'mode' | 'connections' | 'rate' | 'warmupSeconds' | 'durationSeconds' | 'requests' | 'check'
  >,
  extra: Pick<RunRecord, 'concurrency' | 'fraction' | 'targetRate'> = {},
): Promise<RunRecord> {
  const { fixture, settings } = context;
  await server.resetProbe();
  const result = await runLoad(context.loadgen, {
    ...load,
    url: server.url(endpoint),
    caFile: fixture.caFile,
    bodyFile: payload.bodyFile,
    expectFile: payload.responseFile[endpoint],
    uid: payload.uid,
    serverPid: server.pid,
    serverCore: settings.serverCore,
    clientCore: settings.clientCore,
  });
  const record: RunRecord = {
    server: server.name,
    payload: payload.name,
    endpoint,
    phase,
    ...extra,
    at: new Date().toISOString(),
    loadAverage: loadavg().map((n) => Math.round(n * 100) / 100),
    eventLoopDelayMs: await server.probeReport(),
    result,
  };
  context.log(describeRun(record));
  return record;
}

export function describeRun(record: RunRecord): string {
  const { result } = record;
  const what =
    result.mode === 'closed'
      ? `closed c=${result.connections}`
      : `open ${Math.round(result.rate ?? 0)}/s`;
  const latency = result.latencyMs;
  const figures = latency
    ? `p50 ${latency.p50.toFixed(2)} p99 ${latency.p99.toFixed(2)} p99.9 ${latency.p999.toFixed(2)} ms`
    : 'no latency';
  const server = result.server
    ? ` server ${(result.server.cpu * 100).toFixed(0)}% ${result.server.cpuMicrosPerRequest.toFixed(0)}µs/req rss ${result.server.peakRssMiB.toFixed(0)}MiB`
    : '';
  const errors = result.errors
    ? ` ERRORS ${JSON.stringify(result.errorKinds)} ${JSON.stringify(result.errorSamples).slice(0, 300)}`
    : '';
  return (
    `  ${record.server} ${record.payload} /${record.endpoint} ${record.phase} ${what}: ` +
    `${result.throughput.toFixed(0)}/s ${figures}${server} client ${(result.clientCpu * 100).toFixed(0)}%` +
    ` eld p99 ${record.eventLoopDelayMs.p99.toFixed(2)}ms load ${record.loadAverage.join(' ')}${errors}`
  );
}

/** Saturation sweep, fixed-rate runs and capacity for one server, payload and endpoint. */
export async function measureCell(
  context: Context,
  server: RunningServer,
  payload: PayloadFiles,
  endpoint: Endpoint,
  records: RunRecord[],
): Promise<Cell> {
  const { settings } = context;
  const own: RunRecord[] = [];
  const keep = (record: RunRecord) => {
    own.push(record);
    records.push(record);
    return record;
  };

  keep(
    await measureRun(context, server, payload, endpoint, 'warm-up', {
      mode: 'closed',
      connections: 8,
      durationSeconds: settings.warmupSeconds,
      check: 'bytes',
    }),
  );

  let best: RunRecord | undefined;
  let flat = 0;
  for (const concurrency of settings.sweepConcurrency) {
    const record = keep(
      await measureRun(
        context,
        server,
        payload,
        endpoint,
        'sweep',
        {
          mode: 'closed',
          connections: concurrency,
          warmupSeconds: settings.sweepWarmupSeconds,
          durationSeconds: settings.sweepSeconds,
          check: 'bytes',
        },
        { concurrency },
      ),
    );
    const gained = !best || record.result.throughput > best.result.throughput * 1.03;
    if (!best || record.result.throughput > best.result.throughput) best = record;
    flat = gained ? 0 : flat + 1;
    if (flat >= 2) break;
  }
  if (!best) throw new Error('empty concurrency sweep');
  const saturation = best.result.throughput;

  let capacity = 0;
  let capacityFraction = 0;
  for (const fraction of settings.fractions) {
    const rate = saturation * fraction;
    const record = keep(await fixedRate(context, server, payload, endpoint, rate, 'fixed-rate'));
    record.fraction = fraction;
    if (passes(record, settings.p99LimitMs)) {
      capacity = rate;
      capacityFraction = fraction;
    }
  }

  const cell: Cell = {
    server: server.name,
    payload: payload.name,
    endpoint,
    saturation,
    saturationConcurrency: best.result.connections,
    cpuMicrosPerReview: best.result.server?.cpuMicrosPerRequest ?? 0,
    capacity,
    capacityFraction,
    errors: 0,
    peakRssMiB: 0,
  };

  if (server.name === 'W' && capacity > 0) {
    const record = keep(
      await fixedRate(context, server, payload, endpoint, capacity / 2, 'half-capacity'),
    );
    cell.halfCapacity = {
      rate: capacity / 2,
      latencyMs: record.result.latencyMs,
      errors: record.result.errors,
    };
  }
  if (server.name === 'W' && payload.name === 'large pod') {
    const record = keep(
      await fixedRate(context, server, payload, endpoint, settings.largePodRate, 'large-pod-rate'),
    );
    cell.largePodRate = {
      rate: settings.largePodRate,
      latencyMs: record.result.latencyMs,
      errors: record.result.errors,
    };
  }
  cell.errors = own.reduce((sum, record) => sum + record.result.errors, 0);
  cell.peakRssMiB = Math.max(...own.map((record) => record.result.server?.peakRssMiB ?? 0));
  return cell;
}

function fixedRate(
  context: Context,
  server: RunningServer,
  payload: PayloadFiles,
  endpoint: Endpoint,
  rate: number,
  phase: Phase,
): Promise<RunRecord> {
  const { settings } = context;
  return measureRun(
    context,
    server,
    payload,
    endpoint,
    phase,
    {
      mode: 'open',
      connections: settings.openConnections,
      rate,
      warmupSeconds: settings.fixedWarmupSeconds,
      durationSeconds: settings.fixedSeconds,
      check: 'bytes',
    },
    { targetRate: rate },
  );
}

export function passes(record: RunRecord, p99LimitMs: number): boolean {
  const latency = record.result.latencyMs;
  return record.result.errors === 0 && latency !== null && latency.p99 <= p99LimitMs;
}
