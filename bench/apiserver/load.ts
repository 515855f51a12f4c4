/**
 * Creates through the apiserver, and what they cost it. A closed loop of N concurrent dry-run
 * creates (`?dryRun=All`: admission runs in full, nothing is stored, so the same object can be
 * created again and again) over HTTPS keep-alive with the admin's client certificate; latency per
 * create from this process, and the CPU time of the apiserver and webhook processes over the
 * window from /proc (every thread's schedstat, nanoseconds), which the other work on a shared
 * machine moves far less than latency.
 */
import { readFile, readdir } from 'node:fs/promises';
import { Agent, request } from 'node:https';
import { loadavg } from 'node:os';
import { parse as parseYaml } from 'yaml';

type Json = Record<string, unknown>;

export interface ApiClient {
  agent: Agent;
  /** For a request beside the creates (a profile), which must not wait for one of their sockets. */
  spareAgent: Agent;
  server: URL;
}

/** An HTTPS client from a kubeconfig with embedded client certificate data. */
export async function apiClient(kubeconfigFile: string, concurrency: number): Promise<ApiClient> {
  const kubeconfig = parseYaml(await readFile(kubeconfigFile, 'utf8')) as {
    clusters: { cluster: Json }[];
    users: { user: Json }[];
  };
  const cluster = kubeconfig.clusters[0]!.cluster;
  const user = kubeconfig.users[0]!.user;
  const decode = (value: unknown) => Buffer.from(String(value), 'base64');
  const credentials = {
    ca: decode(cluster['certificate-authority-data']),
    cert: decode(user['client-certificate-data']),
    key: decode(user['client-key-data']),
  };
  return {
    server: new URL(String(cluster['server'])),
    agent: new Agent({ keepAlive: true, maxSockets: concurrency, ...credentials }),
    spareAgent: new Agent({ keepAlive: false, ...credentials }),
  };
}

/** GET on the spare connection, the body as bytes (a pprof profile is binary). */
export function getBytes(client: ApiClient, path: string, timeoutMs: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const req = request(
      new URL(path, client.server),
      { agent: client.spareAgent, timeout: timeoutMs },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          res.statusCode === 200
            ? resolve(Buffer.concat(chunks))
            : reject(new Error(`GET ${path}: HTTP ${res.statusCode ?? 0}`)),
        );
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`timeout: GET ${path}`)));
    req.on('error', reject);
    req.end();
  });
}

export function post(
  client: ApiClient,
  path: string,
  body: string,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      new URL(path, client.server),
      {
        method: 'POST',
        agent: client.agent,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
        timeout: 30_000,
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`timeout: POST ${path}`)));
    req.on('error', reject);
    req.end(body);
  });
}

/** CPU seconds of every thread of a process, from /proc/PID/task/TID/schedstat. */
export async function processCpuSeconds(pid: number): Promise<number> {
  const tasks = await readdir(`/proc/${pid}/task`).catch(() => [] as string[]);
  let total = 0;
  for (const task of tasks) {
    const text = await readFile(`/proc/${pid}/task/${task}/schedstat`, 'utf8').catch(() => '');
    total += Number(text.split(' ')[0] ?? 0) / 1e9;
  }
  return total;
}

/** Busy seconds of all cores, from /proc/stat (USER_HZ 100). */
export async function machineBusySeconds(): Promise<number> {
  const line = (await readFile('/proc/stat', 'utf8')).split('\n')[0] ?? '';
  const fields = line.split(/\s+/).slice(1, 9).map(Number);
  const idle = (fields[3] ?? 0) + (fields[4] ?? 0);
  return (fields.reduce((a, b) => a + b, 0) - idle) / 100;
}

/** The PID of the process whose command line holds all of `parts` (the apiserver we started). */
export async function findProcess(parts: readonly string[]): Promise<number> {
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const cmdline = await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '');
    if (parts.every((part) => cmdline.includes(part))) return Number(entry);
  }
  throw new Error(`no process with ${parts.join(' ')}`);
}

export interface CellResult {
  creates: number;
  errors: number;
  firstError: string | undefined;
  seconds: number;
  latenciesMs: number[];
  cpuSeconds: { apiserver: number; webhook: number; etcd: number; client: number };
  /** CPU seconds of everything else on the machine in the window. */
  otherSeconds: number;
  loadavg1: number;
}

export interface CellOptions {
  client: ApiClient;
  path: string;
  body: string;
  concurrency: number;
  seconds: number;
  pids: { apiserver: number; etcd: number; webhook: number | undefined };
}

/** N workers create back to back for `seconds`; what it cost, measured over that window. */
export async function runCell(options: CellOptions): Promise<CellResult> {
  const { client, path, body, pids } = options;
  const cpu = async () => ({
    apiserver: await processCpuSeconds(pids.apiserver),
    etcd: await processCpuSeconds(pids.etcd),
    webhook: pids.webhook ? await processCpuSeconds(pids.webhook) : 0,
    client: process.cpuUsage().user / 1e6 + process.cpuUsage().system / 1e6,
    machine: await machineBusySeconds(),
  });
  const latenciesMs: number[] = [];
  let errors = 0;
  let firstError: string | undefined;
  const start = await cpu();
  const began = performance.now();
  const deadline = began + options.seconds * 1000;
  const worker = async () => {
    while (performance.now() < deadline) {
      const sent = performance.now();
      const answer = await post(client, path, body).catch((error: Error) => ({
        status: 0,
        body: error.message,
      }));
      if (answer.status === 201) latenciesMs.push(performance.now() - sent);
      else {
        errors++;
        firstError ??= `HTTP ${answer.status}: ${answer.body.slice(0, 300)}`;
      }
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, worker));
  const seconds = (performance.now() - began) / 1000;
  const end = await cpu();
  const used = {
    apiserver: end.apiserver - start.apiserver,
    etcd: end.etcd - start.etcd,
    webhook: end.webhook - start.webhook,
    client: end.client - start.client,
  };
  const ours = used.apiserver + used.etcd + used.webhook + used.client;
  return {
    creates: latenciesMs.length,
    errors,
    firstError,
    seconds,
    latenciesMs,
    cpuSeconds: used,
    otherSeconds: Math.max(0, end.machine - start.machine - ours),
    loadavg1: loadavg()[0] ?? 0,
  };
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const index = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);
  return sorted[Math.max(0, index)]!;
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
