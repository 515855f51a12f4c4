/**
 * What the server tests share: AdmissionReview bodies, an HTTPS client that connects the way
 * the kube-apiserver does (HTTP/1.1, keep-alive, one request at a time per connection),
 * certificates from a throwaway CA, and a certificate directory laid out like a mounted Secret.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, mkdir, readFile, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { request as httpsRequest, Agent } from 'node:https';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import type { TestContext } from 'node:test';
import type { TLSSocket } from 'node:tls';
import { pino, type Logger } from 'pino';
import {
  createCertificateAuthority,
  issueCertificate,
  type CertificateAuthority,
  type IssuedCertificate,
} from '../../src/server/dev-certificate.ts';
import type { ReloadResult } from '../../src/server/watch-files.ts';

export interface ReviewOptions {
  uid?: string;
  namespace?: string;
  operation?: 'CREATE' | 'UPDATE' | 'DELETE';
  privileged?: boolean;
  /** Pads the pod with an annotation of this many bytes, to build large reviews. */
  paddingBytes?: number;
  envValue?: string;
}

export function podReview(options: ReviewOptions = {}): Record<string, unknown> {
  const pod = (padding: number) => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: 'web',
      namespace: options.namespace ?? 'demo',
      ...(padding > 0 ? { annotations: { 'example.com/padding': 'x'.repeat(padding) } } : {}),
    },
    spec: {
      containers: [
        {
          name: 'web',
          image: 'nginx:1.27',
          ...(options.envValue ? { env: [{ name: 'API_TOKEN', value: options.envValue }] } : {}),
          ...(options.privileged ? { securityContext: { privileged: true } } : {}),
        },
      ],
    },
  });
  const operation = options.operation ?? 'CREATE';
  return {
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid: options.uid ?? 'uid-1',
      kind: { group: '', version: 'v1', kind: 'Pod' },
      resource: { group: '', version: 'v1', resource: 'pods' },
      name: 'web',
      namespace: options.namespace ?? 'demo',
      operation,
      userInfo: { username: 'jane@example.com' },
      object: pod(options.paddingBytes ?? 0),
      oldObject: operation === 'UPDATE' ? pod(options.paddingBytes ?? 0) : null,
    },
  };
}

export interface AdmissionResponseBody {
  apiVersion: string;
  kind: string;
  response: {
    uid: string;
    allowed: boolean;
    status?: { code: number; message: string };
    warnings?: string[];
    patch?: string;
  };
}

export interface HttpsAnswer {
  statusCode: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  socket: TLSSocket;
  reusedSocket: boolean;
}

export interface HttpsRequestOptions {
  agent: Agent;
  port: number;
  method?: string;
  path: string;
  body?: string | Buffer;
  contentType?: string;
}

export async function httpsCall(options: HttpsRequestOptions): Promise<HttpsAnswer> {
  const headers: Record<string, string | number> = {};
  if (options.body !== undefined) {
    headers['content-type'] = options.contentType ?? 'application/json';
    headers['content-length'] = Buffer.byteLength(options.body);
  }
  const request = httpsRequest({
    agent: options.agent,
    host: '127.0.0.1',
    servername: 'localhost',
    port: options.port,
    method: options.method ?? (options.body === undefined ? 'GET' : 'POST'),
    path: options.path,
    headers,
  });
  request.end(options.body);
  const [response] = (await once(request, 'response')) as [import('node:http').IncomingMessage];
  // A server that answers before reading the whole body (413, 429) closes the connection; the
  // rest of the body then fails to send (EPIPE), which changes nothing about the answer.
  request.on('error', () => undefined);
  // Taken now: once the body is read, the socket goes back to the agent and leaves the response.
  const socket = response.socket as TLSSocket;
  const chunks: Buffer[] = [];
  for await (const chunk of response) chunks.push(chunk as Buffer);
  return {
    statusCode: response.statusCode ?? 0,
    headers: response.headers,
    body: Buffer.concat(chunks).toString('utf8'),
    socket,
    reusedSocket: request.reusedSocket,
  };
}

/** How the kube-apiserver connects: HTTP/1.1 by ALPN, keep-alive, one request at a time per connection. */
export function apiserverAgent(
  ca: string,
  extra: { cert?: string; key?: string; maxSockets?: number } = {},
): Agent {
  return new Agent({
    keepAlive: true,
    maxSockets: extra.maxSockets ?? 1,
    ca,
    ALPNProtocols: ['http/1.1'],
    ...(extra.cert ? { cert: extra.cert, key: extra.key } : {}),
  });
}

export interface TestCertificates {
  ca: CertificateAuthority;
  /** A serving certificate for localhost and 127.0.0.1, or a client certificate. */
  issue(commonName?: string, usage?: 'server' | 'client'): Promise<IssuedCertificate>;
}

export async function testCertificates(): Promise<TestCertificates> {
  const ca = await createCertificateAuthority('runtime-guard test CA');
  return {
    ca,
    issue: (commonName = 'runtime-guard', usage = 'server') =>
      issueCertificate(ca, { commonName, usage, dns: ['localhost'], ips: ['127.0.0.1'] }),
  };
}

/** Where a test registers what to undo: its TestContext, or a CleanupList for a whole suite. */
export interface Cleanup {
  after(fn: () => Promise<unknown> | unknown): void;
}

/** Undoes in reverse order, for suites whose resources outlive one test. */
export class CleanupList implements Cleanup {
  readonly #steps: (() => Promise<unknown> | unknown)[] = [];
  after(fn: () => Promise<unknown> | unknown): void {
    this.#steps.push(fn);
  }
  async run(): Promise<void> {
    for (const step of this.#steps.reverse()) await step();
  }
}

export async function temporaryDirectory(t: Cleanup): Promise<string> {
  const directory = await mkdtemp(join(tmpdir(), 'runtime-guard-test-'));
  t.after(() => rm(directory, { recursive: true, force: true }));
  return directory;
}

/**
 * A directory as the kubelet writes a Secret volume: the files are symlinks into `..data`,
 * itself a symlink to a timestamped directory; an update swaps `..data` in one rename.
 */
export class SecretVolume {
  readonly directory: string;
  #generation = 0;
  constructor(directory: string) {
    this.directory = directory;
  }

  path(name: string): string {
    return join(this.directory, name);
  }

  async write(files: Record<string, string>): Promise<void> {
    this.#generation += 1;
    const version = `..2026_01_01_00_00_00.${String(this.#generation).padStart(9, '0')}`;
    await mkdir(join(this.directory, version));
    for (const [name, content] of Object.entries(files))
      await writeFile(join(this.directory, version, name), content);
    await symlink(version, join(this.directory, '..data_tmp'));
    await rename(join(this.directory, '..data_tmp'), join(this.directory, '..data'));
    for (const name of Object.keys(files))
      await symlink(join('..data', name), join(this.directory, name)).catch(() => undefined);
    if (this.#generation > 1) {
      const previous = `..2026_01_01_00_00_00.${String(this.#generation - 1).padStart(9, '0')}`;
      await rm(join(this.directory, previous), { recursive: true });
    }
  }
}

/** The next reload that did something: applied a change or refused one. */
export function nextEffectiveReload(emitter: NodeJS.EventEmitter): Promise<ReloadResult> {
  return new Promise((resolve) => {
    const listener = (result: ReloadResult) => {
      if (result.ok && !result.changed) return;
      emitter.off('reload', listener);
      resolve(result);
    };
    emitter.on('reload', listener);
  });
}

/** A pino logger whose JSON lines the test can read. */
export function capturingLogger(): {
  logger: Logger;
  lines: () => Record<string, unknown>[];
  text: () => string;
} {
  let text = '';
  const logger = pino({ level: 'debug' }, { write: (chunk: string) => void (text += chunk) });
  return {
    logger,
    text: () => text,
    lines: () =>
      text
        .split('\n')
        .filter((line) => line !== '')
        .map((line) => JSON.parse(line) as Record<string, unknown>),
  };
}

/** Reads one sample of a metric from Prometheus text. */
export function metricValue(
  text: string,
  name: string,
  labels: Record<string, string> = {},
): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const present = new Map(
      [...(match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1], m[2]]),
    );
    const wanted = Object.entries(labels).every(([key, value]) => present.get(key) === value);
    if (wanted) return Number(match[3]);
  }
  return undefined;
}

/** Polls until the condition holds; the test's own timeout bounds the wait. */
export async function waitFor(condition: () => boolean | Promise<boolean>): Promise<void> {
  while (!(await condition())) await new Promise((resolve) => setTimeout(resolve, 10));
}

const NODE = resolve(import.meta.dirname, '../../node_modules/.bin/node');
const MAIN = resolve(import.meta.dirname, '../../src/cli/main.ts');

/** The Node.js flags `npm start` gives the server (the image's, test/chart/dockerfile.test.ts checks). */
export async function imageNodeFlags(): Promise<string[]> {
  const manifest = JSON.parse(
    await readFile(resolve(import.meta.dirname, '../../package.json'), 'utf8'),
  ) as { scripts: { start: string } };
  const words = manifest.scripts.start.split(' ');
  return words.slice(1, words.indexOf('src/cli/main.ts'));
}

/**
 * Starts `runtime-guard serve` (with these Node.js flags) in a temporary directory with this
 * configuration, on the development certificate; resolves once it logs the port it serves.
 * With `memoryCgroup` (a cgroup v1 memory directory), the process runs in that cgroup from
 * its first instruction, as in a container with a memory limit.
 */
export async function startServe(
  t: TestContext,
  config: string,
  nodeFlags: string[] = [],
  options: { memoryCgroup?: string } = {},
) {
  const directory = await temporaryDirectory(t);
  await writeFile(join(directory, 'runtime-guard.yaml'), config);
  const command = [NODE, ...nodeFlags, MAIN, 'serve', '--config', 'runtime-guard.yaml'];
  const [program, ...args] = options.memoryCgroup
    ? ['sh', '-c', 'echo $$ > "$0/cgroup.procs" && exec "$@"', options.memoryCgroup, ...command]
    : command;
  const child = spawn(program as string, args, {
    cwd: directory,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  t.after(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));

  // Standard output is JSON log lines; the one that says it serves carries the port.
  const logLines: Record<string, unknown>[] = [];
  const port = await new Promise<number>((resolvePort, reject) => {
    createInterface({ input: child.stdout }).on('line', (line) => {
      const entry = JSON.parse(line) as Record<string, unknown>;
      logLines.push(entry);
      if (entry['msg'] === 'runtime-guard serving') resolvePort(entry['port'] as number);
    });
    child.once('exit', (code) =>
      reject(new Error(`serve exited with ${code} before serving:\n${stderr}`)),
    );
  });
  const ca = await readFile(join(directory, '.dev-certs/ca.crt'), 'utf8');
  return { child, port, ca, logLines, exited, stderr: () => stderr };
}
