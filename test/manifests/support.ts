// What the check tests share: running `runtime-guard check` as a user does, and the corpus.
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const REPOSITORY = resolve(import.meta.dirname, '..', '..');
export const CLI = join(REPOSITORY, 'bin', 'runtime-guard.js');
export const TESTDATA = join(REPOSITORY, 'test', 'testdata');
export const PRESETS = ['baseline', 'restricted'] as const;

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** `runtime-guard check ARGS` with the Node.js running the tests. */
export function check(
  args: readonly string[],
  options: { input?: string; cwd?: string } = {},
): CliResult {
  const result = spawnSync(process.execPath, [CLI, 'check', ...args], {
    input: options.input ?? '',
    cwd: options.cwd ?? REPOSITORY,
    encoding: 'utf8',
    timeout: 120_000,
    maxBuffer: 256 * 1024 * 1024,
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

export interface Fixture {
  /** Relative to the repository, as the CLI reports it when run from there. */
  file: string;
  text: string;
  /** `rule field` pairs the header expects as written and after mutation. */
  expect: string[];
  afterMutation: string[];
}

function headerList(text: string, label: string): string[] {
  const items: string[] = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith('#')) break;
    const match = new RegExp(`^# ${label}: (.+)$`).exec(line);
    if (match && match[1] !== 'none') items.push(match[1] as string);
  }
  return items;
}

/** Every manifest of test/testdata/<preset>, with its header's expectations. */
export function corpus(preset: string): Fixture[] {
  const fixtures: Fixture[] = [];
  for (const outcome of ['pass', 'fail']) {
    const directory = join(TESTDATA, preset, outcome);
    for (const name of readdirSync(directory).sort()) {
      if (!name.endsWith('.yaml')) continue;
      const text = readFileSync(join(directory, name), 'utf8');
      fixtures.push({
        file: join('test', 'testdata', preset, outcome, name),
        text,
        expect: headerList(text, 'expect'),
        afterMutation: headerList(text, 'after mutation'),
      });
    }
  }
  return fixtures;
}

export const sorted = (items: Iterable<string>): string[] => [...items].sort();
