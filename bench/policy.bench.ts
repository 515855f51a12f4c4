/**
 * Cost of one review through the policy core, without HTTP: the median of many timed batches,
 * for validate and mutate, on each payload. Prints a table; asserts nothing about speed.
 *   npm run bench:policy            (full)
 *   npm run bench:policy -- --quick (a few hundred iterations, for CI)
 */
import { handleAdmissionReview, type Endpoint } from '../src/admission/review-request.ts';
import { defaultReviewConfig } from '../src/config/load-config.ts';
import { payloads } from './payloads.ts';

const quick = process.argv.includes('--quick');
const BATCHES = quick ? 5 : 41;
const TARGET_BATCH_NS = quick ? 2e6 : 2e7;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

function measure(run: () => void): { medianUs: number; iterations: number } {
  // Calibrate the batch size so each batch lasts long enough for the clock to be accurate.
  let perBatch = 1;
  for (;;) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < perBatch; i++) run();
    if (Number(process.hrtime.bigint() - start) > TARGET_BATCH_NS / 4 || perBatch > 1e6) break;
    perBatch *= 2;
  }
  perBatch *= 4;
  const samples: number[] = [];
  for (let b = 0; b < BATCHES; b++) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < perBatch; i++) run();
    samples.push(Number(process.hrtime.bigint() - start) / perBatch / 1000);
  }
  return { medianUs: median(samples), iterations: perBatch * BATCHES };
}

const restricted = defaultReviewConfig({ preset: 'restricted' });
const rows: string[] = [];
rows.push(
  '| payload | size | endpoint | policy core µs (median) | + JSON parse & serialise µs | outcome |',
);
rows.push('|---|---|---|---|---|---|');
for (const { name, body } of payloads()) {
  const text = JSON.stringify(body);
  for (const endpoint of ['validate', 'mutate'] as Endpoint[]) {
    const result = handleAdmissionReview(endpoint, body, restricted);
    if (!result.ok) throw new Error(`${name}: ${result.message}`);
    const core = measure(() => handleAdmissionReview(endpoint, body, restricted));
    const withJson = measure(() => {
      const r = handleAdmissionReview(endpoint, JSON.parse(text), restricted);
      if (r.ok) JSON.stringify(r.review);
    });
    const outcome = `${result.outcome.decision}${result.outcome.violations.length ? ` (${result.outcome.violations.length} violations)` : ''}`;
    rows.push(
      `| ${name} | ${(text.length / 1024).toFixed(1)} KiB | ${endpoint} | ${core.medianUs.toFixed(2)} | ${withJson.medianUs.toFixed(2)} | ${outcome} |`,
    );
  }
}
console.log(
  `runtime-guard policy core, restricted preset — Node ${process.version}, ${quick ? 'quick' : 'full'} run`,
);
console.log(rows.join('\n'));
