/**
 * The write rate limit: `ratePerSecond` tokens a second, at most `burst` saved up. A write
 * takes one; `take()` resolves when one is there. Waiters are served in order, so a burst of
 * changes drains at the configured rate instead of hammering the API server.
 */
export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const REAL_CLOCK: Clock = {
  now: () => performance.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

export class TokenBucket {
  readonly #rate: number;
  readonly #burst: number;
  readonly #clock: Clock;
  #tokens: number;
  #at: number;
  #queue: Promise<void> = Promise.resolve();

  constructor(ratePerSecond: number, burst: number, clock: Clock = REAL_CLOCK) {
    if (!(ratePerSecond > 0)) throw new RangeError('ratePerSecond must be above 0');
    if (!(burst >= 1)) throw new RangeError('burst must be at least 1');
    this.#rate = ratePerSecond;
    this.#burst = burst;
    this.#clock = clock;
    this.#tokens = burst;
    this.#at = clock.now();
  }

  #refill(): void {
    const now = this.#clock.now();
    this.#tokens = Math.min(this.#burst, this.#tokens + ((now - this.#at) / 1000) * this.#rate);
    this.#at = now;
  }

  /** Resolves once a token is taken. */
  take(): Promise<void> {
    const turn = this.#queue.then(async () => {
      this.#refill();
      while (this.#tokens < 1) {
        await this.#clock.sleep(Math.ceil(((1 - this.#tokens) / this.#rate) * 1000));
        this.#refill();
      }
      this.#tokens -= 1;
    });
    this.#queue = turn;
    return turn;
  }
}
