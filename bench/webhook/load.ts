/**
 * The load generator (bench/loadgen, Go): built once per run, then started once per measurement,
 * pinned to the client core. Why not autocannon: its fixed-rate mode lets each connection send
 * its whole quota for the second back to back and then idle, so latencies "at 50 % load" are those
 * of bursts at full speed; and the apiserver that calls a webhook is itself a Go HTTP client.
 */
import { execFile, spawn } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { REPOSITORY } from './servers.ts';

const run = promisify(execFile);

export interface LatencySummary {
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
  mean: number;
}

/** What bench/loadgen prints (see its report type). */
export interface LoadResult {
  mode: 'closed' | 'open';
  connections: number;
  rate?: number;
  windowSeconds: number;
  completed: number;
  throughput: number;
  errors: number;
  errorKinds: Record<string, number>;
  errorSamples: Record<string, string>;
  latencyMs: LatencySummary | null;
  serviceLatencyMs?: LatencySummary | null;
  lateSends: number;
  queuedForConnection: number;
  connectionsOpened: number;
  responseBytes: number;
  tls: string;
  clientCpu: number;
  clientOtherLoad?: number;
  server?: {
    cpu: number;
    cpuMicrosPerRequest: number;
    otherLoadOnCore?: number;
    peakRssMiB: number;
  };
}

export interface LoadOptions {
  url: string;
  caFile: string;
  bodyFile: string;
  expectFile?: string;
  uid: string;
  mode: 'closed' | 'open';
  connections: number;
  rate?: number;
  warmupSeconds?: number;
  durationSeconds?: number;
  /** Closed mode: exactly this many requests instead of a timed window. */
  requests?: number;
  check: 'full' | 'bytes';
  serverPid?: number;
  serverCore?: number | undefined;
  clientCore?: number | undefined;
}

export async function goVersion(): Promise<string> {
  const { stdout } = await run('go', ['version']);
  return stdout.trim().replace(/^go version /, '');
}

/** Builds bench/loadgen and the bench/psa test binary into `dir`; returns their paths. */
export async function buildGoPrograms(dir: string): Promise<{ loadgen: string; psa: string }> {
  const loadgen = join(dir, 'loadgen');
  const psa = join(dir, 'psa.test');
  const env = { ...process.env, CGO_ENABLED: '0' };
  await run('go', ['build', '-o', loadgen, '.'], { cwd: join(REPOSITORY, 'bench/loadgen'), env });
  await run('go', ['test', '-c', '-o', psa, '.'], { cwd: join(REPOSITORY, 'bench/psa'), env });
  return { loadgen, psa };
}

export function runLoad(binary: string, options: LoadOptions): Promise<LoadResult> {
  const args = [
    `-url=${options.url}`,
    `-ca=${options.caFile}`,
    `-body=${options.bodyFile}`,
    `-uid=${options.uid}`,
    `-mode=${options.mode}`,
    `-connections=${options.connections}`,
    `-check=${options.check}`,
  ];
  if (options.expectFile) args.push(`-expect=${options.expectFile}`);
  if (options.rate !== undefined) args.push(`-rate=${options.rate.toFixed(1)}`);
  if (options.warmupSeconds !== undefined) args.push(`-warmup=${options.warmupSeconds}s`);
  if (options.durationSeconds !== undefined) args.push(`-duration=${options.durationSeconds}s`);
  if (options.requests !== undefined) args.push(`-requests=${options.requests}`);
  if (options.serverPid !== undefined) args.push(`-server-pid=${options.serverPid}`);
  if (options.serverCore !== undefined) args.push(`-server-cpu=${options.serverCore}`);
  if (options.clientCore !== undefined) args.push(`-client-cpu=${options.clientCore}`);
  const [command, commandArgs] =
    options.clientCore === undefined
      ? [binary, args]
      : ['taskset', ['--cpu-list', String(options.clientCore), binary, ...args]];
  return new Promise((resolveRun, reject) => {
    // Two Go processors on one core: one sleeps precisely for the fixed-rate schedule while the
    // other drives the connections.
    const child = spawn(command, commandArgs, {
      env: { ...process.env, GOMAXPROCS: '2' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code !== 0) {
        reject(new Error(`loadgen exited with ${code}: ${stderr.trim()}`));
        return;
      }
      try {
        resolveRun(JSON.parse(stdout) as LoadResult);
      } catch (error) {
        reject(new Error(`loadgen printed no JSON: ${stdout}\n${stderr}`, { cause: error }));
      }
    });
  });
}
