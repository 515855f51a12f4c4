/**
 * The I/O edge of `check`: files, directories (walked for `*.yaml`, `*.yml`, `*.json`) and
 * standard input, read whole up to a bound, with the templates of Helm charts recognised (a file
 * with `{{` under a chart's `templates/`), since those are not YAML before `helm template`.
 * Writing fixed files back is here too, one rename each, so a reader never sees half a file.
 */
import { lstat, readdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import type { ManifestInput } from './check-manifests.ts';

/** One input larger than this is refused: no manifest is near it, and it is read whole. */
export const MAX_INPUT_BYTES = 32 * 1024 * 1024;
/** All inputs together. */
export const MAX_TOTAL_BYTES = 256 * 1024 * 1024;

export const STDIN_LABEL = '<stdin>';

const MANIFEST_EXTENSION = /\.(ya?ml|json)$/i;
/** Directories a walk does not enter: version control, dependencies, editor state. */
const SKIPPED_DIRECTORY = (name: string) => name.startsWith('.') || name === 'node_modules';

export class InputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InputError';
  }
}

function describeError(error: unknown): string {
  return (error as NodeJS.ErrnoException).code ?? (error as Error).message;
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

/** The chart directory when `file` sits under `<chart>/templates/` and `<chart>/Chart.yaml` exists. */
async function chartOf(file: string): Promise<string | undefined> {
  let directory = dirname(file);
  for (let depth = 0; depth < 32; depth++) {
    if (basename(directory) === 'templates') {
      const chart = dirname(directory);
      if (await exists(join(chart, 'Chart.yaml'))) return chart;
    }
    const parent = dirname(directory);
    if (parent === directory) return undefined;
    directory = parent;
  }
  return undefined;
}

class Budget {
  #total = 0;
  take(label: string, bytes: number): void {
    if (bytes > MAX_INPUT_BYTES)
      throw new InputError(`${label}: larger than ${MAX_INPUT_BYTES / 1024 / 1024} MiB, not read`);
    this.#total += bytes;
    if (this.#total > MAX_TOTAL_BYTES)
      throw new InputError(
        `the inputs are larger than ${MAX_TOTAL_BYTES / 1024 / 1024} MiB together; check them in parts`,
      );
  }
}

async function readStream(stream: Readable, budget: Budget): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    size += (chunk as Buffer).length;
    if (size > MAX_INPUT_BYTES) {
      stream.destroy();
      budget.take(STDIN_LABEL, size);
    }
    chunks.push(chunk as Buffer);
  }
  budget.take(STDIN_LABEL, size);
  return Buffer.concat(chunks).toString('utf8');
}

async function readInputFile(file: string, budget: Budget): Promise<ManifestInput> {
  let text: string;
  try {
    const info = await stat(file);
    budget.take(file, info.size);
    text = await readFile(file, 'utf8');
  } catch (error) {
    if (error instanceof InputError) throw error;
    throw new InputError(`cannot read ${file}: ${describeError(error)}`);
  }
  const chart = text.includes('{{') ? await chartOf(file) : undefined;
  return chart === undefined ? { file, text } : { file, text, helmChart: chart };
}

async function walk(directory: string, found: string[]): Promise<void> {
  let entries;
  try {
    entries = await readdir(directory, { withFileTypes: true });
  } catch (error) {
    throw new InputError(`cannot read directory ${directory}: ${describeError(error)}`);
  }
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const entry of entries) {
    const path = join(directory, entry.name);
    if (entry.isDirectory()) {
      if (!SKIPPED_DIRECTORY(entry.name)) await walk(path, found);
    } else if (MANIFEST_EXTENSION.test(entry.name)) {
      // A symbolic link is read when it points at a file; linked directories are not entered,
      // so a link loop cannot make the walk endless.
      if (
        entry.isFile() ||
        (entry.isSymbolicLink() && (await stat(path).catch(() => undefined))?.isFile())
      )
        found.push(path);
    }
  }
}

/** Every input named on the command line, in order; `-` is standard input (at most once). */
export async function collectInputs(
  args: readonly string[],
  stdin: Readable,
): Promise<ManifestInput[]> {
  const budget = new Budget();
  const inputs: ManifestInput[] = [];
  let readStdin = false;
  for (const arg of args) {
    if (arg === '-') {
      if (readStdin) throw new InputError('standard input (-) named twice');
      readStdin = true;
      inputs.push({ file: STDIN_LABEL, text: await readStream(stdin, budget) });
      continue;
    }
    let info;
    try {
      info = await lstat(arg).then((l) => (l.isSymbolicLink() ? stat(arg) : l));
    } catch (error) {
      throw new InputError(`cannot read ${arg}: ${describeError(error)}`);
    }
    if (info.isDirectory()) {
      const files: string[] = [];
      await walk(arg, files);
      for (const file of files) inputs.push(await readInputFile(file, budget));
    } else {
      inputs.push(await readInputFile(arg, budget));
    }
  }
  return inputs;
}

/** Replaces `file` with `text` in one rename, keeping its permissions. */
export async function writeFileInPlace(file: string, text: string): Promise<void> {
  const { mode } = await stat(file);
  const temporary = join(dirname(file), `.${basename(file)}.runtime-guard-${process.pid}`);
  await writeFile(temporary, text, { mode });
  await rename(temporary, file);
}
