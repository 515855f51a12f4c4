/**
 * Cost of a full `runtime-guard scan` against a real API server: 5,000 pods in 500 Deployments
 * (one ReplicaSet each) over 20 namespaces, created directly in etcd through kube-apiserver (no
 * kubelet, no controller-manager), half of them non-compliant. Each run is the CLI in its own
 * process, as a user runs it, writing the JSON report to a file: wall time (process start to
 * exit), peak RSS (getrusage, from a preload) and the API calls the report counts. Prints figures;
 * asserts nothing about speed (it fails only on a wrong answer: a finding count that is not the
 * cluster's).
 *   npm run bench:scan                      (the full cluster, 5 runs)
 *   npm run bench:scan -- --runs 3 --page-size 100
 *   npm run bench:scan -- --smoke           (2 namespaces, 20 pods: checks that it works)
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startControlPlane } from '../test/e2e/control-plane.ts';
import type { ScanReport } from '../src/inspect/report-schema.ts';
import { populate, type ClusterShape } from './scan/populate.ts';

const REPO = join(import.meta.dirname, '..');
const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '5' },
    'page-size': { type: 'string' },
    smoke: { type: 'boolean', default: false },
  },
});
const runs = Number(values.runs);
const shape: ClusterShape = values.smoke
  ? { namespaces: 2, deploymentsPerNamespace: 2, podsPerDeployment: 5 }
  : { namespaces: 20, deploymentsPerNamespace: 25, podsPerDeployment: 10 };

interface Run {
  wallMs: number;
  peakRssMiB: number;
  apiCalls: number;
  findings: number;
  pods: number;
  workloads: number;
}

function runScan(kubeconfig: string, out: string): Promise<Run> {
  const args = [
    '--import',
    join(REPO, 'bench', 'scan', 'peak-rss.ts'),
    join(REPO, 'src', 'cli', 'main.ts'),
    'scan',
    '--kubeconfig',
    kubeconfig,
    '--output',
    'json',
    '--out',
    out,
    '--fail-on',
    'never',
    ...(values['page-size'] ? ['--page-size', values['page-size']] : []),
  ];
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('exit', async (code) => {
      const wallMs = performance.now() - started;
      const rss = /runtime-guard-bench peak-rss-kib (\d+)/.exec(stderr);
      if (code !== 0 || !rss) {
        reject(new Error(`scan exited ${String(code)}: ${stderr}`));
        return;
      }
      const report = JSON.parse(await readFile(out, 'utf8')) as ScanReport;
      resolve({
        wallMs,
        peakRssMiB: Number(rss[1]) / 1024,
        apiCalls: report.stats.apiCalls,
        findings: report.findings.length,
        pods: report.summary.pods,
        workloads: report.summary.workloads,
      });
    });
  });
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;

const dir = await mkdtemp(join(tmpdir(), 'runtime-guard-scan-bench-'));
const cp = await startControlPlane({ log: (m) => process.stderr.write(`[control-plane] ${m}\n`) });
try {
  const t0 = performance.now();
  const created = await populate(cp.adminKubeconfig, shape);
  const pods = shape.namespaces * shape.deploymentsPerNamespace * shape.podsPerDeployment;
  const deployments = shape.namespaces * shape.deploymentsPerNamespace;
  process.stderr.write(
    `created ${created} objects (${pods} pods, ${deployments} Deployments and ReplicaSets, ${shape.namespaces} namespaces) in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`,
  );

  const results: Run[] = [];
  for (let i = 0; i < runs; i++) {
    const run = await runScan(cp.adminKubeconfig, join(dir, `report-${i}.json`));
    // Every odd-numbered Deployment adds NET_ADMIN to two containers and sets no profile:
    // 4 findings each.
    const expected = shape.namespaces * Math.floor(shape.deploymentsPerNamespace / 2) * 4;
    if (run.findings !== expected || run.pods !== pods || run.workloads !== deployments)
      throw new Error(
        `wrong answer: ${JSON.stringify(run)}, expected ${expected} findings, ${pods} pods`,
      );
    results.push(run);
    process.stderr.write(`run ${i + 1}: ${JSON.stringify(run)}\n`);
  }
  const wall = results.map((r) => r.wallMs / 1000);
  const rss = results.map((r) => r.peakRssMiB);
  process.stdout.write(
    [
      `runtime-guard scan: ${pods} pods in ${deployments} Deployments over ${shape.namespaces} namespaces, page size ${values['page-size'] ?? 500}, ${runs} runs`,
      `  wall time  median ${median(wall).toFixed(2)} s  (min ${Math.min(...wall).toFixed(2)}, max ${Math.max(...wall).toFixed(2)})`,
      `  peak RSS   median ${median(rss).toFixed(0)} MiB  (max ${Math.max(...rss).toFixed(0)})`,
      `  API calls  ${results[0]?.apiCalls}   findings ${results[0]?.findings}   Node.js ${process.version}`,
      '',
    ].join('\n'),
  );
} finally {
  await cp.stop();
  await rm(dir, { recursive: true, force: true });
}
