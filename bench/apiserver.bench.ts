/**
 * What a create pays for runtime-guard in the apiserver path: pod and Deployment creates through
 * a real kube-apiserver (test/e2e/control-plane.ts), dry-run, N at a time, with no webhook, with
 * the floor webhook (F0, answering runtime-guard's exact bytes) behind the chart's
 * configurations, and with runtime-guard with and without the chart's matchConditions
 * (bench/apiserver/webhooks.ts). Compliant objects and objects that need the mutation.
 * Interleaved and repeated: every round runs every case with every set, the sets in a rotated
 * order. Prints p50/p90/p99, creates per second and server CPU per create (apiserver, etcd,
 * webhook, from /proc), medians over the rounds with their spread, and the machine's load.
 * Method and figures: BENCHMARKS.md. Asserts nothing about speed; exits 1 on failed creates or
 * on a floor answer that differs from runtime-guard's.
 *
 *   node bench/apiserver.bench.ts [--rounds 4] [--seconds 4] [--concurrency 4] [--out DIR]
 *   node bench/apiserver.bench.ts --smoke      one short round, no files written
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, loadavg, release } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { stringify } from 'yaml';
import { startControlPlane } from '../test/e2e/control-plane.ts';
import { ServingCertificate, temporaryDirectory } from '../test/e2e/webhook-harness.ts';
import { typicalPod } from './payloads.ts';
import {
  apiClient,
  findProcess,
  median,
  percentile,
  post,
  runCell,
  type CellResult,
} from './apiserver/load.ts';
import {
  askFloor,
  configurationsFor,
  SET_LABEL,
  SETS,
  startWebhookProcess,
  type SetName,
  type Tls,
  type WebhookProcess,
  type WebhookSet,
} from './apiserver/webhooks.ts';
import { REPOSITORY } from './webhook/servers.ts';

type Json = Record<string, unknown>;

const { values: args } = parseArgs({
  options: {
    rounds: { type: 'string', default: '4' },
    seconds: { type: 'string', default: '4' },
    concurrency: { type: 'string', default: '4' },
    out: { type: 'string', default: join(REPOSITORY, 'bench', 'results') },
    smoke: { type: 'boolean', default: false },
  },
});
const ROUNDS = args.smoke ? 1 : Number(args.rounds);
const SECONDS = args.smoke ? 1 : Number(args.seconds);
const WARMUP_SECONDS = args.smoke ? 0.3 : 1;
const CONCURRENCY = Number(args.concurrency);

// ---------------------------------------------------------------------------
// What is created

/** The typical pod of the webhook benchmark as a user writes it (no status, managedFields). */
function podSpec(compliant: boolean): Json {
  const spec = structuredClone(typicalPod()['spec']) as Json;
  if (compliant) {
    spec['securityContext'] = { seccompProfile: { type: 'RuntimeDefault' } };
    for (const container of spec['containers'] as Json[])
      container['securityContext'] = { capabilities: { drop: ['ALL'] } };
  }
  return spec;
}

interface Case {
  name: string;
  resource: 'pods' | 'deployments';
  compliant: boolean;
  body: Json;
}

const CASES: readonly Case[] = [true, false].flatMap((compliant) => [
  {
    name: `pod, ${compliant ? 'compliant' : 'needs mutation'}`,
    resource: 'pods' as const,
    compliant,
    body: {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'web', labels: { app: 'web' } },
      spec: podSpec(compliant),
    },
  },
  {
    name: `deployment, ${compliant ? 'compliant' : 'needs mutation'}`,
    resource: 'deployments' as const,
    compliant,
    body: {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', labels: { app: 'web' } },
      spec: {
        replicas: 3,
        selector: { matchLabels: { app: 'web' } },
        template: { metadata: { labels: { app: 'web' } }, spec: podSpec(compliant) },
      },
    },
  },
]);

/** The floor behind the validating configuration only answers the compliant objects' allow. */
const setsFor = (c: Case): WebhookSet[] =>
  SETS.filter((set) => c.compliant || set.name !== 'floor-validating');

const pathFor = (c: Case, set: WebhookSet) =>
  c.resource === 'pods'
    ? `/api/v1/namespaces/${set.namespace}/pods?dryRun=All`
    : `/apis/apps/v1/namespaces/${set.namespace}/deployments?dryRun=All`;

// ---------------------------------------------------------------------------
// Run

interface Measured {
  round: number;
  caseName: string;
  set: SetName;
  result: Omit<CellResult, 'latenciesMs'> & { p50: number; p90: number; p99: number };
}

const startedAt = new Date();
const loadAtStart = loadavg();
const directory = await temporaryDirectory('runtime-guard-bench-apiserver-');
process.stderr.write('starting etcd and kube-apiserver\n');
const cp = await startControlPlane({ log: (m) => process.stderr.write(`[control-plane] ${m}\n`) });
const servers: WebhookProcess[] = [];
let failed = false;
try {
  const certificate = await ServingCertificate.create(join(directory.path, 'tls'), 'bench CA');
  const tls: Tls = {
    certFile: certificate.certFile,
    keyFile: certificate.keyFile,
    ca: certificate.authority.cert,
  };
  const floor = await startWebhookProcess('floor', directory.path, tls);
  const runtimeGuard = await startWebhookProcess('runtime-guard', directory.path, tls);
  servers.push(floor, runtimeGuard);
  const serverOf = (set: WebhookSet) =>
    set.server === 'floor' ? floor : set.server === 'runtime-guard' ? runtimeGuard : undefined;

  const objects: Json[] = [];
  for (const set of SETS) {
    objects.push({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: set.namespace, labels: { [SET_LABEL]: set.name } },
    });
    const server = serverOf(set);
    if (server) objects.push(...(await configurationsFor(set, server.url, tls.ca)));
  }
  const applied = await cp.kubectl(['apply', '-f', '-'], {
    input: JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects }),
  });
  if (applied.code !== 0) throw new Error(`applying the sets failed:\n${applied.stderr}`);
  await writeFile(join(directory.path, 'sets.yaml'), stringify(objects));

  const client = await apiClient(cp.adminKubeconfig, CONCURRENCY);
  const pids = {
    apiserver: await findProcess(['kube-apiserver', `--cert-dir=${cp.dir}`]),
    etcd: await findProcess(['etcd', `--data-dir=${cp.dir}`]),
  };

  // The apiserver picks up configurations asynchronously: wait until each set mutates (or, for
  // the validating-only floor, reaches the floor) before measuring anything.
  const probe = CASES.find((c) => c.resource === 'pods' && !c.compliant)!;
  for (const set of SETS) {
    const server = serverOf(set);
    if (!server) continue;
    // Its own name: the validating-only set answers the unmutated pod, a denial.
    await askFloor(floor.child, { type: 'case', name: `probe ${set.name}`, verify: true });
    const deadline = Date.now() + 60_000;
    for (;;) {
      const before = (await askFloor(floor.child, { type: 'stats' }))['requests'] as number;
      const answer = await post(client, pathFor(probe, set), JSON.stringify(probe.body));
      const after = (await askFloor(floor.child, { type: 'stats' }))['requests'] as number;
      const mutated = answer.status === 201 && answer.body.includes('RuntimeDefault');
      const ready = set.configurations === 'validating' ? after > before : mutated;
      if (ready) break;
      if (Date.now() > deadline)
        throw new Error(
          `set ${set.name} not in use after 60 s: HTTP ${answer.status} ${answer.body.slice(0, 300)}`,
        );
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  const measured: Measured[] = [];
  const loadAfterRound: number[][] = [];
  for (let round = 0; round < ROUNDS; round++) {
    for (const c of CASES) {
      const sets = setsFor(c);
      const order = sets.map((_, i) => sets[(i + round) % sets.length]!);
      for (const set of order) {
        const server = serverOf(set);
        const options = {
          client,
          path: pathFor(c, set),
          body: JSON.stringify(c.body),
          concurrency: CONCURRENCY,
          pids: { ...pids, webhook: server?.pid },
        };
        // Warm-up: the floor checks its answers against runtime-guard's on every review.
        if (server === floor)
          await askFloor(floor.child, { type: 'case', name: c.name, verify: true });
        await runCell({ ...options, seconds: WARMUP_SECONDS });
        if (server === floor)
          await askFloor(floor.child, { type: 'case', name: c.name, verify: false });
        const { latenciesMs, ...result } = await runCell({ ...options, seconds: SECONDS });
        const sorted = latenciesMs.sort((a, b) => a - b);
        const cell = {
          ...result,
          p50: percentile(sorted, 50),
          p90: percentile(sorted, 90),
          p99: percentile(sorted, 99),
        };
        measured.push({ round, caseName: c.name, set: set.name, result: cell });
        process.stderr.write(
          `round ${round + 1}/${ROUNDS} ${c.name.padEnd(26)} ${set.name.padEnd(17)} ` +
            `p50 ${cell.p50.toFixed(2)} ms, ${(cell.creates / cell.seconds).toFixed(0)}/s, ` +
            `CPU/create ${(((cell.cpuSeconds.apiserver + cell.cpuSeconds.webhook) / Math.max(1, cell.creates)) * 1000).toFixed(2)} ms` +
            `${cell.errors ? `, ${cell.errors} errors: ${cell.firstError}` : ''}\n`,
        );
        if (cell.errors > 0) failed = true;
      }
    }
    loadAfterRound.push(loadavg());
  }
  const floorStats = await askFloor(floor.child, { type: 'stats' });
  if ((floorStats['mismatches'] as number) > 0) failed = true;

  if (!args.smoke) {
    await mkdir(args.out, { recursive: true });
    await writeFile(
      join(args.out, 'apiserver-latest.json'),
      JSON.stringify({ startedAt, loadAtStart, loadAfterRound, floorStats, measured }, null, 1),
    );
  }
  const report = renderReport(measured, {
    startedAt,
    loadAtStart,
    loadAfterRound,
    floorStats,
    runtimeGuardLogLines: runtimeGuard.logLines(),
    minutes: (Date.now() - startedAt.getTime()) / 60_000,
  });
  process.stdout.write(report);
  if (!args.smoke) {
    await writeFile(join(args.out, 'apiserver-latest.md'), report);
    process.stderr.write(`wrote ${join(args.out, 'apiserver-latest.md')} and .json\n`);
  }
} finally {
  for (const server of servers) await server.stop();
  await cp.stop();
  await directory.remove();
}
process.exit(failed ? 1 : 0);

// ---------------------------------------------------------------------------
// Report

interface RunInfo {
  startedAt: Date;
  loadAtStart: number[];
  loadAfterRound: number[][];
  floorStats: Json;
  runtimeGuardLogLines: number;
  minutes: number;
}

interface Summary {
  p50: number;
  p90: number;
  p99: number;
  p50Spread: [number, number];
  rate: number;
  /** Milliseconds of CPU per create. */
  apiserver: number;
  webhook: number;
  etcd: number;
  server: number;
  serverSpread: [number, number];
  otherShare: number;
}

function summarise(cells: readonly Measured[]): Summary {
  const of = (f: (m: Measured['result']) => number) => cells.map((c) => f(c.result));
  const perCreate = (f: (m: Measured['result']) => number) =>
    of((r) => (f(r) / Math.max(1, r.creates)) * 1000);
  const server = perCreate((r) => r.cpuSeconds.apiserver + r.cpuSeconds.webhook);
  const p50s = of((r) => r.p50);
  return {
    p50: median(p50s),
    p90: median(of((r) => r.p90)),
    p99: median(of((r) => r.p99)),
    p50Spread: [Math.min(...p50s), Math.max(...p50s)],
    rate: median(of((r) => r.creates / r.seconds)),
    apiserver: median(perCreate((r) => r.cpuSeconds.apiserver)),
    webhook: median(perCreate((r) => r.cpuSeconds.webhook)),
    etcd: median(perCreate((r) => r.cpuSeconds.etcd)),
    server: median(server),
    serverSpread: [Math.min(...server), Math.max(...server)],
    otherShare: median(of((r) => r.otherSeconds / r.seconds / cpus().length)),
  };
}

function ms(n: number): string {
  return n.toFixed(2);
}
function ratio(a: number, b: number): string {
  return b > 0 ? `${(a / b).toFixed(2)} ×` : '–';
}

function renderReport(measured: readonly Measured[], info: RunInfo): string {
  const lines: string[] = [];
  const load = (l: number[]) => l.map((n) => n.toFixed(2)).join(' ');
  lines.push(
    `# apiserver path: ${info.startedAt.toISOString()}`,
    '',
    `${cpus().length} × ${cpus()[0]?.model ?? 'CPU'}, Linux ${release()}, Node.js ${process.version}; ` +
      `${ROUNDS} rounds, ${SECONDS} s per cell after ${WARMUP_SECONDS} s of warm-up, ${CONCURRENCY} creates in flight, dry-run; ` +
      `run time ${info.minutes.toFixed(1)} min.`,
    '',
    `Load average (1/5/15 min) at the start ${load(info.loadAtStart)}; after each round: ${info.loadAfterRound.map((l) => l[0]!.toFixed(2)).join(', ')}.`,
    '',
    `Floor webhook: ${String(info.floorStats['requests'])} reviews, answers learnt ${String(info.floorStats['learnt'])}, ` +
      `checked against runtime-guard's in warm-up ${String(info.floorStats['verified'])}, different ${String(info.floorStats['mismatches'])}` +
      `${info.floorStats['mismatches'] ? ` (${String(info.floorStats['lastMismatch'])})` : ''}. runtime-guard wrote ${info.runtimeGuardLogLines} decision lines into its pipe.`,
    '',
  );
  const summaries = new Map<string, Summary>();
  for (const c of CASES) {
    lines.push(
      `## ${c.name}`,
      '',
      '| set | p50 ms (spread) | p90 ms | p99 ms | creates/s | apiserver CPU ms/create | webhook CPU ms/create | apiserver + webhook (spread) | added p50 | added CPU | others on the machine |',
      '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    );
    const none = summarise(measured.filter((m) => m.caseName === c.name && m.set === 'none'));
    for (const set of setsFor(c)) {
      const s = summarise(measured.filter((m) => m.caseName === c.name && m.set === set.name));
      summaries.set(`${c.name}|${set.name}`, s);
      lines.push(
        `| ${set.title} | ${ms(s.p50)} (${ms(s.p50Spread[0])}–${ms(s.p50Spread[1])}) | ${ms(s.p90)} | ${ms(s.p99)} | ${s.rate.toFixed(0)} | ` +
          `${ms(s.apiserver)} | ${ms(s.webhook)} | ${ms(s.server)} (${ms(s.serverSpread[0])}–${ms(s.serverSpread[1])}) | ` +
          `${set.name === 'none' ? '–' : ms(s.p50 - none.p50)} | ${set.name === 'none' ? '–' : ms(s.server - none.server)} | ${(s.otherShare * 100).toFixed(0)} % |`,
      );
    }
    lines.push('');
  }
  const added = (c: string, set: SetName, field: 'p50' | 'server') =>
    summaries.get(`${c}|${set}`)![field] - summaries.get(`${c}|none`)![field];
  lines.push(
    '## Goals',
    '',
    '| goal | target | latency (added p50) | server CPU (added per create) |',
    '| --- | --- | --- | --- |',
  );
  for (const kind of ['pod', 'deployment']) {
    const compliant = `${kind}, compliant`;
    const mutated = `${kind}, needs mutation`;
    lines.push(
      `| ${kind}, compliant: runtime-guard / one floor call | ≤ 1.2 × | ${ratio(added(compliant, 'rg', 'p50'), added(compliant, 'floor-validating', 'p50'))} | ${ratio(added(compliant, 'rg', 'server'), added(compliant, 'floor-validating', 'server'))} |`,
      `| ${kind}, needs mutation: runtime-guard / two floor calls with the same patch | ≤ 1.15 × | ${ratio(added(mutated, 'rg', 'p50'), added(mutated, 'floor-both', 'p50'))} | ${ratio(added(mutated, 'rg', 'server'), added(mutated, 'floor-both', 'server'))} |`,
      `| ${kind}, compliant: with matchConditions / without | (what they save) | ${ratio(added(compliant, 'rg', 'p50'), added(compliant, 'rg-every-call', 'p50'))} | ${ratio(added(compliant, 'rg', 'server'), added(compliant, 'rg-every-call', 'server'))} |`,
    );
  }
  lines.push('');
  return lines.join('\n');
}
