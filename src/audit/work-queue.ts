/**
 * Keys waiting to be worked on, each at most once: a workload that changes ten times while it
 * waits is evaluated once, with its latest state. A key is handed out only `settleMs` after it
 * was first queued, so a rollout's burst of pod events makes one evaluation and one write, not
 * one per pod. A key being worked on that changes again is queued again when its turn ends,
 * never worked on twice at once (as client-go's workqueue).
 */
export class WorkQueue {
  readonly #settleMs: number;
  /** Key → when it was queued; a Map keeps insertion order, so the first is the oldest. */
  readonly #pending = new Map<string, number>();
  readonly #active = new Set<string>();
  readonly #dirty = new Set<string>();
  #wake: (() => void) | undefined;
  #closed = false;

  constructor(options: { settleMs?: number } = {}) {
    this.#settleMs = options.settleMs ?? 0;
  }

  get depth(): number {
    return this.#pending.size + this.#dirty.size;
  }

  add(key: string): void {
    if (this.#closed) return;
    if (this.#active.has(key)) {
      this.#dirty.add(key);
      return;
    }
    if (!this.#pending.has(key)) this.#pending.set(key, Date.now());
    this.#wake?.();
  }

  /** The next key, or undefined once the queue is closed. Call done(key) when finished with it. */
  async next(): Promise<string | undefined> {
    for (;;) {
      if (this.#closed) return undefined;
      const first = this.#pending.entries().next();
      if (!first.done) {
        const [key, queuedAt] = first.value;
        const wait = queuedAt + this.#settleMs - Date.now();
        if (wait <= 0) {
          this.#pending.delete(key);
          this.#active.add(key);
          return key;
        }
        await this.#sleep(wait);
        continue;
      }
      await this.#sleep(undefined);
    }
  }

  /** Until woken (an add, close) or, with `ms`, that long at most. */
  #sleep(ms: number | undefined): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = ms === undefined ? undefined : setTimeout(resolve, ms);
      this.#wake = () => {
        clearTimeout(timer);
        this.#wake = undefined;
        resolve();
      };
    });
  }

  done(key: string): void {
    this.#active.delete(key);
    if (this.#dirty.delete(key)) this.add(key);
  }

  /** Wakes the waiter with undefined; later adds are ignored. */
  close(): void {
    this.#closed = true;
    this.#wake?.();
  }
}
