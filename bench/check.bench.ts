/**
 * Cost of `runtime-guard check` on 1,000 manifests: one multi-document stream of Deployments,
 * StatefulSets, CronJobs and Pods (two to three containers each, some with legacy annotations,
 * a Service between them), checked after mutation, as written, and with --fix. The pure core
 * (parse, judge, render, splice) is timed in-process, median of several runs; the whole CLI
 * (Node.js start included) once through a pipe. Prints figures; asserts nothing about speed.
 *   npm run bench:check            (full)
 *   npm run bench:check -- --quick (fewer runs, for CI)
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { defaultReviewConfig } from '../src/config/load-config.ts';
import { checkManifests, type CheckOptions } from '../src/manifests/check-manifests.ts';
import { renderText } from '../src/manifests/render-text.ts';

const quick = process.argv.includes('--quick');
const RUNS = quick ? 3 : 11;
const MANIFESTS = 1000;

function container(name: string, i: number): Record<string, unknown> {
  return {
    name,
    image: `registry.example/${name}:1.${i % 7}`,
    ports: [{ containerPort: 8080 + (i % 3) }],
    env: [{ name: 'MODE', value: 'production' }],
    resources: { limits: { cpu: '500m', memory: '256Mi' } },
    ...(i % 5 === 0 ? { securityContext: { capabilities: { add: ['NET_ADMIN'] } } } : {}),
  };
}

function manifest(i: number): Record<string, unknown> {
  const annotations =
    i % 3 === 0 ? { 'seccomp.security.alpha.kubernetes.io/pod': 'runtime/default' } : undefined;
  const spec = {
    containers: [container('app', i), container('sidecar', i + 1)].slice(0, 2 + (i % 2)),
    ...(i % 4 === 0 ? { initContainers: [container('setup', i + 2)] } : {}),
  };
  const template = {
    metadata: { labels: { app: `w${i}` }, ...(annotations ? { annotations } : {}) },
    spec,
  };
  const metadata = { name: `w${i}`, namespace: `team-${i % 10}` };
  switch (i % 4) {
    case 0:
      return {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata,
        spec: { selector: { matchLabels: { app: `w${i}` } }, template },
      };
    case 1:
      return {
        apiVersion: 'apps/v1',
        kind: 'StatefulSet',
        metadata,
        spec: { serviceName: `w${i}`, selector: { matchLabels: { app: `w${i}` } }, template },
      };
    case 2:
      return {
        apiVersion: 'batch/v1',
        kind: 'CronJob',
        metadata,
        spec: { schedule: '0 3 * * *', jobTemplate: { spec: { template } } },
      };
    default:
      return {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { ...metadata, ...(annotations ? { annotations } : {}) },
        spec,
      };
  }
}

function stream(): string {
  const documents: string[] = [];
  for (let i = 0; i < MANIFESTS; i++) {
    documents.push(`# manifest ${i}\n${stringify(manifest(i))}`);
    if (i % 10 === 0)
      documents.push(
        stringify({
          apiVersion: 'v1',
          kind: 'Service',
          metadata: { name: `s${i}` },
          spec: { ports: [{ port: 80 }] },
        }),
      );
  }
  return documents.join('---\n');
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

const text = stream();
const config = defaultReviewConfig({ preset: 'restricted' });
const inputs = [{ file: 'bench.yaml', text }];
const variants: [string, CheckOptions][] = [
  ['after mutation', { mutate: true, fix: false, namespaceModes: false }],
  ['as written (--no-mutation)', { mutate: false, fix: false, namespaceModes: false }],
  ['--fix', { mutate: true, fix: true, namespaceModes: false }],
];

console.log(
  `runtime-guard check, ${MANIFESTS} manifests (${(text.length / 1024).toFixed(0)} KiB, restricted preset) — Node ${process.version}, ${quick ? 'quick' : 'full'} run, median of ${RUNS}`,
);
console.log('| variant | total ms | µs per manifest | refused | changed by mutation |');
console.log('|---|---|---|---|---|');
for (const [name, options] of variants) {
  const times: number[] = [];
  let report = checkManifests(inputs, config, options);
  for (let r = 0; r < RUNS; r++) {
    const start = process.hrtime.bigint();
    report = checkManifests(inputs, config, options);
    renderText(report);
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  if (report.summary.objects !== MANIFESTS)
    throw new Error(`judged ${report.summary.objects} objects`);
  if (options.fix && report.files[0]?.fixed?.unfixed.length)
    throw new Error(`--fix left ${report.files[0].fixed.unfixed.length} documents unfixed`);
  const ms = median(times);
  console.log(
    `| ${name} | ${ms.toFixed(0)} | ${((ms * 1000) / MANIFESTS).toFixed(0)} | ${report.summary.refused} | ${report.summary.mutated} |`,
  );
}

const cli = join(import.meta.dirname, '..', 'bin', 'runtime-guard.js');
const start = process.hrtime.bigint();
const run = spawnSync(process.execPath, [cli, 'check', '-o', 'json', '-'], {
  input: text,
  encoding: 'utf8',
  maxBuffer: 64 * 1024 * 1024,
});
const cliMs = Number(process.hrtime.bigint() - start) / 1e6;
if (run.status !== 1) throw new Error(`the CLI exited ${run.status}: ${run.stderr}`);
console.log(`whole CLI (start, read stdin, judge, JSON out): ${cliMs.toFixed(0)} ms`);
