/**
 * The webhooks of the apiserver benchmark and how the apiserver finds them. Every set of webhooks
 * is the chart's own configurations (helm template), renamed and limited by a namespace label to
 * its namespace, so all sets are registered at once and a create picks its set by namespace:
 *
 *   none              no webhook
 *   floor, both       the floor webhook (F0: reads the uid, parses nothing) behind both
 *                     configurations, no matchConditions
 *   floor, validating the floor webhook behind the validating configuration only
 *   parsing floor, both / validating   the same with the floor that parses every review (F1)
 *   runtime-guard, every call    runtime-guard behind both, no matchConditions (before them)
 *   runtime-guard     runtime-guard behind both, with the chart's matchConditions
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { request } from 'node:https';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { stringify } from 'yaml';
import { helmTemplate, parseManifests, type Manifest } from '../../test/chart/helm.ts';
import { readFile, writeFile } from 'node:fs/promises';
import { freePort, NODE, REPOSITORY } from '../webhook/servers.ts';

/** The policy both webhook processes run, and the chart renders its conditions from. */
export const POLICY = { preset: 'restricted', mode: 'enforce' } as const;

export const SET_LABEL = 'runtime-guard.io/bench-set';

export type SetName =
  | 'none'
  | 'floor-both'
  | 'floor-validating'
  | 'parsing-floor-both'
  | 'parsing-floor-validating'
  | 'rg-every-call'
  | 'rg';

/** The floor that reads only the uid (F0), the one that parses (F1), and runtime-guard. */
export type ServerKind = 'floor' | 'parsing-floor' | 'runtime-guard';

export interface WebhookSet {
  name: SetName;
  title: string;
  namespace: string;
  server: ServerKind | undefined;
  /** Which configurations, and whether they keep the chart's matchConditions. */
  configurations: 'none' | 'validating' | 'both';
  matchConditions: boolean;
}

export const SETS: readonly WebhookSet[] = [
  { name: 'none', title: 'no webhook', server: undefined, configurations: 'none' },
  { name: 'floor-both', title: 'floor, both calls', server: 'floor', configurations: 'both' },
  {
    name: 'floor-validating',
    title: 'floor, validating call only',
    server: 'floor',
    configurations: 'validating',
  },
  {
    name: 'parsing-floor-both',
    title: 'parsing floor, both calls',
    server: 'parsing-floor',
    configurations: 'both',
  },
  {
    name: 'parsing-floor-validating',
    title: 'parsing floor, validating call only',
    server: 'parsing-floor',
    configurations: 'validating',
  },
  {
    name: 'rg-every-call',
    title: 'runtime-guard, no matchConditions',
    server: 'runtime-guard',
    configurations: 'both',
  },
  {
    name: 'rg',
    title: 'runtime-guard with matchConditions',
    server: 'runtime-guard',
    configurations: 'both',
    matchConditions: true,
  },
].map((set) => ({
  matchConditions: false,
  ...set,
  namespace: `bench-${set.name}`,
})) as WebhookSet[];

type Json = Record<string, unknown>;

/** The chart's configurations for one set, pointed at `url`, renamed and bound to its namespace. */
export async function configurationsFor(
  set: WebhookSet,
  url: string,
  caBundle: string,
): Promise<Manifest[]> {
  if (set.configurations === 'none') return [];
  const rendered = parseManifests(
    await helmTemplate([
      '--set',
      `webhook.url=${url}`,
      '--set-string',
      `webhook.caBundle=${Buffer.from(caBundle).toString('base64')}`,
      '--set-json',
      `config=${JSON.stringify(POLICY)}`,
      '--set',
      `webhook.validating.matchConditions=${set.matchConditions}`,
      '--set',
      `webhook.mutating.matchConditions=${set.matchConditions}`,
      '--show-only',
      'templates/webhooks.yaml',
    ]),
  );
  return rendered
    .filter((o) => set.configurations === 'both' || o.kind === 'ValidatingWebhookConfiguration')
    .map((o) => {
      const copy = structuredClone(o) as Manifest & { webhooks: Json[] };
      copy.metadata.name = `bench-${set.name}`;
      for (const hook of copy.webhooks) {
        hook['name'] = String(hook['name']).replace('.runtime-guard.io', `-${set.name}.bench.io`);
        const selector = hook['namespaceSelector'] as { matchExpressions: Json[] };
        selector.matchExpressions.push({ key: SET_LABEL, operator: 'In', values: [set.name] });
      }
      return copy;
    });
}

export interface WebhookProcess {
  pid: number;
  url: string;
  child: ChildProcess;
  /** Decision lines runtime-guard wrote (its stdout, drained here as a container runtime would). */
  logLines(): number;
  stop(): Promise<void>;
}

async function waitUntilServing(
  url: string,
  ca: string,
  child: ChildProcess,
  stderr: () => string,
) {
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`webhook exited:\n${stderr()}`);
    const status = await new Promise<number>((resolve) => {
      const req = request(`${url}/healthz`, { ca, timeout: 2000 }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', () => resolve(0));
      req.on('timeout', () => req.destroy());
      req.end();
    });
    if (status === 200 || status === 404) return;
    if (Date.now() > deadline) throw new Error(`${url} did not answer in 30 s:\n${stderr()}`);
    await sleep(100);
  }
}

export interface Tls {
  certFile: string;
  keyFile: string;
  ca: string;
}

/** The policy file: runtime-guard's, and the floor's to compute runtime-guard's answers with. */
export async function writePolicyFile(dir: string, tls: Tls, port: number): Promise<string> {
  const file = join(dir, `policy-${port}.yaml`);
  await writeFile(
    file,
    stringify({
      ...POLICY,
      server: {
        host: '127.0.0.1',
        port,
        tls: { certFile: tls.certFile, keyFile: tls.keyFile },
        shutdown: { drainSeconds: 0, timeoutSeconds: 5 },
      },
    }),
  );
  return file;
}

/**
 * The checkout whose runtime-guard serves: RUNTIME_GUARD_BENCH_TREE=DIR measures another one (a
 * `git worktree` with node_modules) behind this checkout's chart and floors, for a before/after.
 */
const RUNTIME_GUARD_TREE = process.env['RUNTIME_GUARD_BENCH_TREE'] ?? REPOSITORY;

/**
 * runtime-guard runs with the Node.js flags of the image's ENTRYPOINT, as in a pod: the options
 * of its exec form, whichever node binary it names.
 */
async function entrypointNodeFlags(): Promise<string[]> {
  const dockerfile = await readFile(join(REPOSITORY, 'Dockerfile'), 'utf8');
  const line = dockerfile.split('\n').findLast((l) => l.startsWith('ENTRYPOINT '));
  const entrypoint = JSON.parse(line?.slice('ENTRYPOINT '.length) ?? '[]') as unknown;
  if (!Array.isArray(entrypoint)) throw new Error('the Dockerfile has no exec-form ENTRYPOINT');
  return (entrypoint as string[]).filter((part) => part.startsWith('--'));
}

export async function startWebhookProcess(
  kind: ServerKind,
  dir: string,
  tls: Tls,
): Promise<WebhookProcess> {
  const port = await freePort();
  const policyFile = await writePolicyFile(dir, tls, port);
  const args =
    kind === 'runtime-guard'
      ? [
          ...(await entrypointNodeFlags()),
          join(RUNTIME_GUARD_TREE, 'bin/runtime-guard.js'),
          'serve',
          '--config',
          policyFile,
        ]
      : [
          join(import.meta.dirname, 'floor-server.ts'),
          `--port=${port}`,
          `--cert=${tls.certFile}`,
          `--key=${tls.keyFile}`,
          `--config=${policyFile}`,
          ...(kind === 'parsing-floor' ? ['--parse'] : []),
        ];
  // For profiles, e.g. RUNTIME_GUARD_BENCH_NODE_FLAGS="--cpu-prof --cpu-prof-dir=DIR": both kinds.
  const extraFlags = (process.env['RUNTIME_GUARD_BENCH_NODE_FLAGS'] ?? '')
    .split(' ')
    .filter(Boolean);
  const child = spawn(NODE, [...extraFlags, ...args], {
    cwd: dir,
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  let lines = 0;
  child.stdout?.on('data', (chunk: Buffer) => {
    for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) lines++;
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
  if (child.pid === undefined) throw new Error(`cannot start the ${kind} webhook`);
  const url = `https://127.0.0.1:${port}`;
  await waitUntilServing(url, tls.ca, child, () => stderr);
  const exited = once(child, 'exit');
  return {
    pid: child.pid,
    url,
    child,
    logLines: () => lines,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Sends one IPC message to the floor and waits for its answer of the same type. */
export function askFloor(child: ChildProcess, message: Json): Promise<Json> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`the floor did not answer ${String(message['type'])}`)),
      10_000,
    );
    const onMessage = (answer: Json) => {
      if (answer['type'] !== message['type']) return;
      clearTimeout(timer);
      child.off('message', onMessage);
      resolve(answer);
    };
    child.on('message', onMessage);
    child.send(message);
  });
}
