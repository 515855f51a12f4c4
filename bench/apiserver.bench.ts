/**
 * What a create pays for runtime-guard in the apiserver path: pod and Deployment creates through
 * a real kube-apiserver (test/e2e/control-plane.ts), dry-run, N at a time, with no webhook, with
 * the floor webhooks (F0 and F1, answering runtime-guard's exact bytes) behind the chart's
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
 *   node bench/apiserver.bench.ts --sets rg,floor-validating --cases 'pod, compliant'
 *                                              only these sets ('none' always) and cases
 *
 * RUNTIME_GUARD_BENCH_APISERVER_PPROF=DIR writes a Go CPU profile of the apiserver over each
 * measured cell into DIR (`go tool pprof -top kube-apiserver DIR/FILE`).
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
  getBytes,
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
    sets: { type: 'string' },
    cases: { type: 'string' },
  },
});
const PPROF_DIR = process.env['RUNTIME_GUARD_BENCH_APISERVER_PPROF'];
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

const ALL_CASES: readonly Case[] = [true, false].flatMap((compliant) => [
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

const chosenSets = args.sets?.split(',').map((name) => name.trim());
for (const name of chosenSets ?? [])
  if (!SETS.some((set) => set.name === name)) {
    process.stderr.write(`--sets: no set ${name} (${SETS.map((set) => set.name).join(', ')})\n`);
    process.exit(2);
  }
const chosenCases = args.cases?.split(';').map((name) => name.trim());
const CASES = ALL_CASES.filter((c) => !chosenCases || chosenCases.includes(c.name));
if (CASES.length === 0) {
  process.stderr.write(
    `--cases: none of ${args.cases} (${ALL_CASES.map((c) => c.name).join('; ')})\n`,
  );
  process.exit(2);
}

/** A floor behind the validating configuration only answers the compliant objects' allow. */
const setsFor = (c: Case): WebhookSet[] =>
  SETS.filter(
    (set) =>
      (c.compliant || set.configurations !== 'validating') &&
      (!chosenSets || set.name === 'none' || chosenSets.includes(set.name)),
  );

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
const cp = await startControlPlane({
  log: (m) => process.stderr.write(`[control-plane] ${m}\n`),
  // The last of a repeated flag wins: the test control plane turns profiling off.
  ...(PPROF_DIR ? { extraApiServerArgs: ['--profiling=true'] } : {}),
});
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
  const parsingFloor = await startWebhookProcess('parsing-floor', directory.path, tls);
  const runtimeGuard = await startWebhookProcess('runtime-guard', directory.path, tls);
  servers.push(floor, parsingFloor, runtimeGuard);
  const floors = [floor, parsingFloor];
  const byKind = { floor, 'parsing-floor': parsingFloor, 'runtime-guard': runtimeGuard };
  const serverOf = (set: WebhookSet) => (set.server ? byKind[set.server] : undefined);
  /** Every floor learns and checks answers per case: the validating-only sets see the probe's denial. */
  const tellFloors = async (name: string, verify: boolean) => {
    for (const f of floors) await askFloor(f.child, { type: 'case', name, verify });
  };

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
  const probe = ALL_CASES.find((c) => c.resource === 'pods' && !c.compliant)!;
  for (const set of SETS) {
    const server = serverOf(set);
    if (!server) continue;
    // Its own name: the validating-only set answers the unmutated pod, a denial.
    await tellFloors(`probe ${set.name}`, true);
    const deadline = Date.now() + 60_000;
    for (;;) {
      const requests = async () =>
        set.server === 'runtime-guard'
          ? 0
          : ((await askFloor(server.child, { type: 'stats' }))['requests'] as number);
      const before = await requests();
      const answer = await post(client, pathFor(probe, set), JSON.stringify(probe.body));
      const after = await requests();
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
        // Warm-up: a floor checks its answers against runtime-guard's on every review.
        const isFloor = server !== undefined && floors.includes(server);
        if (isFloor) await tellFloors(c.name, true);
        await runCell({ ...options, seconds: WARMUP_SECONDS });
        if (isFloor) await tellFloors(c.name, false);
        const profile = PPROF_DIR
          ? getBytes(client, `/debug/pprof/profile?seconds=${SECONDS}`, (SECONDS + 30) * 1000)
          : undefined;
        const { latenciesMs, ...result } = await runCell({ ...options, seconds: SECONDS });
        if (profile && PPROF_DIR) {
          const file = `${round + 1}-${c.name.replace(/\W+/g, '-')}-${set.name}.pprof`;
          await mkdir(PPROF_DIR, { recursive: true });
          await writeFile(join(PPROF_DIR, file), await profile);
        }
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
  const parsingFloorStats = await askFloor(parsingFloor.child, { type: 'stats' });
  for (const stats of [floorStats, parsingFloorStats])
    if ((stats['mismatches'] as number) > 0) failed = true;

  if (!args.smoke) {
    await mkdir(args.out, { recursive: true });
    await writeFile(
      join(args.out, 'apiserver-latest.json'),
      JSON.stringify(
        { startedAt, loadAtStart, loadAfterRound, floorStats, parsingFloorStats, measured },
        null,
        1,
      ),
    );
  }
  const report = renderReport(measured, {
    startedAt,
    loadAtStart,
    loadAfterRound,
    floorStats,
    parsingFloorStats,
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
  parsingFloorStats: Json;
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
    ...(
      [
        ['Floor webhook (F0)', info.floorStats],
        ['Parsing floor (F1)', info.parsingFloorStats],
      ] as const
    ).map(
      ([title, stats]) =>
        `${String(title)}: ${String(stats['requests'])} reviews, answers learnt ${String(stats['learnt'])}, ` +
        `checked against runtime-guard's in warm-up ${String(stats['verified'])}, different ${String(stats['mismatches'])}` +
        `${stats['mismatches'] ? ` (${String(stats['lastMismatch'])})` : ''}.`,
    ),
    `runtime-guard wrote ${info.runtimeGuardLogLines} decision lines into its pipe.`,
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
  const measuredSet = (c: string, set: SetName) => summaries.has(`${c}|${set}`);
  lines.push(
    '## Goals',
    '',
    '| goal | target | latency (added p50) | server CPU (added per create) |',
    '| --- | --- | --- | --- |',
  );
  for (const kind of ['pod', 'deployment']) {
    const compliant = `${kind}, compliant`;
    const mutated = `${kind}, needs mutation`;
    const row = (goal: string, target: string, c: string, set: SetName, floorSet: SetName) =>
      measuredSet(c, set) && measuredSet(c, floorSet)
        ? [
            `| ${kind}, ${goal} | ${target} | ${ratio(added(c, set, 'p50'), added(c, floorSet, 'p50'))} | ${ratio(added(c, set, 'server'), added(c, floorSet, 'server'))} |`,
          ]
        : [];
    lines.push(
      ...row(
        'compliant: runtime-guard / one floor call',
        '≤ 1.2 ×',
        compliant,
        'rg',
        'floor-validating',
      ),
      ...row(
        'compliant: runtime-guard / one parsing-floor call',
        '≤ 1.2 ×',
        compliant,
        'rg',
        'parsing-floor-validating',
      ),
      ...row(
        'needs mutation: runtime-guard / two floor calls with the same patch',
        '≤ 1.15 ×',
        mutated,
        'rg',
        'floor-both',
      ),
      ...row(
        'needs mutation: runtime-guard / two parsing-floor calls with the same patch',
        '≤ 1.15 ×',
        mutated,
        'rg',
        'parsing-floor-both',
      ),
      ...row(
        'compliant: with matchConditions / without',
        '(what they save)',
        compliant,
        'rg',
        'rg-every-call',
      ),
    );
  }
  lines.push('');
  return lines.join('\n');
}
