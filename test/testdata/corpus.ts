/**
 * The corpus as files: `<preset>/config.yaml` (the preset's defaults, plus an allowlist of
 * `runtime-guard/*.json` so the Localhost rule has something to judge), and one manifest per case
 * and preset in `<preset>/<pass|fail>/<rule>N.yaml`, its expectations in the header:
 *
 *   # expect: privileged spec.containers[0].securityContext.privileged
 *   # after mutation: none
 *   # ephemeral update: …   (pods with ephemeral containers: a `kubectl debug` that adds them)
 *
 * `npm run testdata` writes them; the corpus test checks the files are what this writes.
 */
import { stringify } from 'yaml';
import { CASES, type CorpusPreset, type Expectation } from './cases.ts';

export const PRESETS: readonly CorpusPreset[] = ['baseline', 'restricted'];
export const ALLOWED_PROFILES = ['runtime-guard/*.json'];

function header(description: string, expectation: Expectation): string {
  const lines = [`# ${description}`];
  const list = (label: string, items: readonly string[]) => {
    if (items.length === 0) lines.push(`# ${label}: none`);
    for (const item of items) lines.push(`# ${label}: ${item}`);
  };
  list('expect', expectation.violations);
  list('after mutation', expectation.afterMutation);
  if (expectation.ephemeralUpdate) list('ephemeral update', expectation.ephemeralUpdate);
  return lines.join('\n');
}

/** Every file of the corpus, by its path relative to test/testdata. */
export function corpusFiles(): Map<string, string> {
  const files = new Map<string, string>();
  for (const preset of PRESETS) {
    files.set(
      `${preset}/config.yaml`,
      `# The configuration the ${preset} fixtures are judged with.\n${stringify({
        preset,
        rules: { seccompLocalhostAllowlist: { profiles: ALLOWED_PROFILES } },
      })}`,
    );
    const counters = new Map<string, number>();
    for (const corpusCase of CASES) {
      const expectation = corpusCase.expect[preset];
      if (!expectation) continue;
      const outcome = expectation.violations.length === 0 ? 'pass' : 'fail';
      const stem = `${preset}/${outcome}/${corpusCase.rule}`;
      const n = counters.get(stem) ?? 0;
      counters.set(stem, n + 1);
      files.set(
        `${stem}${n}.yaml`,
        `${header(corpusCase.description, expectation)}\n${stringify(corpusCase.object, { lineWidth: 0 })}`,
      );
    }
  }
  return files;
}

export interface FixtureHeader {
  violations: string[];
  afterMutation: string[];
  /** Undefined when the header has no `ephemeral update` line. */
  ephemeralUpdate: string[] | undefined;
}

/** The expectations a fixture's header states. */
export function readFixtureHeader(text: string): FixtureHeader {
  const header: FixtureHeader = { violations: [], afterMutation: [], ephemeralUpdate: undefined };
  for (const line of text.split('\n')) {
    if (!line.startsWith('#')) break;
    const match = /^# (expect|after mutation|ephemeral update): (.+)$/.exec(line);
    if (!match) continue;
    const [, label, item] = match;
    const list =
      label === 'expect'
        ? header.violations
        : label === 'after mutation'
          ? header.afterMutation
          : (header.ephemeralUpdate ??= []);
    if (item !== 'none') list.push(item as string);
  }
  return header;
}
