/**
 * What the certificate and configuration reloaders share: watching their files, one reload at a
 * time, and a 'reload' event with each result. The subclass says how to read and apply.
 */
import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import {
  watchFiles,
  type FileWatch,
  type ReloadResult,
  type WatchFilesOptions,
} from './watch-files.ts';

export interface FileReloaderMessages {
  /** Logged when watching fails; the periodic check goes on. */
  watchFailed: string;
  /** Logged when a reload throws instead of returning a result: a bug, not a bad file. */
  reloadFailed: string;
}

export abstract class FileReloader extends EventEmitter<{ reload: [ReloadResult] }> {
  protected readonly log: Logger;
  readonly #messages: FileReloaderMessages;
  #watch: FileWatch | undefined;
  #queue: Promise<unknown> = Promise.resolve();

  protected constructor(log: Logger, messages: FileReloaderMessages) {
    super();
    this.log = log;
    this.#messages = messages;
  }

  /** Reads the files again and applies them if they changed and pass the checks. */
  protected abstract reloadOnce(): Promise<ReloadResult>;

  protected watch(paths: readonly string[], options: WatchFilesOptions): void {
    this.#watch = watchFiles(paths, () => this.#reloadInBackground(), {
      ...options,
      onError: (error) => this.log.warn({ error: error.message }, this.#messages.watchFailed),
    });
  }

  stop(): void {
    this.#watch?.close();
  }

  /** Calls run one at a time, in order; every result is also emitted as 'reload'. */
  reload(): Promise<ReloadResult> {
    const next = this.#queue.then(async () => {
      const result = await this.reloadOnce();
      this.emit('reload', result);
      return result;
    });
    this.#queue = next.catch(() => undefined);
    return next;
  }

  #reloadInBackground(): void {
    this.reload().catch((error: unknown) =>
      this.log.error({ err: error }, this.#messages.reloadFailed),
    );
  }
}
