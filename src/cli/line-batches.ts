/**
 * Log lines handed to their destination (sonic-boom) in batches. sonic-boom can batch by itself
 * (`minLength`), but it then measures the whole pending batch with `Buffer.byteLength` again on
 * every line it appends: with 16 KiB batches, about 7 µs of every review through the apiserver.
 * Here a line costs an array push, and the destination measures each batch once or twice.
 */
import { writeSync } from 'node:fs';

/** What is needed of sonic-boom: `pino.destination()` returns one. */
export interface LineDestination {
  write(text: string): boolean;
  flush(callback?: (error?: Error) => void): void;
  flushSync(): void;
  end(): void;
  readonly destroyed?: boolean;
}

export interface LineBatchOptions {
  /** The file descriptor the destination writes to, for the last lines at exit. */
  fd: number;
  /** A batch is handed over once it holds this many UTF-16 code units (about as many bytes). */
  batchChars: number;
  /** …and at the latest this long after its first line, so a quiet server's lines still appear. */
  maxDelayMs: number;
}

export class LineBatches {
  readonly #destination: LineDestination;
  readonly #batchChars: number;
  readonly #maxDelayMs: number;
  readonly #fd: number;
  #lines: string[] = [];
  #chars = 0;
  #timer: NodeJS.Timeout | undefined;

  constructor(destination: LineDestination, options: LineBatchOptions) {
    this.#destination = destination;
    this.#batchChars = options.batchChars;
    this.#maxDelayMs = options.maxDelayMs;
    this.#fd = options.fd;
  }

  /** pino's stream interface. */
  write(line: string): boolean {
    this.#lines.push(line);
    this.#chars += line.length;
    if (this.#chars >= this.#batchChars) this.handOver();
    else this.#timer ??= setTimeout(() => this.handOver(), this.#maxDelayMs).unref();
    return true;
  }

  /** Gives the lines held so far to the destination, which writes them when it can. */
  handOver(): void {
    const text = this.#take();
    if (text !== undefined && !this.#destination.destroyed) this.#destination.write(text);
  }

  #take(): string | undefined {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#lines.length === 0) return undefined;
    const text = this.#lines.length === 1 ? this.#lines[0]! : this.#lines.join('');
    this.#lines = [];
    this.#chars = 0;
    return text;
  }

  flush(callback?: (error?: Error) => void): void {
    this.handOver();
    this.#destination.flush(callback);
  }

  /**
   * Everything, before this returns: for the process's last moments, when a write handed to the
   * destination now would be left to a thread that may not finish it. What the destination
   * holds is written first, then the lines held here, in order.
   */
  flushSync(): void {
    const text = this.#take();
    if (this.#destination.destroyed) return;
    this.#destination.flushSync();
    if (text !== undefined) writeAllSync(this.#fd, Buffer.from(text));
  }

  end(): void {
    this.handOver();
    this.#destination.end();
  }
}

/** A pipe whose reader lags refuses writes for a moment (EAGAIN): retried for up to a second. */
function writeAllSync(fd: number, bytes: Buffer): void {
  const pause = new Int32Array(new SharedArrayBuffer(4));
  let written = 0;
  for (let attempts = 0; written < bytes.length && attempts < 100;) {
    try {
      written += writeSync(fd, bytes, written);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'EAGAIN' && code !== 'EBUSY') return;
      attempts++;
      Atomics.wait(pause, 0, 0, 10);
    }
  }
}
