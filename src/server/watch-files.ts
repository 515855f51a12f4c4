/**
 * Noticing that mounted files changed. Kubernetes updates a Secret or ConfigMap volume by
 * writing a new timestamped directory and swapping the `..data` symlink to it, so the files we
 * were given never change themselves: we watch the directories that hold them instead, wait
 * for a burst of events to settle, and also look again now and then in case an event was lost.
 * The callback re-reads and compares, so a spurious call costs little.
 */
import { watch, type FSWatcher } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';

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
    timer = setTimeout(onChange, debounceMs);
    timer.unref();
  };

  const watchers: FSWatcher[] = [];
  for (const directory of new Set(paths.map((path) => dirname(resolve(path))))) {
    // persistent: false: a watch alone never keeps the process from exiting.
    const watcher = watch(directory, { persistent: false }, (_event, filename) => {
      // `..data` and its siblings are the atomic writer's; other files in the directory are not ours.
      if (filename === null || names.has(filename) || filename.startsWith('..')) schedule();
    });
    watcher.on('error', (error) => options.onError?.(error));
    watchers.push(watcher);
  }

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
