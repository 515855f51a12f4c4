/**
 * The writer writes only what changed, through the rate limit; the election hands the Lease to
 * one candidate at a time and over to another only once the holder stops renewing. Against an
 * in-memory API that keeps resourceVersions as the API server does (a stale one is a 409); the
 * real API server is the end-to-end test's (test/e2e/audit.test.ts).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import { buildReport, type ObjectReference } from '../../src/audit/build-report.ts';
import {
  LeaseElection,
  type LeaseClient,
  type LeaseRecord,
} from '../../src/audit/lease-election.ts';
import { reportApi } from '../../src/audit/report-api.ts';
import { ReportWriter, type ReportClient } from '../../src/audit/report-writer.ts';
import { TokenBucket, type Clock } from '../../src/audit/token-bucket.ts';
import { WorkQueue } from '../../src/audit/work-queue.ts';
import { configFromObject } from '../../src/config/load-config.ts';
import type { JsonObject } from '../../src/json/values.ts';

const log = pino({ level: 'silent' });
const api = reportApi('openreports.io/v1alpha1');
const policy = configFromObject({}).policy;

class ApiError extends Error {
  readonly code: number;
  constructor(code: number) {
    super(`HTTP ${code}`);
    this.code = code;
  }
}

/** Reports by name, with resourceVersions checked on replace. */
class FakeReports implements ReportClient {
  readonly objects = new Map<string, JsonObject>();
  calls: string[] = [];
  #rv = 0;
  #stamp(body: JsonObject): JsonObject {
    const stored = structuredClone({
      ...body,
      metadata: { ...(body.metadata as JsonObject), resourceVersion: String(++this.#rv) },
    });
    this.objects.set(String((body.metadata as JsonObject).name), stored);
    return stored;
  }
  async create(_kind: unknown, _ns: unknown, body: JsonObject) {
    this.calls.push('create');
    if (this.objects.has(String((body.metadata as JsonObject).name))) throw new ApiError(409);
    return this.#stamp(body);
  }
  async replace(_kind: unknown, _ns: unknown, name: string, body: JsonObject) {
    this.calls.push('replace');
    const current = this.objects.get(name);
    if (!current) throw new ApiError(404);
    const rv = (body.metadata as JsonObject).resourceVersion;
    if (rv !== (current.metadata as JsonObject).resourceVersion) throw new ApiError(409);
    return this.#stamp(body);
  }
  async get(_kind: unknown, _ns: unknown, name: string) {
    this.calls.push('get');
    const current = this.objects.get(name);
    if (!current) throw new ApiError(404);
    return current;
  }
  async delete(_kind: unknown, _ns: unknown, name: string) {
    this.calls.push('delete');
    if (!this.objects.delete(name)) throw new ApiError(404);
  }
}

const scope: ObjectReference = {
  apiVersion: 'v1',
  kind: 'Pod',
  namespace: 'shop',
  name: 'web',
  uid: 'u-1',
};
const workload = (status: 'compliant' | 'exempt') => ({
  resource: { apiVersion: 'v1', kind: 'Pod', namespace: 'shop', name: 'web' },
  uid: 'u-1',
  status,
  reason: status === 'exempt' ? 'namespace "shop" is exempt' : null,
  pods: 1,
  findings: 0,
  patch: null,
  kubectl: { patch: null, restart: null },
});
const report = (status: 'compliant' | 'exempt') =>
  buildReport(scope, workload(status), [], { api, policy, now: new Date() });

/** A clock that only moves when slept on. */
function fakeClock(): Clock & { slept: number } {
  let now = 0;
  const clock = {
    slept: 0,
    now: () => now,
    sleep: async (ms: number) => {
      now += ms;
      clock.slept += ms;
    },
  };
  return clock;
}

describe('ReportWriter', () => {
  it('creates, skips an unchanged report, updates a changed one, deletes', async () => {
    const client = new FakeReports();
    const writer = new ReportWriter(api, client, new TokenBucket(100, 100), log);
    assert.equal(await writer.write(report('compliant')), 'created');
    assert.equal(await writer.write(report('compliant')), 'unchanged');
    assert.equal(await writer.write(report('exempt')), 'updated');
    assert.deepEqual(client.calls, ['create', 'replace']);
    assert.equal(await writer.delete('shop', 'runtime-guard-u-1'), 'deleted');
    assert.equal(await writer.delete('shop', 'runtime-guard-u-1'), 'absent');
    assert.equal(client.objects.size, 0);
  });

  it('after a restart, a report already in the cluster with the same hash is not written', async () => {
    const client = new FakeReports();
    await new ReportWriter(api, client, new TokenBucket(100, 100), log).write(report('compliant'));
    client.calls = [];
    const restarted = new ReportWriter(api, client, new TokenBucket(100, 100), log);
    for (const object of client.objects.values()) restarted.observe(object, true);
    assert.equal(await restarted.write(report('compliant')), 'unchanged');
    assert.deepEqual(client.calls, []);
  });

  it('a report created meanwhile (409) or changed under it (stale version) is read and replaced', async () => {
    const client = new FakeReports();
    await new ReportWriter(api, client, new TokenBucket(100, 100), log).write(report('compliant'));
    const unaware = new ReportWriter(api, client, new TokenBucket(100, 100), log);
    assert.equal(await unaware.write(report('exempt')), 'updated');
    const stale = new ReportWriter(api, client, new TokenBucket(100, 100), log);
    stale.observe(
      {
        ...client.objects.get('runtime-guard-u-1'),
        metadata: { name: 'runtime-guard-u-1', namespace: 'shop', resourceVersion: '1' },
      },
      true,
    );
    assert.equal(await stale.write(report('compliant')), 'updated');
    assert.equal(
      (client.objects.get('runtime-guard-u-1')?.results as JsonObject[])[0]?.result,
      'pass',
    );
  });
});

describe('TokenBucket', () => {
  it('lets the burst through, then one write per 1/rate seconds', async () => {
    const clock = fakeClock();
    const bucket = new TokenBucket(5, 3, clock);
    for (let i = 0; i < 3; i++) await bucket.take();
    assert.equal(clock.slept, 0);
    for (let i = 0; i < 10; i++) await bucket.take();
    assert.ok(
      clock.slept >= 2000 && clock.slept <= 2010,
      `slept ${clock.slept} ms for 10 writes at 5/s`,
    );
  });
});

describe('WorkQueue', () => {
  it('hands a key out only once it has settled, a burst of adds as one', async () => {
    const queue = new WorkQueue({ settleMs: 200 });
    const started = Date.now();
    for (let i = 0; i < 50; i++) queue.add('web');
    assert.equal(queue.depth, 1);
    assert.equal(await queue.next(), 'web');
    assert.ok(Date.now() - started >= 190, `handed out after ${Date.now() - started} ms`);
    queue.done('web');
    queue.close();
  });

  it('holds a key once, and queues again one that changed while worked on', async () => {
    const queue = new WorkQueue();
    queue.add('a');
    queue.add('a');
    queue.add('b');
    assert.equal(queue.depth, 2);
    const first = await queue.next();
    assert.equal(first, 'a');
    queue.add('a'); // changed while being worked on
    assert.equal(await queue.next(), 'b');
    queue.done('b');
    queue.done('a');
    assert.equal(await queue.next(), 'a');
    queue.close();
    assert.equal(await queue.next(), undefined);
  });
});

/** One Lease, resourceVersions as the API server keeps them. */
class FakeLease implements LeaseClient {
  record: LeaseRecord | undefined;
  #rv = 0;
  async get() {
    if (!this.record) throw new ApiError(404);
    return { ...this.record };
  }
  async create(record: LeaseRecord) {
    if (this.record) throw new ApiError(409);
    this.record = { ...record, resourceVersion: String(++this.#rv) };
    return { ...this.record };
  }
  async update(record: LeaseRecord) {
    if (record.resourceVersion !== this.record?.resourceVersion) throw new ApiError(409);
    this.record = { ...record, resourceVersion: String(++this.#rv) };
    return { ...this.record };
  }
}

describe('LeaseElection', () => {
  const timings = { leaseDurationMs: 600, renewDeadlineMs: 400, retryPeriodMs: 50 };
  const until = async (what: string, ok: () => boolean) => {
    const deadline = Date.now() + 5000;
    while (!ok()) {
      if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  };

  it('one of two candidates leads; the other takes over when it stops, and leads alone', async () => {
    const lease = new FakeLease();
    const events: string[] = [];
    const candidate = (identity: string) =>
      new LeaseElection(lease, {
        identity,
        ...timings,
        log,
        onStartedLeading: () => events.push(`${identity} leads`),
        onStoppedLeading: () => events.push(`${identity} stops`),
      });
    const a = candidate('a');
    const b = candidate('b');
    a.start();
    b.start();
    await until('a leader', () => a.leading || b.leading);
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(Number(a.leading) + Number(b.leading), 1, 'exactly one leads');
    const [first, second] = a.leading ? [a, b] : [b, a];
    await first.stop();
    assert.equal(lease.record?.holderIdentity, '', 'released on stop');
    await until('the other to lead', () => second.leading);
    assert.equal(lease.record?.holderIdentity, second.identity);
    assert.equal(lease.record?.leaseTransitions, 1);
    await second.stop();
    assert.deepEqual(events, [
      `${first.identity} leads`,
      `${first.identity} stops`,
      `${second.identity} leads`,
      `${second.identity} stops`,
    ]);
  });

  it('a holder that stops renewing without releasing loses the Lease only after its duration', async () => {
    const lease = new FakeLease();
    const now = Date.now();
    lease.record = {
      holderIdentity: 'crashed',
      leaseDurationSeconds: 1,
      acquireTime: new Date(now),
      renewTime: new Date(now),
      leaseTransitions: 0,
      resourceVersion: '7',
    };
    const b = new LeaseElection(lease, {
      identity: 'b',
      ...timings,
      log,
      onStartedLeading() {},
      onStoppedLeading() {},
    });
    const started = Date.now();
    b.start();
    await until('b to lead', () => b.leading);
    assert.ok(
      Date.now() - started >= 1000,
      `took over after ${Date.now() - started} ms, not before the 1 s lease ran out`,
    );
    await b.stop();
  });
});
