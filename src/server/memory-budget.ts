/**
 * A budget of bytes shared by the requests in flight: each reserves what it may need before it
 * reads or parses, and gives it back once answered. A request that does not fit waits, in
 * arrival order, for at most `maxWaitMs`, and is refused after that: memory stays bounded by
 * the budget however many requests arrive, and a burst is served in order instead of all at
 * once. Growing a reservation (a request that has read its body and now knows what parsing it
 * costs) goes before new requests: it already holds memory, and finishing it frees it.
 */

export class BudgetExceededError extends Error {
  readonly reason: 'larger-than-budget' | 'timeout';
  readonly bytes: number;
  constructor(reason: 'larger-than-budget' | 'timeout', bytes: number, message: string) {
    super(message);
    this.name = 'BudgetExceededError';
    this.reason = reason;
    this.bytes = bytes;
  }
}

interface Waiter {
  bytes: number;
  resolve(): void;
  reject(error: BudgetExceededError): void;
  timer: NodeJS.Timeout;
}

export interface Reservation {
  readonly bytes: number;
  /**
   * Changes the reservation to `bytes`: at once when it fits (undefined), else a promise that
   * waits as reserve() does.
   */
  resize(bytes: number): Promise<void> | undefined;
  /** Idempotent. */
  release(): void;
}

export class MemoryBudget {
  readonly limitBytes: number;
  readonly maxWaitMs: number;
  #inUse = 0;
  readonly #growing: Waiter[] = [];
  readonly #arriving: Waiter[] = [];
  readonly #onChange: ((inUse: number) => void) | undefined;

  constructor(limitBytes: number, maxWaitMs: number, onChange?: (inUse: number) => void) {
    this.limitBytes = limitBytes;
    this.maxWaitMs = maxWaitMs;
    this.#onChange = onChange;
  }

  get inUse(): number {
    return this.#inUse;
  }

  get waiting(): number {
    return this.#growing.length + this.#arriving.length;
  }

  /**
   * A reservation of `bytes`: at once when it fits and nobody waits (no promise: this runs for
   * every review), else a promise that waits its turn.
   */
  reserve(bytes: number): Reservation | Promise<Reservation> {
    const taking = this.#take(bytes, this.#arriving);
    return taking ? taking.then(() => this.#reservation(bytes)) : this.#reservation(bytes);
  }

  #reservation(bytes: number): Reservation {
    let held = bytes;
    let released = false;
    return {
      get bytes() {
        return held;
      },
      resize: (next: number) => {
        if (released) return undefined;
        if (next <= held) {
          this.#give(held - next);
          held = next;
          return undefined;
        }
        const taking = this.#take(next - held, this.#growing, next);
        if (!taking) {
          held = next;
          return undefined;
        }
        return taking.then(() => {
          // Released while it waited: what release() gave back was the smaller amount.
          if (released) this.#give(next - held);
          else held = next;
        });
      },
      release: () => {
        if (released) return;
        released = true;
        this.#give(held);
      },
    };
  }

  /**
   * Takes `bytes` at once (undefined) or once they come free (a promise). `total`, when growing,
   * is what the request would hold: that is what must fit the budget.
   */
  #take(bytes: number, queue: Waiter[], total = bytes): Promise<void> | undefined {
    if (total > this.limitBytes) {
      return Promise.reject(
        new BudgetExceededError(
          'larger-than-budget',
          total,
          `needs ${total} bytes, more than the whole budget of ${this.limitBytes}`,
        ),
      );
    }
    const ahead = queue === this.#growing ? this.#growing.length : this.waiting;
    if (ahead === 0 && this.#inUse + bytes <= this.limitBytes) {
      this.#add(bytes);
      return undefined;
    }
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        bytes,
        resolve,
        reject,
        timer: setTimeout(() => {
          queue.splice(queue.indexOf(waiter), 1);
          reject(
            new BudgetExceededError(
              'timeout',
              bytes,
              `waited ${this.maxWaitMs} ms for ${bytes} bytes of the budget; ${this.#inUse} of ${this.limitBytes} in use`,
            ),
          );
          // The head of the line may have been this one.
          this.#admit();
        }, this.maxWaitMs),
      };
      queue.push(waiter);
    });
  }

  #give(bytes: number): void {
    if (bytes === 0) return;
    this.#add(-bytes);
    this.#admit();
  }

  #add(bytes: number): void {
    this.#inUse += bytes;
    this.#onChange?.(this.#inUse);
  }

  /** Strictly in order: the first waiter that does not fit holds back those behind it. */
  #admit(): void {
    for (const queue of [this.#growing, this.#arriving]) {
      while (queue.length > 0) {
        const next = queue[0] as Waiter;
        if (this.#inUse + next.bytes > this.limitBytes) return;
        queue.shift();
        clearTimeout(next.timer);
        this.#add(next.bytes);
        next.resolve();
      }
    }
  }
}
