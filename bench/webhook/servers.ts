/**
 * Starts and stops the three servers under test, each alone on the server core:
 *
 * - F0 and F1: bench/webhook/baseline-server.ts;
 * - W: the real `runtime-guard serve` process (bin/runtime-guard.js, with the Node.js flags of
 *   the image's ENTRYPOINT) with a configuration file that points at the shared certificate. Its
 *   JSON log lines (one per review) go into a pipe, as a container's standard output does,
 *   drained and counted by this process on the other core.
 *
 * Every server runs the same Node.js with bench/webhook/server-probe.ts preloaded, which reports
 * event-loop delay over the IPC channel.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { mkdir, readFile, rmdir, writeFile } from 'node:fs/promises';
import { request } from 'node:https';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import {
  IDLE_CONNECTION_TIMEOUT_MS,
  REQUEST_RECEIVE_TIMEOUT_MS,
} from '../../src/server/build-server.ts';
import { serveConfigYaml, type Fixture, type PayloadFiles } from './fixtures.ts';
import type { LogVariant } from './serve-variant.ts';

export type ServerName = 'F0' | 'F1' | 'W';
export const SERVER_NAMES: readonly ServerName[] = ['F0', 'F1', 'W'];

export const REPOSITORY = resolve(import.meta.dirname, '../..');
export const NODE = join(REPOSITORY, 'node_modules/.bin/node');
const PROBE = pathToFileURL(join(import.meta.dirname, 'server-probe.ts')).href;
const BASELINE = join(import.meta.dirname, 'baseline-server.ts');
/** Relative to the checkout W runs from (this one, or StartOptions.tree). */
const RUNTIME_GUARD = 'bin/runtime-guard.js';
const SERVE_VARIANT = 'bench/webhook/serve-variant.ts';

/** W runs with the Node.js flags of the image's ENTRYPOINT, as it runs in a cluster. */
export async function imageNodeFlags(): Promise<string[]> {
  const dockerfile = await readFile(join(REPOSITORY, 'Dockerfile'), 'utf8');
  const line = dockerfile.split('\n').findLast((l) => l.startsWith('ENTRYPOINT '));
  const entrypoint = JSON.parse(line?.slice('ENTRYPOINT '.length) ?? 'null') as unknown;
  // The image runs its own Node.js (`/nodejs/bin/node` in the distroless base): any path to `node`.
  const program = Array.isArray(entrypoint) ? String(entrypoint[0]) : '';
  if (!Array.isArray(entrypoint) || (program !== 'node' && !program.endsWith('/node'))) {
    throw new Error('the Dockerfile has no ENTRYPOINT [".../node", …] to take the flags from');
  }
  return (entrypoint as string[]).slice(1, -1);
}

export interface EventLoopDelay {
  p50: number;
  p99: number;
  max: number;
  samples: number;
}

/** process.memoryUsage() in MiB when the run ended. */
export type MemoryMiB = Record<
  'rss' | 'heapUsed' | 'heapTotal' | 'external' | 'arrayBuffers',
  number
>;

export interface StartOptions {
  /** Core to pin the server to (taskset), or undefined for none. */
  core: number | undefined;
  /** Extra Node.js flags, e.g. --cpu-prof; W has the image's flags before them (a later flag wins). */
  nodeFlags?: readonly string[];
  /** W only, for before/after experiments: run W from this other checkout of the repository. */
  tree?: string;
  /** W only, for experiments: bench/webhook/serve-variant.ts with this decision log instead. */
  logVariant?: LogVariant;
  /**
   * Experiments only: run the server in a memory cgroup (v1) with this limit, as a container's
   * memory limit would (Node.js sizes its heap from it; the kernel kills the process above it).
   */
  memoryLimitMiB?: number;
}

export interface RunningServer {
  name: ServerName;
  pid: number;
  port: number;
  url(endpoint: string): string;
  resetProbe(): Promise<void>;
  probeReport(): Promise<{ eventLoopDelayMs: EventLoopDelay; memoryMiB: MemoryMiB }>;
  /** How the process ended, if it has (a kill by the kernel's OOM killer shows as SIGKILL). */
  ended(): string | undefined;
  /** Resolves once the process has exited, with the number of log lines W wrote. */
  stop(): Promise<{ logLines: number | undefined }>;
}

/** A cgroup v1 memory group with this limit (and no swap), made fresh. */
async function memoryCgroup(name: string, limitMiB: number): Promise<string> {
  const dir = join('/sys/fs/cgroup/memory', name);
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'memory.limit_in_bytes'), String(limitMiB * 1024 * 1024));
  await writeFile(join(dir, 'memory.swappiness'), '0').catch(() => {});
  return dir;
}

export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  server.close();
  await once(server, 'close');
  if (typeof address !== 'object' || !address) throw new Error('no port');
  return address.port;
}

export async function startServer(
  name: ServerName,
  fixture: Fixture,
  payload: PayloadFiles,
  options: StartOptions,
): Promise<RunningServer> {
  const port = await freePort();
  const nodeArgs = [
    ...(name === 'W' ? await imageNodeFlags() : []),
    ...(options.nodeFlags ?? []),
    '--import',
    PROBE,
  ];
  let args: string[];
  if (name === 'W') {
    const configFile = join(fixture.dir, `runtime-guard-${port}.yaml`);
    await writeFile(configFile, serveConfigYaml(fixture, port));
    const tree = options.tree ? resolve(options.tree) : REPOSITORY;
    args = options.logVariant
      ? [...nodeArgs, join(tree, SERVE_VARIANT), configFile, options.logVariant]
      : [...nodeArgs, join(tree, RUNTIME_GUARD), 'serve', '--config', configFile];
  } else {
    args = [
      ...nodeArgs,
      BASELINE,
      `--variant=${name.toLowerCase()}`,
      `--port=${port}`,
      `--cert=${fixture.certFile}`,
      `--key=${fixture.keyFile}`,
      `--validate-response=${payload.responseFile.validate}`,
      `--mutate-response=${payload.responseFile.mutate}`,
      `--body-limit=${fixture.bodyLimitBytes}`,
      `--keep-alive-timeout=${IDLE_CONNECTION_TIMEOUT_MS}`,
      `--request-timeout=${REQUEST_RECEIVE_TIMEOUT_MS}`,
    ];
  }
  let [command, commandArgs] =
    options.core === undefined
      ? [NODE, args]
      : ['taskset', ['--cpu-list', String(options.core), NODE, ...args]];
  const cgroup = options.memoryLimitMiB
    ? await memoryCgroup(`runtime-guard-bench-${port}`, options.memoryLimitMiB)
    : undefined;
  if (cgroup) {
    commandArgs = [
      '-c',
      'echo $$ > "$0" && exec "$@"',
      join(cgroup, 'cgroup.procs'),
      command,
      ...commandArgs,
    ];
    command = 'sh';
  }
  const child = spawn(command, commandArgs, {
    cwd: fixture.dir,
    stdio: ['ignore', name === 'W' ? 'pipe' : 'ignore', 'pipe', 'ipc'],
  });
  let logLines = 0;
  // For experiments (e.g. W:node=--trace-gc): W's standard output copied to this file as well.
  const copyTo = process.env['RUNTIME_GUARD_BENCH_STDOUT'];
  const copy = copyTo && name === 'W' ? createWriteStream(copyTo, { flags: 'a' }) : undefined;
  child.stdout?.on('data', (chunk: Buffer) => {
    for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) logLines++;
    copy?.write(chunk);
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
  const exited = once(child, 'exit');
  const pid = child.pid;
  if (pid === undefined) throw new Error(`${name}: cannot start ${command}`);

  const url = (endpoint: string) => `https://127.0.0.1:${port}/${endpoint}?timeout=10s`;
  try {
    await waitUntilAnswering(child, url('validate'), fixture, payload, () => stderr);
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }

  return {
    name,
    pid,
    port,
    url,
    ended() {
      if (child.signalCode !== null) return `killed by ${child.signalCode}`;
      if (child.exitCode !== null) return `exited with ${child.exitCode}`;
      return undefined;
    },
    async resetProbe() {
      await ask(child, 'reset');
    },
    async probeReport() {
      return (await ask(child, 'report')) as {
        eventLoopDelayMs: EventLoopDelay;
        memoryMiB: MemoryMiB;
      };
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGINT');
        const timeout = sleep(10_000).then(() => child.kill('SIGKILL'));
        await Promise.race([exited, timeout]);
      }
      if (cgroup) await rmdir(cgroup).catch(() => {});
      return { logLines: name === 'W' ? logLines : undefined };
    },
  };
}

/** Sends one message to the probe and waits for its answer of the same type. */
function ask(child: ChildProcess, type: 'reset' | 'report'): Promise<unknown> {
  return new Promise((resolveAnswer, reject) => {
    const timer = setTimeout(() => {
      child.off('message', onMessage);
      reject(new Error(`the server's probe did not answer '${type}'`));
    }, 10_000);
    const onMessage = (message: unknown) => {
      if ((message as { type?: unknown } | null)?.type !== type) return;
      clearTimeout(timer);
      child.off('message', onMessage);
      resolveAnswer(message);
    };
    child.on('message', onMessage);
    child.send(type);
  });
}

/** Polls until the server answers the payload with exactly the expected bytes. */
async function waitUntilAnswering(
  child: ChildProcess,
  url: string,
  fixture: Fixture,
  payload: PayloadFiles,
  stderr: () => string,
): Promise<void> {
  const [ca, body, expected] = await Promise.all([
    readFile(fixture.caFile),
    readFile(payload.bodyFile),
    readFile(payload.responseFile.validate),
  ]);
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`server exited (${child.exitCode ?? child.signalCode}):\n${stderr()}`);
    }
    const answer = await post(url, ca, body).catch(() => undefined);
    if (answer) {
      if (answer.status === 200 && answer.body.equals(expected)) return;
      throw new Error(
        `${url} answered ${answer.status} with other bytes than runtime-guard's in-process answer:\n` +
          `got:  ${answer.body.subarray(0, 400).toString()}\nwant: ${expected.subarray(0, 400).toString()}`,
      );
    }
    if (Date.now() > deadline) throw new Error(`${url} did not answer in 30 s:\n${stderr()}`);
    await sleep(100);
  }
}

function post(url: string, ca: Buffer, body: Buffer): Promise<{ status: number; body: Buffer }> {
  return new Promise((resolvePost, reject) => {
    const req = request(
      url,
      {
        method: 'POST',
        ca,
        agent: false,
        headers: { 'content-type': 'application/json', 'content-length': body.length },
        timeout: 5000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolvePost({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }),
        );
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end(body);
  });
}
