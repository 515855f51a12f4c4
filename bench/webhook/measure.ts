/**
 * The measurement plan for one payload and endpoint, for each server (a "cell"):
 *
 * 1. warm-up: closed loop, 8 connections, not recorded (JIT, caches);
 * 2. saturation: a closed-loop sweep over concurrency (1, 2, 4, …) until two steps in a row
 *    add less than 3 % throughput; the best throughput is the saturation point;
 * 3. latency: fixed-rate runs at 25/50/75/90 % of that saturation point;
 * 4. capacity: the highest of those rates with p99 ≤ 5 ms and no error (once a rate overloads
 *    the server, higher ones are not run);
 * 5. for runtime-guard (W) also a run at 50 % of its capacity, and for the large pod one at
 *    100 reviews/s (the goals).
 *
 * The three servers take turns at every step. Every run records the load generator's figures,
 * the server's event-loop delay and memory, and the load average of the machine.
 */
import { loadavg } from 'node:os';
import type { Endpoint } from '../../src/admission/review-request.ts';
import type { Fixture, PayloadFiles } from './fixtures.ts';
import { runLoad, type LatencySummary, type LoadOptions, type LoadResult } from './load.ts';
import type { EventLoopDelay, MemoryMiB, RunningServer, ServerName } from './servers.ts';

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
  sweepWarmupSeconds: 0.3,
  sweepSeconds: 1.5,
  fractions: [0.25, 0.5, 0.75, 0.9],
  fixedWarmupSeconds: 0.5,
  fixedSeconds: 3,
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
  memoryMiB: MemoryMiB;
  /** Why the run was disturbed by other processes, if it was. */
  disturbed?: string;
  /** A disturbed run that was run again: kept in the raw data, left out of the figures. */
  superseded?: boolean;
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
    ...(await server.probeReport()),
    result,
  };
  context.log(describeRun(record));
  return record;
}

/** Other processes on either core, or a client that could not keep its schedule. */
export function disturbance(result: LoadResult): string | undefined {
  const reasons: string[] = [];
  const serverOther = result.server?.otherLoadOnCore ?? 0;
  if (serverOther > 0.03)
    reasons.push(`other processes took ${pct(serverOther)} of the server core`);
  const clientOther = result.clientOtherLoad ?? 0;
  if (clientOther > 0.05)
    reasons.push(`other processes took ${pct(clientOther)} of the client core`);
  // A client that falls behind its schedule because the server is overloaded and all its
  // connections wait is no disturbance: the run fails either way.
  const overloaded = result.queuedForConnection > 0;
  if (result.mode === 'open' && !overloaded && result.lateSends > 0.002 * result.completed) {
    reasons.push(`${result.lateSends} requests left the client over 1 ms late`);
  }
  return reasons.length > 0 ? reasons.join('; ') : undefined;
}

/**
 * Why a fixed-rate run deserves a second try: disturbed, or over the p99 limit although nothing
 * queued for a connection, the mark of a stall of a few milliseconds from outside more often
 * than of a server that cannot keep up (on a shared machine such stalls come and go).
 */
function retryReason(result: LoadResult, p99LimitMs: number): string | undefined {
  const disturbed = disturbance(result);
  if (disturbed) return disturbed;
  const p99 = result.latencyMs?.p99 ?? Infinity;
  if (result.mode === 'open' && result.queuedForConnection === 0 && p99 > p99LimitMs) {
    return `p99 ${p99.toFixed(1)} ms over the limit with nothing queued`;
  }
  return undefined;
}

const pct = (share: number) => `${(share * 100).toFixed(0)} %`;

/**
 * A timed run that is repeated once when other processes disturbed it, or when it missed the
 * latency limit with nothing queued (see retryReason); the repeat counts, whatever it shows.
 * Both go into `records`.
 */
export async function measureSteadyRun(
  records: RunRecord[],
  ...args: Parameters<typeof measureRun>
): Promise<RunRecord> {
  const limit = args[0].settings.p99LimitMs;
  const first = await measureRun(...args);
  first.disturbed = disturbance(first.result);
  records.push(first);
  const reason = retryReason(first.result, limit);
  if (!reason) return first;
  args[0].log(`    ${reason}: running it again`);
  first.superseded = true;
  const second = await measureRun(...args);
  second.disturbed = disturbance(second.result);
  records.push(second);
  return second;
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
class CellRun {
  private readonly first: number;
  private best: RunRecord | undefined;
  private flat = 0;
  sweeping = true;
  private capacity = 0;
  private capacityFraction = 0;
  private halfCapacity: Cell['halfCapacity'];
  private largePodRate: Cell['largePodRate'];

  private readonly context: Context;
  private readonly server: RunningServer;
  private readonly payload: PayloadFiles;
  private readonly endpoint: Endpoint;
  private readonly records: RunRecord[];

  constructor(
    context: Context,
    server: RunningServer,
    payload: PayloadFiles,
    endpoint: Endpoint,
    records: RunRecord[],
  ) {
    this.context = context;
    this.server = server;
    this.payload = payload;
    this.endpoint = endpoint;
    this.records = records;
    this.first = records.length;
  }

  private closed(connections: number, warmupSeconds: number, durationSeconds: number) {
    return { mode: 'closed', connections, warmupSeconds, durationSeconds, check: 'bytes' } as const;
  }

  async warmUp(): Promise<void> {
    const { context, server, payload, endpoint } = this;
    const closed = this.closed(8, 0, context.settings.warmupSeconds);
    this.records.push(await measureRun(context, server, payload, endpoint, 'warm-up', closed));
  }

  /** One step of the sweep; `sweeping` turns false once two steps in a row add under 3 %. */
  async sweep(concurrency: number): Promise<void> {
    const { context, server, payload, endpoint } = this;
    const { settings } = context;
    const record = await measureSteadyRun(
      this.records,
      context,
      server,
      payload,
      endpoint,
      'sweep',
      this.closed(concurrency, settings.sweepWarmupSeconds, settings.sweepSeconds),
      { concurrency },
    );
    const best = this.best;
    const gained = !best || record.result.throughput > best.result.throughput * 1.03;
    if (!best || record.result.throughput > best.result.throughput) this.best = record;
    this.flat = gained ? 0 : this.flat + 1;
    if (this.flat >= 2) this.sweeping = false;
  }

  get saturation(): number {
    if (!this.best) throw new Error('no sweep run yet');
    return this.best.result.throughput;
  }

  /** False once a fixed rate overloaded the server: higher rates would only queue longer. */
  fixing = true;

  async fixed(fraction: number): Promise<void> {
    const rate = this.saturation * fraction;
    const record = await this.fixedRate(rate, 'fixed-rate', fraction);
    const { p99LimitMs } = this.context.settings;
    if (passes(record, p99LimitMs)) {
      this.capacity = rate;
      this.capacityFraction = fraction;
    } else if (overloaded(record, p99LimitMs)) {
      this.fixing = false;
    }
  }

  /** W only: the run at half its capacity, and the large pod at the goal's rate. */
  async goalRuns(): Promise<void> {
    if (this.server.name !== 'W') return;
    const summary = (record: RunRecord, rate: number) => ({
      rate,
      latencyMs: record.result.latencyMs,
      errors: record.result.errors,
    });
    if (this.capacity > 0) {
      const rate = this.capacity / 2;
      this.halfCapacity = summary(await this.fixedRate(rate, 'half-capacity'), rate);
    }
    if (this.payload.name === 'large pod') {
      const rate = this.context.settings.largePodRate;
      this.largePodRate = summary(await this.fixedRate(rate, 'large-pod-rate'), rate);
    }
  }

  cell(): Cell {
    if (!this.best) throw new Error('no sweep run yet');
    const own = this.records
      .slice(this.first)
      .filter((record) => record.server === this.server.name);
    return {
      server: this.server.name,
      payload: this.payload.name,
      endpoint: this.endpoint,
      saturation: this.saturation,
      saturationConcurrency: this.best.result.connections,
      cpuMicrosPerReview: this.best.result.server?.cpuMicrosPerRequest ?? 0,
      capacity: this.capacity,
      capacityFraction: this.capacityFraction,
      errors: own.reduce((sum, record) => sum + record.result.errors, 0),
      peakRssMiB: Math.max(...own.map((record) => record.result.server?.peakRssMiB ?? 0)),
      ...(this.halfCapacity ? { halfCapacity: this.halfCapacity } : {}),
      ...(this.largePodRate ? { largePodRate: this.largePodRate } : {}),
    };
  }

  private fixedRate(rate: number, phase: Phase, fraction?: number): Promise<RunRecord> {
    const { settings } = this.context;
    return measureSteadyRun(
      this.records,
      this.context,
      this.server,
      this.payload,
      this.endpoint,
      phase,
      {
        mode: 'open',
        connections: settings.openConnections,
        rate,
        warmupSeconds: settings.fixedWarmupSeconds,
        durationSeconds: settings.fixedSeconds,
        check: 'bytes',
      },
      fraction === undefined ? { targetRate: rate } : { targetRate: rate, fraction },
    );
  }
}

/**
 * Every step of the plan, for one payload and endpoint, run on each server in turn (F0, F1, W,
 * F0, …), so that a machine that slows down or speeds up during the run moves all three alike.
 */
export async function measureSideBySide(
  context: Context,
  servers: readonly RunningServer[],
  payload: PayloadFiles,
  endpoint: Endpoint,
  records: RunRecord[],
): Promise<Cell[]> {
  const runs = servers.map((server) => new CellRun(context, server, payload, endpoint, records));
  for (const run of runs) await run.warmUp();
  for (const concurrency of context.settings.sweepConcurrency) {
    for (const run of runs) if (run.sweeping) await run.sweep(concurrency);
  }
  for (const fraction of context.settings.fractions) {
    for (const run of runs) if (run.fixing) await run.fixed(fraction);
  }
  for (const run of runs) await run.goalRuns();
  return runs.map((run) => run.cell());
}

/** Requests queued for a connection and a p99 ten times the limit: the server could not keep up. */
export function overloaded(record: RunRecord, p99LimitMs: number): boolean {
  const { result } = record;
  return (
    result.queuedForConnection > 0.01 * result.completed &&
    (result.latencyMs?.p99 ?? Infinity) > 10 * p99LimitMs
  );
}

export function passes(record: RunRecord, p99LimitMs: number): boolean {
  const latency = record.result.latencyMs;
  return record.result.errors === 0 && latency !== null && latency.p99 <= p99LimitMs;
}
