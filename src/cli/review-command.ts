import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { defaultReviewConfig, loadConfigFile } from '../config/load-config.ts';
import { handleAdmissionReview } from '../admission/review-request.ts';

export const REVIEW_USAGE = `usage: runtime-guard review [--config FILE] [--mutate] [FILE|-]
  Reads an AdmissionReview (JSON) from FILE or standard input and prints the response
  AdmissionReview that the webhook would send, through the same code the server runs.
  --config FILE  policy configuration (YAML); default: baseline preset, enforce mode
  --mutate       answer as the mutating endpoint (/mutate) instead of /validate`;

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * A reader that stops early (`| head -c 10`) closes the pipe: its choice, not an error worth a
 * stack trace, so EPIPE ends the write quietly. Node reports it twice, to the callback and
 * then as an 'error' event, which must have a listener.
 */
function writeStdout(text: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const settle = (error?: NodeJS.ErrnoException | null) =>
      error && error.code !== 'EPIPE' ? reject(error) : resolve();
    process.stdout.once('error', settle);
    process.stdout.write(text, settle);
  });
}

/** Returns the exit code: 0 when a response was printed, 2 for unusable input or options. */
export async function runReview(argv: string[]): Promise<number> {
  let args;
  try {
    args = parseArgs({
      args: argv,
      options: {
        config: { type: 'string' },
        mutate: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h' },
      },
      allowPositionals: true,
    });
  } catch (error) {
    process.stderr.write(`runtime-guard review: ${(error as Error).message}\n${REVIEW_USAGE}\n`);
    return 2;
  }
  if (args.values.help) {
    process.stdout.write(`${REVIEW_USAGE}\n`);
    return 0;
  }
  if (args.positionals.length > 1) {
    process.stderr.write(
      `runtime-guard review: expected at most one input file, got ${args.positionals.length}\n${REVIEW_USAGE}\n`,
    );
    return 2;
  }
  const input = args.positionals[0] ?? '-';
  try {
    const config = args.values.config
      ? await loadConfigFile(args.values.config)
      : defaultReviewConfig();
    let text: string;
    try {
      text = input === '-' ? await readStdin() : await readFile(input, 'utf8');
    } catch (error) {
      process.stderr.write(
        `runtime-guard review: cannot read ${input}: ${(error as NodeJS.ErrnoException).code ?? String(error)}\n`,
      );
      return 2;
    }
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch (error) {
      process.stderr.write(
        `runtime-guard review: ${input === '-' ? 'standard input' : input} is not valid JSON: ${(error as Error).message}\n`,
      );
      return 2;
    }
    const result = handleAdmissionReview(args.values.mutate ? 'mutate' : 'validate', body, config);
    if (!result.ok) {
      process.stderr.write(
        `runtime-guard review: not a usable AdmissionReview: ${result.message}\n`,
      );
      return 2;
    }
    await writeStdout(`${JSON.stringify(result.review, null, 2)}\n`);
    return 0;
  } catch (error) {
    process.stderr.write(`runtime-guard review: ${(error as Error).message}\n`);
    return 2;
  }
}
