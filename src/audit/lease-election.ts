/**
 * Leader election on a coordination.k8s.io Lease, as client-go's leaderelection does it, so two
 * replicas never both write reports: the holder renews the Lease every `retryPeriodMs`; another
 * candidate takes it over only when it has seen the same renewal for longer than the lease
 * duration (its own clock, never the holder's timestamps, so clock skew cannot hand it over
 * early). Every change goes through the Lease's resourceVersion: of two candidates writing at
 * once the API server lets one win. A leader that cannot renew within `renewDeadlineMs` stops
 * leading before its lease can expire elsewhere. On stop it releases the Lease, so the other
 * replica takes over at once instead of after the lease duration.
 *
 * @kubernetes/client-node has no leader election; the one npm package that offers it pulls in
 * another major version of that library.
 */
import type { Logger } from 'pino';
import { describeError, statusOf } from './report-writer.ts';

export interface LeaseRecord {
  holderIdentity: string | undefined;
  leaseDurationSeconds: number | undefined;
  acquireTime: Date | undefined;
  renewTime: Date | undefined;
  leaseTransitions: number;
  resourceVersion: string | undefined;
}

export interface LeaseClient {
  /** Throws with code 404 when there is no Lease. */
  get(): Promise<LeaseRecord>;
  /** Throws with code 409 when it exists already. */
  create(record: LeaseRecord): Promise<LeaseRecord>;
  /** Throws with code 409 when the resourceVersion is not the current one. */
  update(record: LeaseRecord): Promise<LeaseRecord>;
}

export interface LeaseElectionOptions {
  identity: string;
  leaseDurationMs?: number;
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
  onStartedLeading(): void;
  onStoppedLeading(): void;
  log: Logger;
  now?: () => number;
}

export class LeaseElection {
  readonly #client: LeaseClient;
  readonly #options: LeaseElectionOptions;
  readonly #leaseDurationMs: number;
  readonly #renewDeadlineMs: number;
  readonly #retryPeriodMs: number;
  readonly #now: () => number;
  #leading = false;
  #stopped = false;
  #timer: NodeJS.Timeout | undefined;
  /** The last record seen, and when (by our clock) it last changed. */
  #observed: { record: LeaseRecord; at: number } | undefined;
  #lastRenewal = 0;
  #running: Promise<void> = Promise.resolve();

  constructor(client: LeaseClient, options: LeaseElectionOptions) {
    this.#client = client;
    this.#options = options;
    this.#leaseDurationMs = options.leaseDurationMs ?? 15_000;
    this.#renewDeadlineMs = options.renewDeadlineMs ?? 10_000;
    this.#retryPeriodMs = options.retryPeriodMs ?? 2_000;
    this.#now = options.now ?? Date.now;
    if (this.#renewDeadlineMs >= this.#leaseDurationMs)
      throw new RangeError('the renew deadline must be shorter than the lease duration');
  }

  get leading(): boolean {
    return this.#leading;
  }

  get identity(): string {
    return this.#options.identity;
  }

  /** The holder last seen on the Lease (ourselves included). */
  get holder(): string | undefined {
    return this.#observed?.record.holderIdentity;
  }

  start(): void {
    this.#schedule(0);
  }

  #schedule(ms: number): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(() => {
      this.#running = this.#tick().finally(() => this.#schedule(this.#retryPeriodMs));
    }, ms);
    this.#timer.unref();
  }

  async #tick(): Promise<void> {
    let acquired = false;
    try {
      acquired = await this.#tryAcquireOrRenew();
    } catch (error) {
      this.#options.log.warn(
        { error: describeError(error) },
        'lease: cannot read or write the Lease',
      );
    }
    if (this.#stopped) return;
    if (acquired) {
      this.#lastRenewal = this.#now();
      if (!this.#leading) {
        this.#leading = true;
        this.#options.log.info(
          { identity: this.identity },
          'lease acquired: leading, reports are written by this replica',
        );
        this.#options.onStartedLeading();
      }
    } else if (this.#leading && this.#now() - this.#lastRenewal >= this.#renewDeadlineMs) {
      this.#lose('could not renew the Lease within the renew deadline');
    } else if (this.#leading && this.holder !== this.identity) {
      this.#lose(`the Lease is held by ${this.holder ?? 'nobody'}`);
    }
  }

  #lose(why: string): void {
    this.#leading = false;
    this.#options.log.warn(
      { identity: this.identity, why },
      'lease lost: no longer writing reports',
    );
    this.#options.onStoppedLeading();
  }

  #observe(record: LeaseRecord): void {
    const previous = this.#observed?.record;
    const changed =
      !previous ||
      previous.holderIdentity !== record.holderIdentity ||
      previous.renewTime?.getTime() !== record.renewTime?.getTime() ||
      previous.resourceVersion !== record.resourceVersion;
    if (changed) this.#observed = { record, at: this.#now() };
  }

  async #tryAcquireOrRenew(): Promise<boolean> {
    const now = new Date(this.#now());
    const mine = (previous: LeaseRecord | undefined): LeaseRecord => ({
      holderIdentity: this.identity,
      leaseDurationSeconds: Math.ceil(this.#leaseDurationMs / 1000),
      acquireTime: previous?.holderIdentity === this.identity ? (previous.acquireTime ?? now) : now,
      renewTime: now,
      leaseTransitions:
        (previous?.leaseTransitions ?? 0) +
        (previous && previous.holderIdentity !== this.identity ? 1 : 0),
      resourceVersion: previous?.resourceVersion,
    });
    let current: LeaseRecord;
    try {
      current = await this.#client.get();
    } catch (error) {
      if (statusOf(error) !== 404) throw error;
      try {
        this.#observe(await this.#client.create(mine(undefined)));
        return true;
      } catch (createError) {
        if (statusOf(createError) === 409) return false; // another replica created it first
        throw createError;
      }
    }
    this.#observe(current);
    const held = current.holderIdentity !== undefined && current.holderIdentity !== '';
    if (held && current.holderIdentity !== this.identity) {
      const durationMs = (current.leaseDurationSeconds ?? 15) * 1000;
      const seenAt = this.#observed?.at ?? this.#now();
      if (this.#now() - seenAt < durationMs) return false; // still valid
    }
    try {
      this.#observe(await this.#client.update(mine(current)));
      return true;
    } catch (error) {
      if (statusOf(error) === 409) return false; // changed under us: someone else renewed or took it
      throw error;
    }
  }

  /** Stops campaigning; when leading, gives the Lease up so the other replica need not wait. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#running.catch(() => undefined);
    if (!this.#leading) return;
    this.#leading = false;
    this.#options.onStoppedLeading();
    const record = this.#observed?.record;
    if (!record || record.holderIdentity !== this.identity) return;
    try {
      await this.#client.update({
        ...record,
        holderIdentity: '',
        leaseDurationSeconds: 1,
        renewTime: new Date(this.#now()),
      });
      this.#options.log.info({ identity: this.identity }, 'lease released');
    } catch (error) {
      this.#options.log.warn(
        { error: describeError(error) },
        'lease: could not release it; it expires by itself',
      );
    }
  }
}
