/**
 * Runs the bench/psa test binary (Pod Security Admission, restricted, in process) on the pods
 * the fixture wrote, and reads `go test -bench` lines back into numbers.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface PsaBenchmark {
  /** Evaluate | EvaluateAggregate | DecodeEvaluate */
  benchmark: string;
  pod: string;
  nsPerOp: number;
  bytesPerOp: number;
  allocsPerOp: number;
}

export interface PsaVerdict {
  pod: string;
  allowed: boolean;
  checks: number;
  forbidden: string;
}

export interface PsaResult {
  benchmarks: PsaBenchmark[];
  verdicts: PsaVerdict[];
}

export interface PsaOptions {
  binary: string;
  podsDir: string;
  /** go test -benchtime: a duration (1s) or a count (200x). */
  benchtime: string;
  count: number;
  core: number | undefined;
}

const BENCH_LINE =
  /^Benchmark(\w+)\/(\S+?)(?:-\d+)?\s+\d+\s+([\d.]+) ns\/op\s+(\d+) B\/op\s+(\d+) allocs\/op/;
const VERDICT_LINE = /^verdict (\S+) allowed=(true|false) checks=(\d+) forbidden=(".*")$/;

export async function runPsa(options: PsaOptions): Promise<PsaResult> {
  const args = [
    '-test.run=TestVerdicts',
    '-test.bench=.',
    '-test.benchmem',
    '-test.cpu=1',
    `-test.benchtime=${options.benchtime}`,
    `-test.count=${options.count}`,
  ];
  const [command, commandArgs] =
    options.core === undefined
      ? [options.binary, args]
      : ['taskset', ['--cpu-list', String(options.core), options.binary, ...args]];
  const { stdout } = await run(command, commandArgs, {
    env: { ...process.env, PSA_PODS_DIR: options.podsDir },
    maxBuffer: 16 * 1024 * 1024,
  });
  const samples = new Map<string, PsaBenchmark[]>();
  const verdicts: PsaVerdict[] = [];
  for (const line of stdout.split('\n')) {
    const bench = BENCH_LINE.exec(line);
    if (bench) {
      const [, benchmark = '', pod = '', ns, bytes, allocs] = bench;
      const key = `${benchmark}/${pod}`;
      const list = samples.get(key) ?? [];
      list.push({
        benchmark,
        pod,
        nsPerOp: Number(ns),
        bytesPerOp: Number(bytes),
        allocsPerOp: Number(allocs),
      });
      samples.set(key, list);
      continue;
    }
    const verdict = VERDICT_LINE.exec(line);
    if (verdict) {
      const [, pod = '', allowed, checks, forbidden = '""'] = verdict;
      verdicts.push({
        pod,
        allowed: allowed === 'true',
        checks: Number(checks),
        forbidden: unquote(forbidden),
      });
    }
  }
  if (samples.size === 0) throw new Error(`no benchmark lines from ${options.binary}:\n${stdout}`);
  // With -count > 1, the median run of each benchmark.
  const benchmarks = [...samples.values()].map((runs) => {
    const sorted = [...runs].sort((a, b) => a.nsPerOp - b.nsPerOp);
    return sorted[Math.floor(sorted.length / 2)] as PsaBenchmark;
  });
  return { benchmarks, verdicts };
}

/** Go's %q, which is JSON's quoting for the plain ASCII PSA writes. */
function unquote(quoted: string): string {
  try {
    return JSON.parse(quoted) as string;
  } catch {
    return quoted.slice(1, -1);
  }
}
