/**
 * Turns the runs into the published figures: the Markdown report (tables and goals) and the
 * raw JSON beside it. Pure: data in, text out.
 */
import type { Endpoint } from '../../src/admission/review-request.ts';
import type { PayloadFiles } from './fixtures.ts';
import { passes, type Cell, type RunRecord, type Settings } from './measure.ts';
import type { PolicyCost } from './policy-cost.ts';
import type { PsaResult } from './psa.ts';
import type { ServerName } from './servers.ts';

export interface MachineInfo {
  date: string;
  cpu: string;
  cores: number;
  memoryGiB: number;
  kernel: string;
  node: string;
  fastify: string;
  go: string;
  /** Node.js flags: W's from the image's ENTRYPOINT, and any given to all three servers. */
  nodeFlags?: { w: string[]; all: string[] };
  loadAverageStart: number[];
  loadAverageEnd: number[];
  durationSeconds: number;
}

export interface Goal {
  goal: string;
  target: string;
  measured: string;
  met: boolean | undefined;
}

export interface BenchmarkResults {
  kind: 'full' | 'smoke';
  machine: MachineInfo;
  settings: Settings;
  payloads: Pick<PayloadFiles, 'name' | 'bytes' | 'decision' | 'responseBytes'>[];
  records: RunRecord[];
  cells: Cell[];
  policyCost: PolicyCost[];
  psa: PsaResult;
  logLines: Record<string, number>;
  goals: Goal[];
}

const fmt = (value: number, digits = 0) =>
  Number.isFinite(value)
    ? value.toLocaleString('en-US', {
        minimumFractionDigits: digits,
        maximumFractionDigits: digits,
      })
    : '–';
const ms = (value: number | undefined) => (value === undefined ? '–' : fmt(value, 2));
const pct = (value: number) => `${fmt(value * 100)} %`;
const kib = (bytes: number) =>
  bytes >= 1024 * 1024 ? `${fmt(bytes / 1048576, 1)} MiB` : `${fmt(bytes / 1024, 1)} KiB`;

function table(header: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

export function findCell(
  cells: Cell[],
  server: ServerName,
  payload: string,
  endpoint: Endpoint,
): Cell | undefined {
  return cells.find(
    (cell) => cell.server === server && cell.payload === payload && cell.endpoint === endpoint,
  );
}

const PSA_POD: Record<string, string> = {
  'small pod': 'small-pod',
  'typical pod': 'typical-pod',
  'large pod': 'large-pod',
  deployment: 'deployment',
  'pod update': 'pod-update',
};

function psaNs(psa: PsaResult, benchmark: string, payload: string): number | undefined {
  return psa.benchmarks.find((b) => b.benchmark === benchmark && b.pod === PSA_POD[payload])
    ?.nsPerOp;
}

export function evaluateGoals(
  cells: Cell[],
  records: RunRecord[],
  policyCost: PolicyCost[],
  psa: PsaResult,
  settings: Settings,
): Goal[] {
  const goals: Goal[] = [];
  for (const endpoint of ['validate', 'mutate'] as const) {
    const w = findCell(cells, 'W', 'typical pod', endpoint);
    const f0 = findCell(cells, 'F0', 'typical pod', endpoint);
    if (!w || !f0) continue;
    const ratio = f0.capacity > 0 ? w.capacity / f0.capacity : Number.NaN;
    goals.push({
      goal: `W capacity / F0 capacity, typical pod, /${endpoint}`,
      target: '≥ 70 %',
      measured: `${fmt(w.capacity)} / ${fmt(f0.capacity)} reviews/s = ${Number.isFinite(ratio) ? pct(ratio) : '–'} (saturation ${pct(w.saturation / f0.saturation)})`,
      met: Number.isFinite(ratio) ? ratio >= 0.7 : undefined,
    });
  }

  const halves = cells.filter((cell) => cell.server === 'W' && cell.halfCapacity?.latencyMs);
  if (halves.length > 0) {
    const worst = halves.reduce((a, b) =>
      (a.halfCapacity?.latencyMs?.p99 ?? 0) >= (b.halfCapacity?.latencyMs?.p99 ?? 0) ? a : b,
    );
    const typical = halves.filter((cell) => cell.payload === 'typical pod');
    goals.push({
      goal: 'W p99 at 50 % of its capacity',
      target: `≤ ${settings.p99LimitMs} ms`,
      measured:
        `typical pod ${typical.map((c) => `/${c.endpoint} ${ms(c.halfCapacity?.latencyMs?.p99)} ms at ${fmt(c.halfCapacity?.rate ?? 0)}/s`).join(', ')}; ` +
        `worst: ${worst.payload} /${worst.endpoint} ${ms(worst.halfCapacity?.latencyMs?.p99)} ms`,
      met: halves.every(
        (cell) => (cell.halfCapacity?.latencyMs?.p99 ?? Infinity) <= settings.p99LimitMs,
      ),
    });
  }

  const timed = records.filter((record) => record.phase !== 'warm-up');
  const wErrors = timed.filter((r) => r.server === 'W').reduce((s, r) => s + r.result.errors, 0);
  const allErrors = records.reduce((s, r) => s + r.result.errors, 0);
  goals.push({
    goal: 'errors at every measured rate (W)',
    target: '0',
    measured: `${wErrors} in ${timed.filter((r) => r.server === 'W').length} runs (all servers, warm-ups included: ${allErrors})`,
    met: wErrors === 0,
  });

  const large = cells.filter((cell) => cell.server === 'W' && cell.largePodRate);
  if (large.length > 0) {
    goals.push({
      goal: `W large pod p99 at ${settings.largePodRate} reviews/s`,
      target: `≤ ${settings.largePodP99LimitMs} ms`,
      measured: large
        .map((c) => `/${c.endpoint} ${ms(c.largePodRate?.latencyMs?.p99)} ms`)
        .join(', '),
      met: large.every(
        (c) =>
          (c.largePodRate?.latencyMs?.p99 ?? Infinity) <= settings.largePodP99LimitMs &&
          c.largePodRate?.errors === 0,
      ),
    });
  }

  const peakOf = (server: ServerName, filter: (r: RunRecord) => boolean = () => true) =>
    records
      .filter((r) => r.server === server && r.phase !== 'correctness' && !r.superseded && filter(r))
      .reduce<RunRecord | undefined>(
        (a, b) =>
          (a?.result.server?.peakRssMiB ?? -1) >= (b.result.server?.peakRssMiB ?? 0) ? a : b,
        undefined,
      );
  const peak = peakOf('W');
  if (peak?.result.server) {
    const peakMiB = peak.result.server.peakRssMiB;
    const within = peakOf('W', (r) => r.phase !== 'sweep' && passes(r, settings.p99LimitMs));
    const f1 = peakOf('F1', (r) => r.payload === peak.payload);
    goals.push({
      goal: 'W peak RSS under load',
      target: '≤ 150 MiB',
      measured:
        `${fmt(peakMiB)} MiB at most (${peak.payload} /${peak.endpoint}, ${peak.phase}; F1 on the same pod ` +
        `${fmt(f1?.result.server?.peakRssMiB ?? Number.NaN)} MiB); ${fmt(within?.result.server?.peakRssMiB ?? Number.NaN)} MiB ` +
        'at most in the fixed-rate runs that met the latency limit',
      met: peakMiB <= 150,
    });
  }

  const typical = policyCost.find((row) => row.payload === 'typical pod');
  const psaTypical = psaNs(psa, 'Evaluate', 'typical pod');
  if (typical) {
    const ratio = psaTypical ? typical.validate / (psaTypical / 1000) : undefined;
    goals.push({
      goal: 'policy evaluation (+ patch on /mutate), typical pod, in process',
      target: '≤ 20 µs',
      measured:
        `validate ${fmt(typical.validate, 1)} µs, mutate ${fmt(typical.mutate, 1)} µs; ` +
        `PSA restricted ${psaTypical ? fmt(psaTypical / 1000, 1) : '–'} µs per pod` +
        (ratio ? ` (validate = ${fmt(ratio, 1)} × PSA)` : ''),
      met: typical.validate <= 20 && typical.mutate <= 20,
    });
  }
  return goals;
}

function runLabel(record: RunRecord): string {
  if (record.phase === 'half-capacity') return '½ W capacity';
  if (record.phase === 'large-pod-rate') return 'goal rate';
  if (record.fraction !== undefined) return `${fmt(record.fraction * 100)} % of sat.`;
  return record.phase;
}

export function renderMarkdown(results: BenchmarkResults): string {
  const { machine, settings, cells, records } = results;
  const out: string[] = [];
  const maxLoad = Math.max(...records.map((r) => r.loadAverage[0] ?? 0), 0);
  out.push(
    `# runtime-guard webhook benchmark (${results.kind}), ${machine.date}`,
    '',
    `${machine.cpu}, ${machine.cores} cores, ${fmt(machine.memoryGiB)} GiB, Linux ${machine.kernel}; ` +
      `Node.js ${machine.node}, Fastify ${machine.fastify}, ${machine.go}. ` +
      `Run time ${fmt(machine.durationSeconds / 60, 1)} min.`,
    '',
    ...(machine.nodeFlags
      ? [
          `Node.js flags: W ${machine.nodeFlags.w.join(' ') || 'none'} (the image's); ` +
            `given to all three servers: ${machine.nodeFlags.all.join(' ') || 'none'}.`,
          '',
        ]
      : []),
    `Load average (1/5/15 min): ${machine.loadAverageStart.join(' ')} at the start, ` +
      `${machine.loadAverageEnd.join(' ')} at the end, highest 1-min value seen after a run ${fmt(maxLoad, 2)}.`,
    '',
    `Runs run a second time (disturbed by other processes, or over the p99 limit with nothing queued): ${records.filter((r) => r.superseded).length} ` +
      `(disturbed again on the repeat: ${records.filter((r) => r.disturbed && !r.superseded).length}).`,
    '',
    `Servers on core ${settings.serverCore ?? 'any'}, load generator on core ${settings.clientCore ?? 'any'}; ` +
      `${records[0]?.result.tls ?? 'TLS'}, ECDSA P-256 certificate; HTTP/1.1 keep-alive, no pipelining; ` +
      `runtime-guard's restricted preset. Capacity: the highest fixed rate with p99 ≤ ${settings.p99LimitMs} ms and no error.`,
    '',
  );

  const payloads = results.payloads.filter((p) => p.name !== 'near body limit');
  const endpoints: Endpoint[] = ['validate', 'mutate'];
  const rows: string[][] = [];
  for (const payload of payloads) {
    for (const endpoint of endpoints) {
      const c = (s: ServerName) => findCell(cells, s, payload.name, endpoint);
      const [f0, f1, w] = [c('F0'), c('F1'), c('W')];
      if (!f0 && !f1 && !w) continue;
      const capacity = (cell: Cell | undefined) =>
        cell ? `${fmt(cell.capacity)} (${fmt(cell.capacityFraction * 100)} %)` : '–';
      const ratio = (a: number | undefined, b: number | undefined) =>
        a !== undefined && b ? pct(a / b) : '–';
      rows.push([
        payload.name,
        kib(payload.bytes),
        `/${endpoint}`,
        f0 ? fmt(f0.saturation) : '–',
        f1 ? fmt(f1.saturation) : '–',
        w ? fmt(w.saturation) : '–',
        capacity(f0),
        capacity(f1),
        capacity(w),
        ratio(w?.capacity, f0?.capacity),
        ratio(w?.capacity, f1?.capacity),
      ]);
    }
  }
  if (rows.length > 0) {
    out.push(
      '## Throughput and capacity (reviews/s)',
      '',
      'Saturation: best closed-loop throughput over the concurrency sweep. Capacity: highest fixed rate ' +
        `(share of that server's saturation in brackets) with p99 ≤ ${settings.p99LimitMs} ms and no error.`,
      '',
      table(
        [
          'payload',
          'body',
          'endpoint',
          'F0 sat.',
          'F1 sat.',
          'W sat.',
          'F0 capacity',
          'F1 capacity',
          'W capacity',
          'W/F0',
          'W/F1',
        ],
        rows,
      ),
      '',
    );
  }

  const costRows: string[][] = [];
  for (const payload of payloads) {
    for (const endpoint of endpoints) {
      const c = (s: ServerName) => findCell(cells, s, payload.name, endpoint)?.cpuMicrosPerReview;
      const [f0, f1, w] = [c('F0'), c('F1'), c('W')];
      if (f0 === undefined && f1 === undefined && w === undefined) continue;
      const inProcess = results.policyCost.find((row) => row.payload === payload.name);
      const diff = (a: number | undefined, b: number | undefined) =>
        a !== undefined && b !== undefined ? fmt(a - b) : '–';
      costRows.push([
        payload.name,
        `/${endpoint}`,
        f0 !== undefined ? fmt(f0) : '–',
        f1 !== undefined ? fmt(f1) : '–',
        w !== undefined ? fmt(w) : '–',
        diff(f1, f0),
        diff(w, f1),
        inProcess ? fmt(inProcess.parse, 1) : '–',
        inProcess ? fmt(endpoint === 'validate' ? inProcess.validate : inProcess.mutate, 1) : '–',
      ]);
    }
  }
  if (costRows.length > 0) {
    out.push(
      '## Server CPU per review at saturation (µs)',
      '',
      'CPU time of all the server’s threads in the measured window divided by the reviews answered: ' +
        'unlike throughput, it does not move when another process takes part of the core.',
      '',
      table(
        [
          'payload',
          'endpoint',
          'F0',
          'F1',
          'W',
          'F1 − F0 (parse)',
          'W − F1 (runtime-guard)',
          'JSON.parse in process',
          'policy in process',
        ],
        costRows,
      ),
      '',
    );
  }

  const latencyRows = records
    .filter(
      (r) => !r.superseded && ['fixed-rate', 'half-capacity', 'large-pod-rate'].includes(r.phase),
    )
    .map((r) => {
      const l = r.result.latencyMs;
      return [
        r.payload,
        `/${r.endpoint}`,
        r.server,
        `${fmt(r.targetRate ?? 0)} (${runLabel(r)})`,
        ms(l?.p50),
        ms(l?.p99),
        ms(l?.p999),
        ms(l?.max),
        String(r.result.errors),
        ms(r.eventLoopDelayMs.p99),
        r.result.server ? fmt(r.result.server.peakRssMiB) : '–',
        r.result.server ? pct(r.result.server.cpu) : '–',
        pct(r.result.server?.otherLoadOnCore ?? 0),
        fmt(r.loadAverage[0] ?? 0, 2),
        r.disturbed ? 'yes' : '',
      ];
    });
  if (latencyRows.length > 0) {
    out.push(
      '## Latency at fixed rates (ms)',
      '',
      'Open loop: requests leave on a fixed schedule and latency runs from the scheduled instant, so ' +
        'queueing behind a slow answer counts. ELD: event-loop delay p99 in the server. Other load: share of ' +
        'the server core used by other processes during the run. Disturbed: other processes took more than ' +
        '3 % of the server core or 5 % of the client core, or the client sent late, in the run and in its one repeat. ' +
        'A run over the p99 limit with nothing queued was run once more, and the repeat counts.',
      '',
      table(
        [
          'payload',
          'endpoint',
          'server',
          'rate/s',
          'p50',
          'p99',
          'p99.9',
          'max',
          'errors',
          'ELD p99',
          'peak RSS MiB',
          'server CPU',
          'other load',
          'load avg',
          'disturbed',
        ],
        latencyRows,
      ),
      '',
    );
  }

  const sweepRows = records
    .filter((r) => !r.superseded && (r.phase === 'sweep' || r.phase === 'smoke'))
    .map((r) => {
      const l = r.result.latencyMs;
      return [
        r.payload,
        `/${r.endpoint}`,
        r.server,
        r.result.mode === 'closed' ? `c=${r.result.connections}` : `${fmt(r.result.rate ?? 0)}/s`,
        fmt(r.result.throughput),
        ms(l?.p50),
        ms(l?.p99),
        String(r.result.errors),
        r.result.server ? pct(r.result.server.cpu) : '–',
        r.result.server ? fmt(r.result.server.cpuMicrosPerRequest) : '–',
        pct(r.result.clientCpu),
        fmt(r.loadAverage[0] ?? 0, 2),
        r.disturbed ? 'yes' : '',
      ];
    });
  if (sweepRows.length > 0) {
    out.push(
      results.kind === 'smoke' ? '## Smoke runs' : '## Saturation sweeps (closed loop)',
      '',
      table(
        [
          'payload',
          'endpoint',
          'server',
          'load',
          'reviews/s',
          'p50',
          'p99',
          'errors',
          'server CPU',
          'µs/review',
          'client CPU',
          'load avg',
          'disturbed',
        ],
        sweepRows,
      ),
      '',
    );
  }

  const costs = results.policyCost.map((row) => {
    const evaluate = psaNs(results.psa, 'Evaluate', row.payload);
    const aggregate = psaNs(results.psa, 'EvaluateAggregate', row.payload);
    const decode = psaNs(results.psa, 'DecodeEvaluate', row.payload);
    const us = (ns: number | undefined) => (ns === undefined ? '–' : fmt(ns / 1000, 1));
    return [
      row.payload,
      kib(row.bytes),
      us(evaluate),
      us(aggregate),
      us(decode),
      fmt(row.validate, 1),
      fmt(row.mutate, 1),
      fmt(row.parse, 1),
      fmt(row.parseValidateSerialise, 1),
      evaluate ? `${fmt(row.validate / (evaluate / 1000), 1)} ×` : '–',
    ];
  });
  out.push(
    '## Per-review policy cost beside Pod Security Admission (in process, µs)',
    '',
    'PSA: `k8s.io/pod-security-admission` evaluator, restricted level, latest version, `go test -bench` on ' +
      'the same pods (bench/psa). runtime-guard: `handleAdmissionReview` on the parsed review, restricted preset ' +
      '(bench/webhook/policy-cost.ts). Both pinned to the server core.',
    '',
    table(
      [
        'pod',
        'body',
        'PSA evaluate',
        'PSA + verdict',
        'PSA decode + evaluate',
        'runtime-guard validate',
        'runtime-guard mutate',
        'JSON.parse',
        'parse + validate + serialise',
        'validate / PSA',
      ],
      costs,
    ),
    '',
  );
  const verdicts = results.psa.verdicts
    .filter((v, i, all) => all.findIndex((other) => other.pod === v.pod) === i)
    .map((v) => `${v.pod}: ${v.allowed ? 'allowed' : `forbidden (${v.forbidden})`}`)
    .join('; ');
  const decisions = results.payloads
    .map((p) => `${p.name}: validate ${p.decision.validate}, mutate ${p.decision.mutate}`)
    .join('; ');
  out.push(`PSA verdicts: ${verdicts}.`, '', `runtime-guard decisions: ${decisions}.`, '');

  if (results.goals.length > 0) {
    out.push(
      '## Goals',
      '',
      table(
        ['goal', 'target', 'measured', 'met'],
        results.goals.map((g) => [
          g.goal,
          g.target,
          g.measured,
          g.met === undefined ? '–' : g.met ? 'yes' : '**no**',
        ]),
      ),
      '',
    );
  }

  const correctness = records.filter((r) => r.phase === 'correctness');
  const allErrors = records.reduce((s, r) => s + r.result.errors, 0);
  const checked = records.reduce((s, r) => s + r.result.completed + r.result.errors, 0);
  const kinds: Record<string, number> = {};
  for (const r of records)
    for (const [kind, n] of Object.entries(r.result.errorKinds))
      kinds[kind] = (kinds[kind] ?? 0) + n;
  out.push(
    '## Correctness',
    '',
    `Every response was checked: status 200 and, byte for byte, runtime-guard's own answer computed in ` +
      `process; the first on each connection was also decoded (AdmissionReview v1, the request's uid, ` +
      `allowed, a JSON Patch when patched). ${fmt(checked)} responses in measured windows, ${allErrors} errors` +
      (allErrors ? ` (${JSON.stringify(kinds)})` : '') +
      '.',
    '',
  );
  if (correctness.length > 0) {
    out.push(
      table(
        ['payload', 'endpoint', 'server', 'requests', 'errors', 'p50 ms', 'peak RSS MiB'],
        correctness.map((r) => [
          `${r.payload} (${kib(results.payloads.find((p) => p.name === r.payload)?.bytes ?? 0)})`,
          `/${r.endpoint}`,
          r.server,
          String(r.result.completed + r.result.errors),
          String(r.result.errors),
          ms(r.result.latencyMs?.p50),
          r.result.server ? fmt(r.result.server.peakRssMiB) : '–',
        ]),
      ),
      '',
    );
  }
  const logs = Object.entries(results.logLines)
    .map(([payload, lines]) => `${payload} ${fmt(lines)}`)
    .join(', ');
  if (logs) out.push(`runtime-guard decision log lines written (one per review): ${logs}.`, '');
  return `${out.join('\n')}\n`;
}
