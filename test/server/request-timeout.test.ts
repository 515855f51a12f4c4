import assert from 'node:assert/strict';
import { test } from 'node:test';
import { defaultReviewConfig } from '../../src/config/load-config.ts';
import { buildServer } from '../../src/server/build-server.ts';
import { createServerMetrics } from '../../src/server/metrics.ts';
import { parseGoDuration } from '../../src/server/request-timeout.ts';
import { metricValue, podReview } from './support.ts';

test('Go durations as the apiserver writes ?timeout=', () => {
  assert.equal(parseGoDuration('10s'), 10);
  assert.equal(parseGoDuration('30s'), 30);
  assert.equal(parseGoDuration('1m0s'), 60);
  assert.equal(parseGoDuration('1m30s'), 90);
  assert.equal(parseGoDuration('250ms'), 0.25);
  assert.equal(parseGoDuration('1.5s'), 1.5);
  assert.equal(parseGoDuration('0s'), 0);
});

test('anything else is no duration', () => {
  for (const text of ['', '10', 's', '10 s', 'ten seconds', '-1s', '1d'])
    assert.equal(parseGoDuration(text), undefined, text);
});

test('a review that outlives ?timeout= is still answered, and counted', async () => {
  const metrics = createServerMetrics();
  const app = buildServer({ currentConfig: () => defaultReviewConfig(), metrics });
  const reply = await app.inject({
    method: 'POST',
    url: '/validate?timeout=0s',
    payload: podReview({ uid: 'late' }),
  });
  assert.equal(reply.statusCode, 200);
  assert.equal(reply.json<{ response: { uid: string } }>().response.uid, 'late');
  assert.equal(
    metricValue(await metrics.registry.metrics(), 'runtime_guard_errors_total', {
      type: 'deadline_exceeded',
    }),
    1,
  );

  const unreadable = await app.inject({
    method: 'POST',
    url: '/validate?timeout=soon',
    payload: podReview({ uid: 'whenever' }),
  });
  assert.equal(unreadable.statusCode, 200, 'a timeout it cannot read is ignored');
});
