/**
 * Noticing that mounted files changed. Kubernetes updates a Secret or ConfigMap volume by
 * writing a new timestamped directory and swapping the `..data` symlink to it, so the files we
 * were given never change themselves: we watch the directories that hold them instead, wait
 * for a burst of events to settle, and also look again now and then in case an event was lost.
 * The callback re-reads and compares, so a spurious call costs little.
 * When a file sits in a sub-directory of such a volume (`tls/tls.crt` in a projected volume),
 * that sub-directory is itself behind `..data`: a watch on it follows the old timestamped
 * directory and goes deaf after the first swap. So the volume root (the nearest ancestor holding
 * `..data`) is watched too, and every watch is renewed after each change.
 */
import { existsSync, watch, type FSWatcher } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';

export interface FileWatch {
  close(): void;
}

export interface WatchFilesOptions {
  /** Quiet time after the last event before onChange runs. */
  debounceMs?: number;
  /** Run onChange this often even without events; 0 turns it off. */
  pollMs?: number;
  onError?: (error: Error) => void;
}

export type ReloadResult = { ok: true; changed: boolean } | { ok: false; message: string };

export function watchFiles(
  paths: readonly string[],
  onChange: () => void,
  options: WatchFilesOptions = {},
): FileWatch {
  const debounceMs = options.debounceMs ?? 200;
  const names = new Set(paths.map((path) => basename(path)));
  let timer: NodeJS.Timeout | undefined;
  const schedule = () => {
    clearTimeout(timer);
    timer = setTimeout(changed, debounceMs);
    timer.unref();
  };

  let watchers: FSWatcher[] = [];
  const arm = () => {
    for (const watcher of watchers) watcher.close();
    watchers = [];
    for (const directory of watchedDirectories(paths)) {
      try {
        // persistent: false: a watch alone never keeps the process from exiting.
        const watcher = watch(directory, { persistent: false }, (_event, filename) => {
          // `..data` and its siblings are the atomic writer's; other files in the directory are not ours.
          if (
            filename === null ||
            names.has(filename) ||
            filename.startsWith('..') ||
            subdirectories.has(filename)
          )
            schedule();
        });
        watcher.on('error', (error) => options.onError?.(error));
        watchers.push(watcher);
      } catch (error) {
        options.onError?.(error as Error);
      }
    }
  };
  const subdirectories = new Set(paths.flatMap((path) => relativeSubdirectories(path)));
  const changed = () => {
    arm();
    onChange();
  };
  arm();

  const pollMs = options.pollMs ?? 60_000;
  const poll = pollMs > 0 ? setInterval(onChange, pollMs) : undefined;
  poll?.unref();

  return {
    close() {
      clearTimeout(timer);
      clearInterval(poll);
      for (const watcher of watchers) watcher.close();
    },
  };
}

/** Each file's directory, and the root of the atomic-writer volume it lives in, if any. */
function watchedDirectories(paths: readonly string[]): Set<string> {
  const directories = new Set<string>();
  for (const path of paths) {
    const directory = dirname(resolve(path));
    directories.add(directory);
    const root = atomicWriterRoot(directory);
    if (root) directories.add(root);
  }
  return directories;
}

function atomicWriterRoot(directory: string): string | undefined {
  for (let current = directory; ; current = dirname(current)) {
    if (existsSync(join(current, '..data'))) return current;
    if (dirname(current) === current) return undefined;
  }
}

/** Names of the directories between a file and its volume root, e.g. `tls` for `root/tls/tls.crt`. */
function relativeSubdirectories(path: string): string[] {
  const directory = dirname(resolve(path));
  const root = atomicWriterRoot(directory);
  if (!root || root === directory) return [];
  return directory.slice(root.length + 1).split('/');
}
