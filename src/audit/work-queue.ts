/**
 * Keys waiting to be worked on, each at most once: a workload that changes ten times while it
 * waits is evaluated once, with its latest state. A key being worked on that changes again is
 * queued again when its turn ends, never worked on twice at once (as client-go's workqueue).
 */
export class WorkQueue {
  readonly #pending = new Set<string>();
  readonly #active = new Set<string>();
  readonly #dirty = new Set<string>();
  #wake: (() => void) | undefined;
  #closed = false;

  get depth(): number {
    return this.#pending.size + this.#dirty.size;
  }

  add(key: string): void {
    if (this.#closed) return;
    if (this.#active.has(key)) {
      this.#dirty.add(key);
      return;
    }
    this.#pending.add(key);
    this.#wake?.();
  }

  /** The next key, or undefined once the queue is closed. Call done(key) when finished with it. */
  async next(): Promise<string | undefined> {
    for (;;) {
      if (this.#closed) return undefined;
      const first = this.#pending.values().next();
      if (!first.done) {
        this.#pending.delete(first.value);
        this.#active.add(first.value);
        return first.value;
      }
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
      });
      this.#wake = undefined;
    }
  }

  done(key: string): void {
    this.#active.delete(key);
    if (this.#dirty.delete(key)) this.add(key);
  }

  /** Wakes every waiter with undefined; later adds are ignored. */
  close(): void {
    this.#closed = true;
    this.#wake?.();
  }
}
