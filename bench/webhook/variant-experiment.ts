/**
 * A/B experiments behind BENCHMARKS.md's analysis, not part of `npm run bench`: variants of
 * runtime-guard's server (W) take turns under the same load, with F1 (parse only) as the floor,
 * and the medians over the rounds are printed.
 *
 *   node bench/webhook/variant-experiment.ts [--variants LIST] [--rounds 5]
 *       [--payload "typical pod"] [--endpoint validate] [--connections 8] [--seconds 2]
 *       [--burst 32] [--rate 1500]
 *
 * A variant is F1, W, or W with options after colons:
 *   W:log=unbatched|sync|off    the decision log written another way (serve-variant.ts)
 *   W:node=--flag[=value]       a Node.js/V8 flag, e.g. W:node=--max-semi-space-size=8 (F1
 *                               takes node= too, e.g. F1:node=--cpu-prof for a profile to compare)
 *   W:tree=DIR                  W from another checkout (a `git worktree` with node_modules
 *                               linked), to measure before and after a change in one run
 *   W:memory=MiB                in a memory cgroup with this limit, as a container (needs root
 *                               and cgroup v1; a server the kernel kills is reported, not retried)
 * Default: F1,W,W:log=unbatched,W:log=sync,W:log=off.
 *
 * Each round, for each variant in turn: a closed-loop run on --connections (server CPU per review,
 * throughput); with --burst N, a closed-loop run on N connections (peak RSS); with --rate R, a
 * fixed-rate run right after it (p99, event-loop delay): the sequence after which BENCHMARKS.md
 * saw slow young-generation collections.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import type { Endpoint } from '../../src/admission/review-request.ts';
import { createFixture } from './fixtures.ts';
import { buildGoPrograms } from './load.ts';
import { FULL, measureRun, type Context, type RunRecord } from './measure.ts';
import { LOG_VARIANTS, type LogVariant } from './serve-variant.ts';
import { startServer, type RunningServer, type StartOptions } from './servers.ts';

const { values } = parseArgs({
  options: {
    variants: { type: 'string', default: 'F1,W,W:log=unbatched,W:log=sync,W:log=off' },
    rounds: { type: 'string', default: '5' },
    payload: { type: 'string', default: 'typical pod' },
    endpoint: { type: 'string', default: 'validate' },
    connections: { type: 'string', default: '8' },
    seconds: { type: 'string', default: '2' },
    burst: { type: 'string' },
    rate: { type: 'string' },
  },
});

interface Variant {
  label: string;
  name: 'F1' | 'W';
  options: Pick<StartOptions, 'logVariant' | 'nodeFlags' | 'memoryLimitMiB' | 'tree'>;
}

function parseVariant(text: string): Variant {
  const [name, ...parts] = text.split(':');
  if (name !== 'F1' && name !== 'W') throw new Error(`variant ${text}: F1 or W`);
  const nodeFlags: string[] = [];
  let logVariant: LogVariant | undefined;
  let memoryLimitMiB: number | undefined;
  let tree: string | undefined;
  for (const part of parts) {
    const [key, value] = [part.slice(0, part.indexOf('=')), part.slice(part.indexOf('=') + 1)];
    if (key === 'node') nodeFlags.push(value);
    else if (key === 'memory' && Number(value) > 0) memoryLimitMiB = Number(value);
    else if (key === 'tree' && value !== '') tree = value;
    else if (key === 'log' && (LOG_VARIANTS as readonly string[]).includes(value))
      logVariant = value as LogVariant;
    else throw new Error(`variant ${text}: unknown option ${part}`);
  }
  if (name === 'F1' && (logVariant || memoryLimitMiB || tree)) {
    throw new Error(`variant ${text}: log=, memory= and tree= are for W`);
  }
  return {
    label: text,
    name,
    options: {
      ...(logVariant ? { logVariant } : {}),
      ...(nodeFlags.length ? { nodeFlags } : {}),
      ...(memoryLimitMiB ? { memoryLimitMiB } : {}),
      ...(tree ? { tree } : {}),
    },
  };
}

const variants = values.variants.split(',').map((text) => parseVariant(text.trim()));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
const closed = (connections: number, seconds: number) =>
  ({
    mode: 'closed',
    connections,
    warmupSeconds: 0.3,
    durationSeconds: seconds,
    check: 'bytes',
  }) as const;

interface Figures {
  cpu: number[];
  throughput: number[];
  burstRss: number[];
  rateP99: number[];
  rateEld: number[];
  rateRss: number[];
  died?: string;
}

async function endedSoon(server: RunningServer): Promise<string | undefined> {
  for (let i = 0; i < 20 && !server.ended(); i++) await sleep(100);
  return server.ended();
}

const dir = await mkdtemp(join(tmpdir(), 'runtime-guard-variants-'));
const running: RunningServer[] = [];
try {
  const fixture = await createFixture(dir);
  const payload = fixture.payloads.find((p) => p.name === values.payload);
  if (!payload) throw new Error(`no payload ${values.payload}`);
  const endpoint = values.endpoint as Endpoint;
  const { loadgen } = await buildGoPrograms(dir);
  const context: Context = { fixture, loadgen, settings: FULL, log: () => {} };
  for (const variant of variants) {
    running.push(
      await startServer(variant.name, fixture, payload, {
        core: FULL.serverCore,
        ...variant.options,
      }),
    );
  }
  const run = (server: RunningServer, load: Parameters<typeof measureRun>[5]) =>
    measureRun(context, server, payload, endpoint, 'sweep', load);
  for (const server of running) await run(server, closed(8, 1.5));

  const figures: Figures[] = running.map(() => ({
    cpu: [],
    throughput: [],
    burstRss: [],
    rateP99: [],
    rateEld: [],
    rateRss: [],
  }));
  const rss = (record: RunRecord) => record.result.server?.peakRssMiB ?? NaN;
  for (let round = 0; round < Number(values.rounds); round++) {
    for (const [i, server] of running.entries()) {
      const own = figures[i] as Figures;
      if (server.ended()) continue;
      try {
        await oneRound(server, own);
      } catch (error) {
        // A server that died (an OOM kill under W:memory=…) is a finding, not a crash.
        const ended = await endedSoon(server);
        if (!ended) throw error;
        own.died = `${ended} in round ${round + 1}`;
      }
    }
  }
  async function oneRound(server: RunningServer, own: Figures): Promise<void> {
    const steady = await run(server, closed(Number(values.connections), Number(values.seconds)));
    own.cpu.push(steady.result.server?.cpuMicrosPerRequest ?? NaN);
    own.throughput.push(steady.result.throughput);
    if (values.burst) {
      own.burstRss.push(rss(await run(server, closed(Number(values.burst), 1.5))));
    }
    if (values.rate) {
      const fixed = await run(server, {
        mode: 'open',
        connections: FULL.openConnections,
        rate: Number(values.rate),
        warmupSeconds: 0,
        durationSeconds: 3,
        check: 'bytes',
      });
      own.rateP99.push(fixed.result.latencyMs?.p99 ?? NaN);
      own.rateEld.push(fixed.eventLoopDelayMs.p99);
      own.rateRss.push(rss(fixed));
    }
    if (server.ended()) throw new Error('the server ended');
  }

  const out = (line: string) => process.stdout.write(`${line}\n`);
  out(
    `${payload.name} /${endpoint}: closed loop on ${values.connections} connections` +
      (values.burst ? `, then ${values.burst}` : '') +
      (values.rate ? `, then ${values.rate} reviews/s` : '') +
      `; median of ${values.rounds} rounds taken in turns (every round in brackets)`,
  );
  const show = (xs: number[], digits = 0) =>
    `${median(xs).toFixed(digits)} (${xs.map((x) => x.toFixed(digits)).join(' ')})`;
  for (const [i, variant] of variants.entries()) {
    const own = figures[i] as Figures;
    out(`  ${variant.label}${own.died ? `: the server was ${own.died}` : ''}`);
    out(`    server CPU per review µs ${show(own.cpu)}; reviews/s ${show(own.throughput)}`);
    if (values.burst) out(`    peak RSS MiB on ${values.burst} connections ${show(own.burstRss)}`);
    if (values.rate) {
      out(
        `    at ${values.rate}/s: p99 ms ${show(own.rateP99, 1)}; event-loop delay p99 ms ` +
          `${show(own.rateEld, 1)}; peak RSS MiB ${show(own.rateRss)}`,
      );
    }
  }
} finally {
  for (const server of running) await server.stop();
  await rm(dir, { recursive: true, force: true });
}
