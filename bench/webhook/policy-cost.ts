/**
 * runtime-guard's cost per review in process, beside PSA's per pod: the median of timed
 * batches of handleAdmissionReview() on an already parsed review (policy evaluation, plus the
 * JSON Patch on /mutate), of JSON.parse alone, and of the whole parse → review → serialise path.
 * Prints JSON; the benchmark runs it pinned to the server core.
 *
 *   node bench/webhook/policy-cost.ts [--quick]
 */
import { handleAdmissionReview, type Endpoint } from '../../src/admission/review-request.ts';
import { parseConfigText } from '../../src/config/load-config.ts';
import { payloads } from '../payloads.ts';
import { POLICY_YAML } from './policy-config.ts';

export interface PolicyCost {
  payload: string;
  bytes: number;
  /** µs per review, median of the batches */
  validate: number;
  mutate: number;
  parse: number;
  parseValidateSerialise: number;
  parseMutateSerialise: number;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

function measure(run: () => void, batches: number, batchNs: number): number {
  let perBatch = 1;
  for (;;) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < perBatch; i++) run();
    if (Number(process.hrtime.bigint() - start) > batchNs / 4 || perBatch > 1e6) break;
    perBatch *= 2;
  }
  perBatch *= 4;
  const samples: number[] = [];
  for (let b = 0; b < batches; b++) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < perBatch; i++) run();
    samples.push(Number(process.hrtime.bigint() - start) / perBatch / 1000);
  }
  return median(samples);
}

export function measurePolicyCost(quick: boolean): PolicyCost[] {
  const batches = quick ? 5 : 21;
  const batchNs = quick ? 2e6 : 2e7;
  const config = parseConfigText(POLICY_YAML, 'the benchmark configuration');
  const rows: PolicyCost[] = [];
  for (const { name, body } of payloads()) {
    const text = JSON.stringify(body);
    const review = (endpoint: Endpoint, input: unknown) => {
      const result = handleAdmissionReview(endpoint, input, config);
      if (!result.ok) throw new Error(`${name}: ${result.message}`);
      return result.review;
    };
    rows.push({
      payload: name,
      bytes: Buffer.byteLength(text),
      validate: measure(() => review('validate', body), batches, batchNs),
      mutate: measure(() => review('mutate', body), batches, batchNs),
      parse: measure(() => JSON.parse(text), batches, batchNs),
      parseValidateSerialise: measure(
        () => JSON.stringify(review('validate', JSON.parse(text))),
        batches,
        batchNs,
      ),
      parseMutateSerialise: measure(
        () => JSON.stringify(review('mutate', JSON.parse(text))),
        batches,
        batchNs,
      ),
    });
  }
  return rows;
}

if (import.meta.main) {
  process.stdout.write(`${JSON.stringify(measurePolicyCost(process.argv.includes('--quick')))}\n`);
}
