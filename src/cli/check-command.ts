import { parseArgs } from 'node:util';
import packageJson from '../../package.json' with { type: 'json' };
import { ConfigError, defaultReviewConfig, loadConfigFile } from '../config/load-config.ts';
import { checkManifests, type CheckOptions } from '../manifests/check-manifests.ts';
import type { CheckReport } from '../manifests/check-report.ts';
import {
  collectInputs,
  InputError,
  STDIN_LABEL,
  writeFileInPlace,
} from '../manifests/input-files.ts';
import { ManifestSyntaxError } from '../manifests/kubernetes-yaml.ts';
import { renderJson } from '../manifests/render-json.ts';
import { renderJunit } from '../manifests/render-junit.ts';
import { renderPolicyReport } from '../manifests/render-policy-report.ts';
import { renderSarif } from '../manifests/render-sarif.ts';
import { renderText } from '../manifests/render-text.ts';
import { unifiedDiff } from '../manifests/unified-diff.ts';

export const CHECK_USAGE = `usage: runtime-guard check [FILE|DIR|-]... [options]
  Judges Kubernetes manifests with the webhook's own rules, exemptions and messages: mutation
  first, then validation, as the cluster judges kubectl apply. Reads YAML or JSON (many documents
  per file, List objects), directories (walked for *.yaml, *.yml, *.json) and - (standard input).
  --config FILE       the webhook's configuration (YAML); default: baseline preset, enforce mode
  -o, --output FMT    text (default), json, sarif, junit or policyreport
  -n, --namespace NS  the namespace of objects that name none, as kubectl apply -n
  --no-mutation       judge the manifests as written, without the mutating webhook's changes
  --fix               print the manifests as the mutating webhook would change them
    --write           with --fix: rewrite the files in place instead
    --diff            with --fix: print a unified diff instead (with --write: as well)
exit status: 0 nothing refused, 1 something refused, 2 bad input or options`;

const FORMATS = ['text', 'json', 'sarif', 'junit', 'policyreport'] as const;
type Format = (typeof FORMATS)[number];

function render(report: CheckReport, format: Format): string {
  switch (format) {
    case 'text':
      return renderText(report);
    case 'json':
      return renderJson(report);
    case 'sarif':
      return renderSarif(report, packageJson.version);
    case 'junit':
      return renderJunit(report);
    case 'policyreport':
      return renderPolicyReport(report);
  }
}

class UsageError extends Error {}

function parse(argv: string[]) {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      options: {
        config: { type: 'string' },
        output: { type: 'string', short: 'o', default: 'text' },
        namespace: { type: 'string', short: 'n' },
        'no-mutation': { type: 'boolean', default: false },
        fix: { type: 'boolean', default: false },
        write: { type: 'boolean', default: false },
        diff: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
      allowPositionals: true,
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const { values, positionals } = parsed;
  const format = values.output as Format;
  if (!FORMATS.includes(format))
    throw new UsageError(`--output must be one of ${FORMATS.join(', ')}, got "${values.output}"`);
  if ((values.write || values.diff) && !values.fix)
    throw new UsageError(`--${values.write ? 'write' : 'diff'} goes with --fix`);
  if (values.fix && values['no-mutation'])
    throw new UsageError('--fix writes the mutation, --no-mutation leaves it out: choose one');
  if (values.write && positionals.includes('-'))
    throw new UsageError('--write cannot rewrite standard input; use --fix alone or --diff');
  if (!values.help && positionals.length === 0)
    throw new UsageError('no input: name files, directories, or - for standard input');
  return { values, positionals, format };
}

/** The fixed texts of every input, one stream, documents kept apart by `---`. */
function joinFixed(report: CheckReport): string {
  let out = '';
  for (const file of report.files) {
    if (!file.fixed) continue;
    let text = file.fixed.text;
    if (out !== '') {
      if (!out.endsWith('\n')) out += '\n';
      if (!/^---(\s|$)/.test(text)) text = `---\n${text}`;
    }
    out += text;
  }
  return out;
}

/** Returns the exit code: 0 nothing refused, 1 refusals, 2 unusable input or options. */
export async function runCheck(argv: string[]): Promise<number> {
  const fail = (message: string): number => {
    process.stderr.write(`runtime-guard check: ${message}\n`);
    return 2;
  };
  let args;
  try {
    args = parse(argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    return fail(`${error.message}\n${CHECK_USAGE}`);
  }
  const { values, positionals, format } = args;
  if (values.help) {
    process.stdout.write(`${CHECK_USAGE}\n`);
    return 0;
  }
  try {
    const config = values.config ? await loadConfigFile(values.config) : undefined;
    const inputs = await collectInputs(positionals, process.stdin);
    const options: CheckOptions = {
      mutate: !values['no-mutation'],
      fix: values.fix,
      namespace: values.namespace,
      namespaceModes: config?.server.namespaceModes.enabled ?? false,
    };
    const report = checkManifests(inputs, config ?? defaultReviewConfig(), options);

    // stdout carries the fixed manifests or the diff when asked for; the report then goes to stderr.
    const manifestsOnStdout = values.fix && !values.write && !values.diff;
    const reportStream = manifestsOnStdout || values.diff ? process.stderr : process.stdout;
    if (values.fix) {
      for (const [index, file] of report.files.entries()) {
        if (!file.fixed?.changed) continue;
        const before = inputs[index]?.text ?? '';
        if (values.diff) process.stdout.write(unifiedDiff(file.file, before, file.fixed.text));
        if (values.write && file.file !== STDIN_LABEL) {
          await writeFileInPlace(file.file, file.fixed.text);
          process.stderr.write(`runtime-guard check: wrote ${file.file}\n`);
        }
      }
      if (manifestsOnStdout) process.stdout.write(joinFixed(report));
    }
    reportStream.write(render(report, format));
    return report.summary.refused > 0 ? 1 : 0;
  } catch (error) {
    if (
      error instanceof ConfigError ||
      error instanceof InputError ||
      error instanceof ManifestSyntaxError
    )
      return fail(error.message);
    return fail(`internal error: ${(error as Error).message}`);
  }
}
