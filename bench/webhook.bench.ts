/**
 * How close runtime-guard comes to the fastest server its stack allows (issue 5), side by side
 * in one run, on identical bytes over HTTPS keep-alive:
 *
 *   F0  bare Fastify HTTPS server answering a precomputed response without parsing
 *   F1  F0 plus JSON.parse of the body
 *   W   the real `runtime-guard serve` process
 *
 * with the Pod Security Admission evaluator (Go, in process) as the anchor for the policy cost.
 * Method and latest figures: BENCHMARKS.md. Prints figures; asserts nothing about speed.
 *
 *   node bench/webhook.bench.ts            full run (about 20 minutes on 2 cores), writes
 *                                          bench/results/latest.md and latest.json
 *   node bench/webhook.bench.ts --smoke    seconds: a few hundred checked answers from each
 *                                          server, PSA for a fraction of a second; exits 1 on
 *                                          any wrong answer
 * Options: --servers F0,F1,W  --payloads "typical pod,large pod"  --endpoints validate,mutate
 *          --out DIR  --cpu-prof DIR (servers write .cpuprofile files there)
 *          --node-flags="--single-threaded-gc" (Node.js flags for all three servers, after W's
 *          image flags; the report names them)
 *          --wait-for-load 0.5 [--wait-minutes 30] (start once the 1-min load average is below)
 *          --keep (keep the temporary folder with certificates and payloads)
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, release, tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs, promisify } from 'node:util';
import type { Endpoint } from '../src/admission/review-request.ts';
import { createFixture, ENDPOINTS, type Fixture, type PayloadFiles } from './webhook/fixtures.ts';
import { buildGoPrograms, goVersion } from './webhook/load.ts';
import {
  FULL,
  measureSideBySide,
  measureRun,
  type Cell,
  type Context,
  type RunRecord,
  type Settings,
} from './webhook/measure.ts';
import type { PolicyCost } from './webhook/policy-cost.ts';
import { runPsa, type PsaResult } from './webhook/psa.ts';
import {
  evaluateGoals,
  renderMarkdown,
  type BenchmarkResults,
  type MachineInfo,
} from './webhook/report.ts';
import {
  imageNodeFlags,
  NODE,
  REPOSITORY,
  SERVER_NAMES,
  startServer,
  type RunningServer,
  type ServerName,
} from './webhook/servers.ts';

const execFileAsync = promisify(execFile);

const { values: args } = parseArgs({
  options: {
    smoke: { type: 'boolean', default: false },
    servers: { type: 'string' },
    payloads: { type: 'string' },
    endpoints: { type: 'string' },
    out: { type: 'string' },
    'cpu-prof': { type: 'string' },
    'node-flags': { type: 'string' },
    'wait-for-load': { type: 'string' },
    'wait-minutes': { type: 'string', default: '30' },
    keep: { type: 'boolean', default: false },
  },
});

const smoke = args.smoke;
const list = (text: string | undefined) => text?.split(',').map((s) => s.trim());
const servers = (list(args.servers) ?? SERVER_NAMES) as ServerName[];
const wantedPayloads = list(args.payloads);
const endpoints = (list(args.endpoints) ?? ENDPOINTS) as Endpoint[];
for (const server of servers) {
  if (!SERVER_NAMES.includes(server)) throw new Error(`unknown server ${server}`);
}

const log = (line: string) => process.stderr.write(`${line}\n`);
const twoCores = cpus().length >= 2;
const settings: Settings = {
  ...FULL,
  serverCore: twoCores ? FULL.serverCore : undefined,
  clientCore: twoCores ? FULL.clientCore : undefined,
};
if (!twoCores) log('fewer than 2 cores: servers and load generator are not pinned');

async function waitForQuiet(): Promise<void> {
  const threshold = Number(args['wait-for-load']);
  const deadline = Date.now() + Number(args['wait-minutes']) * 60_000;
  for (;;) {
    const [one = 0] = loadavg();
    if (one < threshold) return;
    if (Date.now() > deadline) {
      log(
        `load average still ${one.toFixed(2)} after ${args['wait-minutes']} min: starting anyway`,
      );
      return;
    }
    log(`load average ${one.toFixed(2)} ≥ ${threshold}: waiting`);
    await sleep(60_000);
  }
}

async function machineInfo(started: number): Promise<MachineInfo> {
  const fastify = JSON.parse(
    await readFile(join(REPOSITORY, 'node_modules/fastify/package.json'), 'utf8'),
  ) as { version: string };
  const { stdout: nodeVersion } = await execFileAsync(NODE, ['--version']);
  return {
    date: new Date().toISOString().slice(0, 16).replace('T', ' ') + ' UTC',
    cpu: cpus()[0]?.model.trim() ?? 'unknown CPU',
    cores: cpus().length,
    memoryGiB: totalmem() / 1024 ** 3,
    kernel: release(),
    node: nodeVersion.trim(),
    fastify: fastify.version,
    go: await goVersion(),
    nodeFlags: {
      w: await imageNodeFlags(),
      all: args['node-flags']?.split(' ').filter(Boolean) ?? [],
    },
    loadAverageStart: [],
    loadAverageEnd: loadavg().map((n) => Math.round(n * 100) / 100),
    durationSeconds: (Date.now() - started) / 1000,
  };
}

/** runtime-guard's in-process cost, in a child pinned to the server core like the PSA run. */
async function policyCost(): Promise<PolicyCost[]> {
  const script = join(import.meta.dirname, 'webhook/policy-cost.ts');
  const scriptArgs = [script, ...(smoke ? ['--quick'] : [])];
  const [command, commandArgs] =
    settings.serverCore === undefined
      ? [NODE, scriptArgs]
      : ['taskset', ['--cpu-list', String(settings.serverCore), NODE, ...scriptArgs]];
  const { stdout } = await execFileAsync(command, commandArgs, { maxBuffer: 1 << 20 });
  return JSON.parse(stdout) as PolicyCost[];
}

/** Starts every selected server on the payload (all on the server core, idle but one at a time). */
async function withServers<T>(
  fixture: Fixture,
  payload: PayloadFiles,
  logLines: Record<string, number>,
  work: (running: RunningServer[]) => Promise<T>,
): Promise<T> {
  const nodeFlags = [
    ...(args['node-flags']?.split(' ').filter(Boolean) ?? []),
    ...(args['cpu-prof'] ? ['--cpu-prof', `--cpu-prof-dir=${resolve(args['cpu-prof'])}`] : []),
  ];
  const running: RunningServer[] = [];
  try {
    for (const name of servers) {
      running.push(
        await startServer(name, fixture, payload, { core: settings.serverCore, nodeFlags }),
      );
    }
    return await work(running);
  } finally {
    for (const server of running) {
      const { logLines: lines } = await server.stop();
      if (lines !== undefined) logLines[payload.name] = (logLines[payload.name] ?? 0) + lines;
    }
  }
}

/** A few checked answers per payload and endpoint, each response decoded in full. */
async function correctness(
  context: Context,
  server: RunningServer,
  payload: PayloadFiles,
  records: RunRecord[],
): Promise<void> {
  const big = payload.correctnessOnly;
  for (const endpoint of endpoints) {
    records.push(
      await measureRun(context, server, payload, endpoint, 'correctness', {
        mode: 'closed',
        connections: big ? 2 : 4,
        requests: big ? 4 : 50,
        check: 'full',
      }),
    );
  }
}

/** A short closed-loop and fixed-rate run per server and endpoint, to print figures. */
async function smokeFigures(
  context: Context,
  running: readonly RunningServer[],
  payload: PayloadFiles,
  records: RunRecord[],
): Promise<void> {
  for (const endpoint of endpoints) {
    for (const server of running) {
      records.push(
        await measureRun(context, server, payload, endpoint, 'smoke', {
          mode: 'closed',
          connections: 4,
          warmupSeconds: 0.2,
          durationSeconds: 0.5,
          check: 'bytes',
        }),
        await measureRun(context, server, payload, endpoint, 'smoke', {
          mode: 'open',
          connections: 8,
          rate: 300,
          durationSeconds: 0.5,
          check: 'bytes',
        }),
      );
    }
  }
}

async function main(): Promise<number> {
  if (args['wait-for-load']) await waitForQuiet();
  const started = Date.now();
  const loadAverageStart = loadavg().map((n) => Math.round(n * 100) / 100);
  if (settings.clientCore !== undefined) {
    // The orchestration stays off the server's core.
    await execFileAsync('taskset', [
      '--cpu-list',
      '--pid',
      String(settings.clientCore),
      String(process.pid),
    ]);
  }
  if (args['cpu-prof']) await mkdir(resolve(args['cpu-prof']), { recursive: true });
  const dir = await mkdtemp(join(tmpdir(), 'runtime-guard-bench-'));
  try {
    log(
      `${smoke ? 'smoke' : 'full'} run; load average ${loadAverageStart.join(' ')}; files in ${dir}`,
    );
    const fixture = await createFixture(dir);
    const built = Date.now();
    const { loadgen, psa: psaBinary } = await buildGoPrograms(dir);
    log(`go programs built in ${((Date.now() - built) / 1000).toFixed(1)} s`);
    const context: Context = { fixture, loadgen, settings, log };

    log('PSA evaluator (Go, in process)…');
    const psa: PsaResult = await runPsa({
      binary: psaBinary,
      podsDir: fixture.podsDir,
      benchtime: smoke ? '200x' : '0.5s',
      count: smoke ? 1 : 3,
      core: settings.serverCore,
    });
    log('runtime-guard policy core (in process)…');
    const cost = await policyCost();

    const records: RunRecord[] = [];
    const cells: Cell[] = [];
    const logLines: Record<string, number> = {};
    const selected = fixture.payloads.filter(
      (p) => !wantedPayloads || wantedPayloads.includes(p.name) || p.correctnessOnly,
    );
    for (const payload of selected) {
      log(`${payload.name} (${(payload.bytes / 1024).toFixed(1)} KiB): ${servers.join(', ')}`);
      await withServers(fixture, payload, logLines, async (running) => {
        if (smoke || payload.correctnessOnly) {
          for (const server of running) await correctness(context, server, payload, records);
        }
        if (payload.correctnessOnly) return;
        if (smoke) {
          if (payload.name === 'typical pod')
            await smokeFigures(context, running, payload, records);
          return;
        }
        for (const endpoint of endpoints) {
          cells.push(...(await measureSideBySide(context, running, payload, endpoint, records)));
        }
      });
    }

    const machine = await machineInfo(started);
    machine.loadAverageStart = loadAverageStart;
    const results: BenchmarkResults = {
      kind: smoke ? 'smoke' : 'full',
      machine,
      settings,
      payloads: fixture.payloads.map(({ name, bytes, decision, responseBytes }) => ({
        name,
        bytes,
        decision,
        responseBytes,
      })),
      records,
      cells,
      policyCost: cost,
      psa,
      logLines,
      goals: smoke ? [] : evaluateGoals(cells, records, cost, psa, settings),
    };
    const markdown = renderMarkdown(results);
    process.stdout.write(markdown);
    // The smoke run only prints, unless told where to write.
    const outDir = args.out ?? (smoke ? undefined : join(REPOSITORY, 'bench/results'));
    if (outDir) {
      const base = smoke ? 'smoke' : 'latest';
      await mkdir(resolve(outDir), { recursive: true });
      await writeFile(join(resolve(outDir), `${base}.md`), markdown);
      await writeFile(
        join(resolve(outDir), `${base}.json`),
        `${JSON.stringify(results, null, 1)}\n`,
      );
      log(`written: ${join(resolve(outDir), base)}.md and .json`);
    }
    log(`${smoke ? 'smoke' : 'full'} run took ${(machine.durationSeconds / 60).toFixed(1)} min`);

    const errors = records.reduce((sum, record) => sum + record.result.errors, 0);
    if (smoke && errors > 0) {
      log(`smoke: ${errors} wrong or failed answers`);
      return 1;
    }
    return 0;
  } finally {
    if (args.keep) log(`kept ${dir}`);
    else await rm(dir, { recursive: true, force: true });
  }
}

process.exitCode = await main();
