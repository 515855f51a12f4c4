/**
 * How far the scan is, on stderr only (stdout carries the report): a progress bar (cli-progress)
 * when stderr is a terminal, otherwise a plain line every few seconds, for CI logs and
 * `kubectl`-style pipelines. The total grows as lists begin: the API server says how many items
 * are left after each first page.
 */
import cliProgress from 'cli-progress';
import type { ScanProgress } from './scan-cluster.ts';

export interface ProgressReporter {
  update(progress: ScanProgress): void;
  stop(): void;
}

export interface ProgressOptions {
  stream: NodeJS.WriteStream;
  /** Plain lines at most this often (default 5 s). */
  intervalMs?: number;
  now?: () => number;
}

export function createProgressReporter(options: ProgressOptions): ProgressReporter {
  const { stream } = options;
  if (stream.isTTY) {
    const bar = new cliProgress.SingleBar(
      {
        stream,
        format: 'scan [{bar}] {value}/{total} objects | {findings} findings | {listing}',
        hideCursor: true,
        clearOnComplete: true,
        barsize: 30,
        fps: 10,
      },
      cliProgress.Presets.shades_classic,
    );
    let started = false;
    return {
      update(p) {
        if (!started) {
          bar.start(Math.max(p.known, 1), p.read, { findings: p.findings, listing: p.listing });
          started = true;
        }
        bar.setTotal(Math.max(p.known, 1));
        bar.update(p.read, { findings: p.findings, listing: p.listing });
      },
      stop() {
        if (started) bar.stop();
      },
    };
  }
  const interval = options.intervalMs ?? 5000;
  const now = options.now ?? (() => Date.now());
  const started = now();
  let last = started;
  return {
    update(p) {
      const t = now();
      if (t - last < interval) return;
      last = t;
      stream.write(
        `runtime-guard scan: ${Math.round((t - started) / 1000)} s, ${p.read} of ${p.known} objects read, ${p.findings} findings, listing ${p.listing}\n`,
      );
    },
    stop() {},
  };
}
