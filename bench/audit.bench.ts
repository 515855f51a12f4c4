/**
 * `runtime-guard audit` at scale, on a real kube-apiserver: 5,000 pods in 500 Deployments (each
 * with its ReplicaSet; half of them break the baseline policy), filled in directly as the
 * controller-manager would (bench/scan/populate.ts). Then one audit process, as the chart runs
 * it, and the figures: time from start to the first complete set of reports (one per
 * Deployment), writes per resync once steady (the goal is zero), the evaluation time of a full
 * pass, and the process's peak RSS. Prints figures; asserts nothing about speed.
 *
 *   node bench/audit.bench.ts [--writes-per-second N] [--resyncs N] [--smoke]
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { helmTemplate } from '../test/chart/helm.ts';
import { startControlPlane } from '../test/e2e/control-plane.ts';
import { metricValue } from '../test/e2e/webhook-harness.ts';
import { populate, type ClusterShape } from './scan/populate.ts';

const REPO = join(import.meta.dirname, '..');
const { values } = parseArgs({
  options: {
    'writes-per-second': { type: 'string', default: '100' },
    resyncs: { type: 'string', default: '3' },
    smoke: { type: 'boolean', default: false },
  },
});
const shape: ClusterShape = values.smoke
  ? { namespaces: 2, deploymentsPerNamespace: 2, podsPerDeployment: 5 }
  : { namespaces: 20, deploymentsPerNamespace: 25, podsPerDeployment: 10 };
const deployments = shape.namespaces * shape.deploymentsPerNamespace;
const RESYNC_SECONDS = 15;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const cp = await startControlPlane({ log: (m) => process.stderr.write(`[control-plane] ${m}\n`) });
try {
  const crds = await helmTemplate([
    '--set',
    'audit.enabled=true',
    '--set',
    'audit.installCRDs=true',
    '--show-only',
    'templates/audit-crds.yaml',
  ]);
  const applied = await cp.kubectl(['apply', '-f', '-'], { input: crds });
  if (applied.code !== 0) throw new Error(applied.stderr);
  await cp.kubectl([
    'wait',
    '--for=condition=established',
    '--timeout=60s',
    'crd/reports.openreports.io',
  ]);
  const t0 = performance.now();
  const created = await populate(cp.adminKubeconfig, shape);
  process.stderr.write(
    `created ${created} objects in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`,
  );

  const started = performance.now();
  const child = spawn(
    process.execPath,
    [
      // The image's Node.js flags (Dockerfile ENTRYPOINT).
      '--max-semi-space-size=8',
      '--max-old-space-size-percentage=50',
      '--import',
      join(REPO, 'bench', 'scan', 'peak-rss.ts'),
      join(REPO, 'src', 'cli', 'main.ts'),
      'audit',
      '--kubeconfig',
      cp.adminKubeconfig,
      '--port',
      '0',
      '--host',
      '127.0.0.1',
      '--lease-namespace',
      'default',
      '--resync-seconds',
      String(RESYNC_SECONDS),
      '--writes-per-second',
      String(values['writes-per-second']),
      '--write-burst',
      '20',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => (stderr += chunk));
  const port = await new Promise<number>((resolve, reject) => {
    createInterface({ input: child.stdout }).on('line', (line) => {
      const parsed = JSON.parse(line) as { msg?: string; port?: number };
      if (parsed.msg === 'runtime-guard audit started' && parsed.port) resolve(parsed.port);
    });
    child.once('exit', (code) => reject(new Error(`audit exited ${String(code)}: ${stderr}`)));
  });
  const metrics = async () => (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const writes = (text: string) =>
    ['create', 'update', 'delete'].reduce(
      (n, operation) =>
        n + metricValue(text, 'runtime_guard_audit_report_writes_total', { operation }),
      0,
    );

  // The first complete set: a report for every Deployment.
  let firstSetMs = 0;
  for (;;) {
    const text = await metrics();
    if (
      metricValue(text, 'runtime_guard_audit_report_writes_total', { operation: 'create' }) >=
      deployments
    ) {
      firstSetMs = performance.now() - started;
      break;
    }
    if (performance.now() - started > 30 * 60_000)
      throw new Error('no complete set of reports in 30 minutes');
    await sleep(200);
  }
  const listed = await cp.kubectl(['get', 'reports.openreports.io', '-A', '--no-headers']);
  const reportCount = listed.stdout.trim().split('\n').filter(Boolean).length;

  // Steady state: the writes each later full pass makes.
  const passAt = (text: string) =>
    metricValue(text, 'runtime_guard_audit_last_full_pass_timestamp_seconds');
  let text = await metrics();
  let lastPass = passAt(text);
  let lastWrites = writes(text);
  const perResync: number[] = [];
  const passSeconds: number[] = [];
  while (perResync.length < Number(values.resyncs)) {
    await sleep(500);
    text = await metrics();
    if (passAt(text) === lastPass) continue;
    lastPass = passAt(text);
    perResync.push(writes(text) - lastWrites);
    passSeconds.push(metricValue(text, 'runtime_guard_audit_last_full_pass_duration_seconds'));
    lastWrites = writes(text);
  }
  const evaluated = metricValue(text, 'runtime_guard_audit_workloads_evaluated_total');
  const steadyRssMiB = metricValue(text, 'process_resident_memory_bytes') / 2 ** 20;
  const steadyHeapMiB = metricValue(text, 'nodejs_heap_size_used_bytes') / 2 ** 20;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const [code] = (await exited) as [number | null];
  const rss = /runtime-guard-bench peak-rss-kib (\d+)/.exec(stderr);

  const rows = [
    [
      'cluster',
      `${deployments} Deployments, ${deployments} ReplicaSets, ${deployments * shape.podsPerDeployment} pods (half break baseline)`,
    ],
    ['write rate', `${values['writes-per-second']}/s, burst 20`],
    [
      'first complete set of reports',
      `${(firstSetMs / 1000).toFixed(1)} s after start (${reportCount} reports)`,
    ],
    ['writes per resync, steady', perResync.join(', ')],
    ['full pass (evaluate all, no writes)', passSeconds.map((s) => `${s.toFixed(2)} s`).join(', ')],
    ['workloads evaluated in all', String(evaluated)],
    ['peak RSS', rss ? `${(Number(rss[1]) / 1024).toFixed(0)} MiB` : 'unknown'],
    [
      'RSS and heap used, steady',
      `${steadyRssMiB.toFixed(0)} MiB, ${steadyHeapMiB.toFixed(0)} MiB`,
    ],
    ['exit code after SIGTERM', String(code)],
  ];
  const width = Math.max(...rows.map(([k]) => (k ?? '').length));
  process.stdout.write(`runtime-guard audit benchmark (Node ${process.version})\n`);
  for (const [k, v] of rows) process.stdout.write(`  ${(k ?? '').padEnd(width)}  ${v}\n`);
} finally {
  await cp.stop();
}
