// What the chart's profile DaemonSet runs on every node (`runtime-guard profile install`): copy
// the profiles of a mounted ConfigMap into the kubelet's seccomp directory, where pods name them
// as `localhostProfile: runtime-guard/<file>`. Each file is checked first, written whole
// (temporary file, then rename: the kubelet never reads half a profile) and only when it
// changed; a file that is no valid profile is refused and the one installed before is kept;
// profiles removed from the ConfigMap are removed from the node.

import { watch } from 'node:fs';
import { readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseSeccompProfile, ProfileError, unknownNames } from './seccomp-profile.ts';

/** Profile file names: what a ConfigMap key and the kubelet's path both accept. */
export const PROFILE_FILE = /^[A-Za-z0-9][A-Za-z0-9._-]*\.json$/;

export interface SyncResult {
  written: string[];
  unchanged: string[];
  removed: string[];
  refused: { file: string; reason: string }[];
}

async function profileFiles(directory: string): Promise<string[]> {
  // A ConfigMap volume also holds ..data and the timestamped directory it points to.
  return (await readdir(directory)).filter((name) => !name.startsWith('.')).sort();
}

async function readIfThere(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch {
    return undefined;
  }
}

function checkProfile(text: string, file: string): string | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return `not JSON: ${(error as Error).message}`;
  }
  try {
    const profile = parseSeccompProfile(value, file);
    const unknown = unknownNames(profile);
    if (unknown.length > 0) return `names no syscall: ${unknown.join(', ')}`;
  } catch (error) {
    if (error instanceof ProfileError) return error.message.replace(`${file}: `, '');
    throw error;
  }
  return undefined;
}

/** One pass: makes `to` hold the valid profiles of `from`. */
export async function syncProfiles(from: string, to: string): Promise<SyncResult> {
  const result: SyncResult = { written: [], unchanged: [], removed: [], refused: [] };
  const wanted = new Set<string>();
  for (const file of await profileFiles(from)) {
    wanted.add(file);
    if (!PROFILE_FILE.test(file)) {
      result.refused.push({ file, reason: 'not a profile file name (NAME.json)' });
      continue;
    }
    const text = await readFile(join(from, file), 'utf8');
    const reason = checkProfile(text, file);
    if (reason) {
      result.refused.push({ file, reason });
      continue;
    }
    const target = join(to, file);
    if ((await readIfThere(target)) === text) {
      result.unchanged.push(file);
      continue;
    }
    const temporary = join(to, `.${file}.${process.pid}.tmp`);
    await writeFile(temporary, text, { mode: 0o644 });
    await rename(temporary, target);
    result.written.push(file);
  }
  for (const file of await profileFiles(to)) {
    if (PROFILE_FILE.test(file) && !wanted.has(file)) {
      await rm(join(to, file), { force: true });
      result.removed.push(file);
    }
  }
  return result;
}

export function describeSync(result: SyncResult): string[] {
  return [
    ...result.written.map((file) => `wrote ${file}`),
    ...result.removed.map((file) => `removed ${file}`),
    ...result.refused.map(
      (r) => `refused ${r.file} (the installed one, if any, stays): ${r.reason}`,
    ),
  ];
}

/**
 * Syncs now, then again whenever `from` changes (a ConfigMap update swaps its ..data link) and
 * every `resyncMs` in case an event was missed, until `signal` aborts.
 */
export async function watchProfiles(
  from: string,
  to: string,
  options: { signal: AbortSignal; log: (line: string) => void; resyncMs?: number },
): Promise<void> {
  let running: Promise<void> = Promise.resolve();
  let pending = false;
  const sync = () => {
    if (pending) return;
    pending = true;
    running = running.then(async () => {
      pending = false;
      try {
        for (const line of describeSync(await syncProfiles(from, to))) options.log(line);
      } catch (error) {
        options.log(`sync failed: ${(error as Error).message}`);
      }
    });
  };
  sync();
  const watcher = watch(from, { signal: options.signal }, () => sync());
  watcher.on('error', (error) =>
    options.log(`watch failed: ${error.message}; resyncing on a timer`),
  );
  const timer = setInterval(sync, options.resyncMs ?? 60_000);
  await new Promise<void>((resolve) => {
    if (options.signal.aborted) resolve();
    options.signal.addEventListener('abort', () => resolve(), { once: true });
  });
  clearInterval(timer);
  await running;
}
