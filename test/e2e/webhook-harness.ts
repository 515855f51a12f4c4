// runtime-guard as the kube-apiserver meets it: `runtime-guard serve` as a local child process
// with a certificate made here, and the Validating- and MutatingWebhookConfiguration pointing at
// it by `clientConfig.url` with the matching `caBundle`. The configurations are rendered from
// the Helm chart, so the tests run the rules, failure policies, side effects, reinvocation
// policy and review versions that ship.

import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { rmSync } from 'node:fs';
import {
  access,
  constants as fsConstants,
  mkdir,
  mkdtemp,
  rename,
  rm,
  symlink,
  writeFile,
} from 'node:fs/promises';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { parseAllDocuments, stringify } from 'yaml';
import {
  createCertificateAuthority,
  issueCertificate,
  type CertificateAuthority,
  type IssuedCertificate,
} from '../../src/server/dev-certificate.ts';
import type { ControlPlane, KubectlResult } from './control-plane.ts';

const REPOSITORY = resolve(import.meta.dirname, '..', '..');
const NODE = join(REPOSITORY, 'node_modules', '.bin', 'node');
const CLI = join(REPOSITORY, 'bin', 'runtime-guard.js');
const CHART = join(REPOSITORY, 'charts', 'runtime-guard');
const TOOLS_SCRIPT = join(REPOSITORY, 'scripts', 'k8s', 'build-tools.sh');

export const E2E_ENABLED = process.env['RUNTIME_GUARD_E2E'] !== '0';
export const E2E_SKIP: string | false = E2E_ENABLED
  ? false
  : 'runtime-guard e2e webhook tests skipped: RUNTIME_GUARD_E2E=0 (they need the binaries from scripts/k8s/build.sh and helm from scripts/k8s/build-tools.sh; see test/e2e/README.md)';

export const VALIDATING_WEBHOOK = 'validate.runtime-guard.io';
export const MUTATING_WEBHOOK = 'mutate.runtime-guard.io';
export const MODE_LABEL = 'runtime-guard.io/mode';

// ---------------------------------------------------------------------------
// Small waiting helpers

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Runs `attempt` until it returns something other than undefined, or fails after `timeoutMs`
 * with what the last attempt saw. For changes the apiserver picks up asynchronously (webhook
 * configurations, namespace labels reaching the webhook's informer).
 */
export async function eventually<T>(
  what: string,
  attempt: () => Promise<T | undefined>,
  options: { timeoutMs?: number; intervalMs?: number; lastSeen?: () => string } = {},
): Promise<T> {
  const deadline = Date.now() + (options.timeoutMs ?? 20_000);
  for (;;) {
    const value = await attempt();
    if (value !== undefined) return value;
    if (Date.now() > deadline)
      throw new Error(
        `timed out waiting for ${what}${options.lastSeen ? `; last seen: ${options.lastSeen()}` : ''}`,
      );
    await sleep(options.intervalMs ?? 250);
  }
}

// ---------------------------------------------------------------------------
// Certificates, written the way the kubelet writes a Secret volume

/**
 * The webhook's serving certificate in a directory laid out like a mounted Secret: `tls.crt`
 * and `tls.key` are symlinks into `..data`, and a rotation swaps `..data` in one rename, which
 * is what cert-manager plus the kubelet do to a running webhook.
 */
export class ServingCertificate {
  readonly directory: string;
  readonly certFile: string;
  readonly keyFile: string;
  /** The CA that signed the certificate now on disk. */
  authority: CertificateAuthority;
  #generation = 0;

  private constructor(directory: string, authority: CertificateAuthority) {
    this.directory = directory;
    this.certFile = join(directory, 'tls.crt');
    this.keyFile = join(directory, 'tls.key');
    this.authority = authority;
  }

  static async create(directory: string, caName: string): Promise<ServingCertificate> {
    await mkdir(directory, { recursive: true });
    const tls = new ServingCertificate(directory, await newAuthority(caName));
    await tls.rotate();
    return tls;
  }

  /** Issues a new serving certificate (from `authority`, by default the current CA) and swaps it in. */
  async rotate(
    authority: CertificateAuthority = this.authority,
    commonName?: string,
  ): Promise<IssuedCertificate> {
    this.#generation += 1;
    const serving = await issueCertificate(authority, {
      commonName: commonName ?? `runtime-guard-e2e-${this.#generation}`,
      dns: ['localhost'],
      ips: ['127.0.0.1'],
      days: 2,
    });
    const version = `..e2e.${String(this.#generation).padStart(6, '0')}`;
    await mkdir(join(this.directory, version));
    await writeFile(join(this.directory, version, 'tls.crt'), serving.cert);
    await writeFile(join(this.directory, version, 'tls.key'), serving.key, { mode: 0o600 });
    await symlink(version, join(this.directory, '..data_tmp'));
    await rename(join(this.directory, '..data_tmp'), join(this.directory, '..data'));
    for (const name of ['tls.crt', 'tls.key'])
      await symlink(join('..data', name), join(this.directory, name)).catch(() => undefined);
    if (this.#generation > 1) {
      const previous = `..e2e.${String(this.#generation - 1).padStart(6, '0')}`;
      await rm(join(this.directory, previous), { recursive: true, force: true });
    }
    this.authority = authority;
    return serving;
  }
}

export function newAuthority(name: string): Promise<CertificateAuthority> {
  return createCertificateAuthority(name, 2);
}

export const base64 = (text: string): string => Buffer.from(text).toString('base64');

/**
 * Several PEM certificates as one CA bundle. Each must end in a newline, or the apiserver cannot
 * parse the bundle ("unable to parse bytes as PEM block"); dev-certificate.ts ensures it, and this
 * keeps the bundle right for PEM from anywhere else.
 */
export function pemBundle(...certificates: string[]): string {
  return certificates.map((pem) => (pem.endsWith('\n') ? pem : `${pem}\n`)).join('');
}

// ---------------------------------------------------------------------------
// The webhook process

export interface LogEntry {
  msg?: string;
  level?: number;
  [key: string]: unknown;
}

export interface WebhookProcessOptions {
  /** Where the configuration file goes. */
  directory: string;
  tls: ServingCertificate;
  /** The policy part of the configuration file (preset, mode, rules, mutation, …). */
  policy?: Record<string, unknown>;
  /** 0 (the default) lets the system choose; a restart passes the port it had before. */
  port?: number;
  /** Given to the webhook as KUBECONFIG, for per-namespace modes. */
  kubeconfig?: string;
}

export interface WebhookProcess {
  port: number;
  /** https://127.0.0.1:PORT, the base of `clientConfig.url`. */
  url: string;
  child: ChildProcess;
  /** Every JSON line the process wrote on standard output so far. */
  readonly logs: readonly LogEntry[];
  stderr(): string;
  /** Its `admission review` decision lines. */
  /**
   * The decision lines that match, once at least `count` have arrived and one more flush of the
   * log has passed (serve writes lines in batches, at least every 200 ms), so a line too many
   * would show too.
   */
  decisions(predicate: (entry: LogEntry) => boolean, count: number): Promise<LogEntry[]>;
  waitForLog(
    what: string,
    predicate: (entry: LogEntry) => boolean,
    timeoutMs?: number,
  ): Promise<LogEntry>;
  /** GET /metrics over TLS, trusting the CA that signed the current certificate. */
  metrics(): Promise<string>;
  /** SIGTERM (then SIGKILL after 15 s); resolves with how it ended. */
  stop(): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const liveWebhooks = new Set<ChildProcess>();
const liveDirectories = new Set<string>();
let exitHandlerInstalled = false;

function killLeftovers(): void {
  for (const child of liveWebhooks) child.kill('SIGKILL');
  for (const directory of liveDirectories)
    rmSync(directory, { recursive: true, force: true, maxRetries: 3 });
}

/** Whatever a failed or interrupted test left behind dies with the test process. */
function installExitHandler(): void {
  if (exitHandlerInstalled) return;
  exitHandlerInstalled = true;
  process.on('exit', killLeftovers);
}

let signalHandlersInstalled = false;

/**
 * A fatal signal skips 'exit' handlers. Like control-plane.ts (whose handlers re-raise the
 * signal), clean up and let the signal take its default course once no handler is left.
 * Installed when the first webhook starts, after the control plane has installed its own.
 */
function installSignalHandlers(): void {
  if (signalHandlersInstalled) return;
  signalHandlersInstalled = true;
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    const handler = (): void => {
      killLeftovers();
      process.removeListener(signal, handler);
      if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
    };
    process.on(signal, handler);
  }
}

/** A temporary directory removed by `remove()` or, at the latest, when the process exits. */
export async function temporaryDirectory(
  prefix: string,
): Promise<{ path: string; remove(): Promise<void> }> {
  installExitHandler();
  const path = await mkdtemp(join(tmpdir(), prefix));
  liveDirectories.add(path);
  return {
    path,
    async remove() {
      await rm(path, { recursive: true, force: true });
      liveDirectories.delete(path);
    },
  };
}

function webhookConfigFile(options: WebhookProcessOptions): string {
  const config = {
    ...options.policy,
    server: {
      host: '127.0.0.1',
      port: options.port ?? 0,
      tls: { certFile: options.tls.certFile, keyFile: options.tls.keyFile },
      namespaceModes: { enabled: options.kubeconfig !== undefined },
      // A test stops it on purpose; nothing needs draining.
      shutdown: { drainSeconds: 0, timeoutSeconds: 5 },
    },
  };
  return stringify(config);
}

/** Starts `runtime-guard serve --config FILE` and resolves once it logs the port it serves on. */
export async function startWebhook(options: WebhookProcessOptions): Promise<WebhookProcess> {
  installExitHandler();
  installSignalHandlers();
  const configPath = join(options.directory, 'runtime-guard.yaml');
  await writeFile(configPath, webhookConfigFile(options));

  const env: NodeJS.ProcessEnv = { ...process.env };
  // Cluster access only as the test gives it: never a real cluster from the environment.
  delete env['KUBERNETES_SERVICE_HOST'];
  delete env['KUBERNETES_SERVICE_PORT'];
  env['KUBECONFIG'] = options.kubeconfig ?? join(options.directory, 'no-kubeconfig');

  const child = spawn(NODE, [CLI, 'serve', '--config', configPath], {
    cwd: options.directory,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  liveWebhooks.add(child);
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  void exited.then(() => liveWebhooks.delete(child));

  let stderr = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => (stderr += chunk));
  const logs: LogEntry[] = [];
  const listeners = new Set<(entry: LogEntry) => void>();
  createInterface({ input: child.stdout! }).on('line', (line) => {
    let entry: LogEntry;
    try {
      entry = JSON.parse(line) as LogEntry;
    } catch {
      entry = { msg: `(not JSON) ${line}` };
    }
    logs.push(entry);
    for (const listener of listeners) listener(entry);
  });

  const waitForLog = (
    what: string,
    predicate: (entry: LogEntry) => boolean,
    timeoutMs = 15_000,
  ): Promise<LogEntry> => {
    const seen = logs.find(predicate);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolvePromise, reject) => {
      const done = (): void => {
        listeners.delete(listener);
        clearTimeout(timer);
      };
      const listener = (entry: LogEntry): void => {
        if (!predicate(entry)) return;
        done();
        resolvePromise(entry);
      };
      const timer = setTimeout(() => {
        done();
        reject(
          new Error(
            `the webhook did not log ${what} within ${timeoutMs} ms; its log:\n${logs.map((l) => JSON.stringify(l)).join('\n')}\nstderr:\n${stderr}`,
          ),
        );
      }, timeoutMs);
      listeners.add(listener);
      void exited.then(([code, signal]) => {
        if (!listeners.has(listener)) return;
        done();
        reject(
          new Error(
            `the webhook exited (${signal ?? String(code)}) before logging ${what}; stderr:\n${stderr}`,
          ),
        );
      });
    });
  };

  let serving: LogEntry;
  try {
    serving = await waitForLog(
      'that it serves',
      (entry) => entry.msg === 'runtime-guard serving',
      30_000,
    );
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  const port = serving['port'] as number;
  const url = `https://127.0.0.1:${port}`;

  const get = (path: string) =>
    new Promise<{ status: number; body: string }>((resolvePromise, reject) => {
      const request = httpsRequest(
        { host: '127.0.0.1', port, path, ca: options.tls.authority.cert, timeout: 10_000 },
        (response) => {
          let body = '';
          response.setEncoding('utf8');
          response.on('data', (chunk: string) => (body += chunk));
          response.on('end', () => resolvePromise({ status: response.statusCode ?? 0, body }));
        },
      );
      request.on('timeout', () => request.destroy(new Error(`timeout: GET ${path}`)));
      request.on('error', reject);
      request.end();
    });

  let stopping: Promise<{ code: number | null; signal: NodeJS.Signals | null }> | undefined;
  return {
    port,
    url,
    child,
    logs,
    stderr: () => stderr,
    async decisions(predicate, count) {
      const matching = () =>
        logs.filter((entry) => entry.msg === 'admission review' && predicate(entry));
      const deadline = Date.now() + 15_000;
      while (matching().length < count && Date.now() < deadline) await sleep(20);
      await sleep(300);
      return matching();
    },
    waitForLog,
    async metrics() {
      const response = await get('/metrics');
      assert.equal(response.status, 200, response.body);
      return response.body;
    },
    stop() {
      stopping ??= (async () => {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
        const [code, signal] = await exited;
        clearTimeout(timer);
        return { code, signal };
      })();
      return stopping;
    },
  };
}

/** The value of one sample in Prometheus text, or 0 when it is absent. */
export function metricValue(
  text: string,
  name: string,
  labels: Record<string, string> = {},
): number {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const brace = line.indexOf('{');
    const labelText = brace >= 0 ? line.slice(brace + 1, line.lastIndexOf('}')) : '';
    const present = new Map(
      [...labelText.matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)].map((m) => [
        m[1],
        m[2],
      ]),
    );
    if (Object.entries(labels).every(([key, value]) => present.get(key) === value))
      return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return 0;
}

// ---------------------------------------------------------------------------
// The webhook configurations, rendered from the chart

export type FailurePolicy = 'Fail' | 'Ignore';

export interface WebhookConfigurationOptions {
  /** https://127.0.0.1:PORT; the chart appends /validate and /mutate. */
  url: string;
  /** PEM of the CA (or CAs) the apiserver is to trust for the webhook. */
  caBundlePem: string;
  /** Unset: the chart's default. */
  validatingFailurePolicy?: FailurePolicy;
  mutatingFailurePolicy?: FailurePolicy;
  /**
   * The chart's `config` (default {@link E2E_POLICY}): its matchConditions are generated from it,
   * so it must be the policy the webhook process runs.
   */
  policy?: Record<string, unknown>;
}

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; [key: string]: unknown };
  [key: string]: unknown;
}

function run(command: string, args: readonly string[]): Promise<KubectlResult> {
  return new Promise((resolvePromise, reject) => {
    execFile(
      command,
      args,
      { maxBuffer: 16 * 1024 * 1024, encoding: 'utf8', timeout: 15 * 60_000 },
      (error, stdout, stderr) => {
        if (error && typeof error.code !== 'number') reject(error);
        else resolvePromise({ code: error ? Number(error.code) : 0, stdout, stderr });
      },
    );
  });
}

let helmPath: Promise<string> | undefined;

/** helm from scripts/k8s/build-tools.sh, built on first use like the control-plane binaries. */
function helm(): Promise<string> {
  helmPath ??= (async () => {
    const printed = await run('bash', [TOOLS_SCRIPT, '--print-env']);
    const path = /^HELM=(.*)$/m.exec(printed.stdout)?.[1]?.replace(/\\(.)/g, '$1');
    if (printed.code !== 0 || !path)
      throw new Error(`scripts/k8s/build-tools.sh --print-env failed: ${printed.stderr}`);
    const executable = await access(path, fsConstants.X_OK).then(
      () => true,
      () => false,
    );
    if (!executable) {
      const built = await run('bash', [TOOLS_SCRIPT]);
      if (built.code !== 0) throw new Error(`scripts/k8s/build-tools.sh failed:\n${built.stderr}`);
    }
    return path;
  })();
  return helmPath;
}

/**
 * Both configurations as the chart ships them (`templates/webhooks.yaml`), pointed at `url` by
 * `webhook.url` and trusting `caBundlePem` by `webhook.caBundle`.
 */
export async function renderWebhookConfigurations(
  options: WebhookConfigurationOptions,
): Promise<KubeObject[]> {
  const args = [
    'template',
    'rg',
    CHART,
    '--namespace',
    'runtime-guard',
    '--set',
    `webhook.url=${options.url}`,
    '--set-string',
    `webhook.caBundle=${base64(options.caBundlePem)}`,
    '--set-json',
    `config=${JSON.stringify(options.policy ?? E2E_POLICY)}`,
    '--show-only',
    'templates/webhooks.yaml',
  ];
  if (options.validatingFailurePolicy)
    args.push('--set', `webhook.validating.failurePolicy=${options.validatingFailurePolicy}`);
  if (options.mutatingFailurePolicy)
    args.push('--set', `webhook.mutating.failurePolicy=${options.mutatingFailurePolicy}`);
  const rendered = await run(await helm(), args);
  if (rendered.code !== 0) throw new Error(`helm template failed:\n${rendered.stderr}`);
  const documents = parseAllDocuments(rendered.stdout)
    .map((document) => document.toJS() as KubeObject | null)
    .filter((document): document is KubeObject => document !== null);
  return documents;
}

let configurationVersion = 0;

/**
 * Renders and applies both configurations, and returns once the apiserver uses them.
 *
 * The apiserver picks up a changed configuration asynchronously. To know when, each apply adds
 * one marker to the rendered namespaceSelector of both webhooks: a fresh namespace the webhooks
 * must no longer be called for. Once a non-compliant pod is admitted there, the apiserver no
 * longer uses any earlier version of the configurations (on the very first apply there is none,
 * and the caller waits for a denial instead, see waitUntilWebhookDenies).
 */
export async function applyWebhookConfigurations(
  cp: ControlPlane,
  options: WebhookConfigurationOptions,
): Promise<KubeObject[]> {
  const kubectl = boundedKubectl(cp);
  configurationVersion += 1;
  const marker = `e2e-webhooks-v${configurationVersion}`;
  const created = await kubectl(['create', 'namespace', marker]);
  assert.equal(created.code, 0, created.stderr);

  const rendered = await renderWebhookConfigurations(options);
  for (const document of rendered) {
    for (const hook of (document['webhooks'] ?? []) as Json[]) {
      const selector = (hook['namespaceSelector'] ?? {}) as { matchExpressions?: Json[] };
      selector.matchExpressions = [
        ...(selector.matchExpressions ?? []),
        { key: 'kubernetes.io/metadata.name', operator: 'NotIn', values: [marker] },
      ];
      hook['namespaceSelector'] = selector;
    }
  }
  const list = { apiVersion: 'v1', kind: 'List', items: rendered };
  const applied = await kubectl(['apply', '-f', '-'], { input: JSON.stringify(list) });
  assert.equal(applied.code, 0, `applying the webhook configurations failed:\n${applied.stderr}`);

  let last = '';
  await eventually(
    `the apiserver to use webhook configurations ${marker}`,
    async () => {
      const probe = await apply(kubectl, probePod('configuration-probe'), marker, {
        extraArgs: ['--dry-run=server'],
      });
      last = `exit ${probe.code}: ${probe.stderr}`;
      return probe.code === 0 ? true : undefined;
    },
    { lastSeen: () => last },
  );
  return rendered;
}

// ---------------------------------------------------------------------------
// Objects and kubectl

export type Json = Record<string, unknown>;

export interface ContainerSpec {
  name: string;
  image?: string;
  securityContext?: Json;
  [key: string]: unknown;
}

export function container(name: string, securityContext?: Json): ContainerSpec {
  return {
    name,
    image: 'registry.invalid/app:1',
    ...(securityContext ? { securityContext } : {}),
  };
}

export function pod(
  name: string,
  spec: Json,
  metadata: { annotations?: Record<string, string>; labels?: Record<string, string> } = {},
): KubeObject {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name, ...metadata }, spec };
}

const LABELS = (name: string) => ({ app: name });

function template(name: string, podSpec: Json): Json {
  return { metadata: { labels: LABELS(name) }, spec: podSpec };
}

/** An object of `kind` (Pod, or a kind with a pod template) carrying `podSpec`. */
export function workload(kind: string, name: string, podSpec: Json): KubeObject {
  const selector = { matchLabels: LABELS(name) };
  switch (kind) {
    case 'Pod':
      return pod(name, podSpec);
    case 'Deployment':
    case 'ReplicaSet':
    case 'DaemonSet':
      return {
        apiVersion: 'apps/v1',
        kind,
        metadata: { name },
        spec: { selector, template: template(name, podSpec) },
      };
    case 'StatefulSet':
      return {
        apiVersion: 'apps/v1',
        kind,
        metadata: { name },
        spec: { selector, serviceName: name, template: template(name, podSpec) },
      };
    case 'ReplicationController':
      return {
        apiVersion: 'v1',
        kind,
        metadata: { name },
        spec: { selector: LABELS(name), template: template(name, podSpec) },
      };
    case 'PodTemplate':
      return { apiVersion: 'v1', kind, metadata: { name }, template: template(name, podSpec) };
    case 'Job':
      return {
        apiVersion: 'batch/v1',
        kind,
        metadata: { name },
        spec: { template: template(name, { restartPolicy: 'Never', ...podSpec }) },
      };
    case 'CronJob':
      return {
        apiVersion: 'batch/v1',
        kind,
        metadata: { name },
        spec: {
          schedule: '0 3 * * *',
          jobTemplate: {
            spec: { template: template(name, { restartPolicy: 'OnFailure', ...podSpec }) },
          },
        },
      };
    default:
      throw new Error(`no fixture for kind ${kind}`);
  }
}

/** Where the pod spec of each kind sits, as our messages spell field paths. */
export const POD_SPEC_PATH: Record<string, string> = {
  Pod: 'spec',
  Deployment: 'spec.template.spec',
  ReplicaSet: 'spec.template.spec',
  DaemonSet: 'spec.template.spec',
  StatefulSet: 'spec.template.spec',
  ReplicationController: 'spec.template.spec',
  PodTemplate: 'template.spec',
  Job: 'spec.template.spec',
  CronJob: 'spec.jobTemplate.spec.template.spec',
};

export interface Kubectl {
  (
    args: readonly string[],
    options?: { user?: 'admin' | 'developer'; input?: string },
  ): Promise<KubectlResult>;
}

/** kubectl bounded in time: no call may hang a test. */
export function boundedKubectl(cp: ControlPlane): Kubectl {
  return (args, options) => cp.kubectl(['--request-timeout=30s', ...args], options);
}

/** `kubectl apply -f -` of one object, as `user` would type it. */
export function apply(
  kubectl: Kubectl,
  object: KubeObject,
  namespace: string,
  options: { user?: 'admin' | 'developer'; extraArgs?: readonly string[] } = {},
): Promise<KubectlResult> {
  return kubectl(['apply', '-n', namespace, ...(options.extraArgs ?? []), '-f', '-'], {
    input: JSON.stringify(object),
    ...(options.user ? { user: options.user } : {}),
  });
}

/** `kubectl get KIND NAME -o json`, parsed; fails the test when kubectl does. */
export async function getJson(
  kubectl: Kubectl,
  resource: string,
  name: string,
  namespace: string,
): Promise<Json> {
  const got = await kubectl(['get', resource, name, '-n', namespace, '-o', 'json']);
  assert.equal(got.code, 0, `kubectl get ${resource} ${name} failed:\n${got.stderr}`);
  return JSON.parse(got.stdout) as Json;
}

/** The `Warning:` lines kubectl printed. */
export function warningLines(stderr: string): string[] {
  return stderr
    .split('\n')
    .filter((line) => line.startsWith('Warning: '))
    .map((line) => line.slice('Warning: '.length));
}

/** A namespace with a mode label, where the developer gets the `edit` role as in its own. */
export async function createNamespace(
  kubectl: Kubectl,
  name: string,
  labels: Record<string, string> = {},
): Promise<void> {
  const objects = {
    apiVersion: 'v1',
    kind: 'List',
    items: [
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels } },
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'RoleBinding',
        metadata: { name: 'developer-edit', namespace: name },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'edit' },
        subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'developer' }],
      },
    ],
  };
  const created = await kubectl(['apply', '-f', '-'], { input: JSON.stringify(objects) });
  assert.equal(created.code, 0, created.stderr);
}

/** The policy every e2e webhook runs: the restricted preset, so the mutation has a drop list to add. */
export const E2E_POLICY = { preset: 'restricted', mode: 'enforce' } as const;

/**
 * A non-compliant pod for probing whether the validating webhook is in the path: it adds
 * SYS_ADMIN, which no mutation removes.
 */
export function probePod(name: string): KubeObject {
  return pod(name, { containers: [container('probe', { capabilities: { add: ['SYS_ADMIN'] } })] });
}

/** Waits until the apiserver sends reviews to the webhook (a fresh configuration is picked up asynchronously). */
export async function waitUntilWebhookDenies(kubectl: Kubectl, namespace: string): Promise<void> {
  let last = '';
  await eventually(
    `the apiserver to call ${VALIDATING_WEBHOOK}`,
    async () => {
      const probe = await apply(kubectl, probePod('webhook-probe'), namespace, {
        extraArgs: ['--dry-run=server'],
      });
      last = `exit ${probe.code}: ${probe.stderr}${probe.stdout}`;
      return probe.code !== 0 &&
        probe.stderr.includes(`admission webhook "${VALIDATING_WEBHOOK}" denied the request`)
        ? true
        : undefined;
    },
    { lastSeen: () => last },
  );
}
