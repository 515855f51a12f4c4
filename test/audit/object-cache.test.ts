/**
 * The informer: a list page by page, then a watch from the list's resourceVersion; events kept
 * in the cache and passed on; a 410 Gone answered by a fresh list diffed against the cache (a
 * deletion missed while away is reported); bookmarks move the resourceVersion; what no report
 * reads is dropped. Against a fake API server, to reach the cases a real one rarely shows.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import type { KubeApi } from '../../src/kube/api-client.ts';
import { PODS } from '../../src/kube/resources.ts';
import { ObjectCache, pruneObject, type WatchStarter } from '../../src/audit/object-cache.ts';
import type { JsonObject } from '../../src/json/values.ts';

const log = pino({ level: 'silent' });

const pod = (name: string, rv: string, extra: JsonObject = {}): JsonObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: {
    name,
    namespace: 'shop',
    uid: `uid-${name}`,
    resourceVersion: rv,
    managedFields: [{ manager: 'kubectl' }],
    annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{"big":true}', keep: 'me' },
  },
  spec: { containers: [{ name: 'app', image: 'nginx' }] },
  status: { phase: 'Running', conditions: [{ type: 'Ready' }] },
  ...extra,
});

interface Watch {
  query: Record<string, unknown>;
  emit(type: string, object: unknown): void;
  end(error?: unknown): void;
}

class FakeServer {
  lists: { items: JsonObject[]; rv: string }[] = [];
  listCalls: Record<string, unknown>[] = [];
  watches: Watch[] = [];
  readonly api: KubeApi = {
    server: 'https://fake',
    calls: 0,
    get: async (_path, query = {}) => {
      this.listCalls.push(query);
      const list = this.lists[0];
      if (!list) throw new Error('no list');
      // Two items a page, with a continue token.
      const start = query.continue ? Number(query.continue) : 0;
      const items = list.items.slice(start, start + 2);
      const more = start + 2 < list.items.length;
      if (!more) this.lists.shift();
      return {
        items,
        metadata: { resourceVersion: list.rv, ...(more ? { continue: String(start + 2) } : {}) },
      };
    },
  };
  readonly watcher: WatchStarter = {
    watch: async (_path, query, onEvent, done) => {
      this.watches.push({ query, emit: onEvent, end: (error) => done(error ?? null) });
      return { abort() {} };
    },
  };
}

const until = async (what: string, ok: () => boolean) => {
  const deadline = Date.now() + 5000;
  while (!ok()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
};

describe('ObjectCache', () => {
  it('lists every page, watches from the list, keeps events, relists after 410 Gone', async () => {
    const server = new FakeServer();
    server.lists.push({ items: [pod('a', '1'), pod('b', '2'), pod('c', '3')], rv: '10' });
    const events: string[] = [];
    const cache = new ObjectCache(server.api, server.watcher, PODS, {
      log,
      handlers: {
        onAdd: (e) => events.push(`add ${e.key}`),
        onUpdate: (e) => events.push(`update ${e.key}`),
        onDelete: (e) => events.push(`delete ${e.key}`),
      },
    });
    cache.start();
    await cache.whenSynced();
    assert.equal(cache.size, 3);
    assert.deepEqual(
      server.listCalls.map((q) => q.continue),
      [undefined, '2'],
    );
    await until('a watch', () => server.watches.length === 1);
    const first = server.watches[0];
    assert.equal(first?.query.resourceVersion, '10');
    assert.equal(first?.query.allowWatchBookmarks, true);

    first?.emit('MODIFIED', pod('a', '11'));
    first?.emit('MODIFIED', pod('a', '11')); // the same version again: no update
    first?.emit('DELETED', pod('b', '12'));
    first?.emit('BOOKMARK', { metadata: { resourceVersion: '15' } });
    assert.deepEqual(events.splice(0), [
      'add shop/a',
      'add shop/b',
      'add shop/c',
      'update shop/a',
      'delete shop/b',
    ]);

    // The watch ends after a while; it resumes from the bookmark.
    await new Promise((resolve) => setTimeout(resolve, 1100));
    first?.end();
    await until('a second watch', () => server.watches.length === 2);
    assert.equal(server.watches[1]?.query.resourceVersion, '15');

    // Too old: 410. The fresh list lacks c (deleted while away) and has d.
    server.lists.push({ items: [pod('a', '11'), pod('d', '20')], rv: '30' });
    await new Promise((resolve) => setTimeout(resolve, 1100));
    server.watches[1]?.emit('ERROR', { kind: 'Status', code: 410 });
    server.watches[1]?.end();
    await until('a third watch', () => server.watches.length === 3);
    assert.equal(server.watches[2]?.query.resourceVersion, '30');
    assert.deepEqual(events, ['delete shop/c', 'add shop/d']);
    assert.deepEqual([...cache.values()].map((e) => e.key).sort(), ['shop/a', 'shop/d']);
    cache.stop();
  });

  it('drops managedFields, the last-applied annotation and all status but a pod phase', () => {
    const kept = pruneObject(pod('a', '1'), true)?.object as JsonObject;
    const metadata = kept.metadata as JsonObject;
    assert.equal(metadata.managedFields, undefined);
    assert.deepEqual(metadata.annotations, { keep: 'me' });
    assert.deepEqual(kept.status, { phase: 'Running' });
    assert.deepEqual(kept.spec, pod('a', '1').spec);
    const deployment = pruneObject({ ...pod('d', '1'), kind: 'Deployment' }, false)
      ?.object as JsonObject;
    assert.equal(deployment.status, undefined);
    const report = pruneObject(pod('r', '1'), false, true)?.object as JsonObject;
    assert.deepEqual(Object.keys(report), ['apiVersion', 'kind', 'metadata']);
    assert.equal(pruneObject({ metadata: { name: 'no-uid' } }, true), undefined);
  });

  it('a failing list is retried with backoff and named in lastError', async () => {
    const server = new FakeServer();
    const cache = new ObjectCache(server.api, server.watcher, PODS, { log, handlers: {} });
    cache.start();
    await until('an error', () => cache.lastError !== undefined);
    assert.equal(cache.synced, false);
    server.lists.push({ items: [pod('a', '1')], rv: '5' });
    await until('the retry to list', () => cache.synced);
    cache.stop();
  });
});
