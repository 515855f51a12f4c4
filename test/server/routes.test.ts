// Routes and error replies through inject(): what a client sees for good and bad requests,
// what /metrics counts and what the log says, without a socket.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { InjectOptions } from 'fastify';
import { defaultReviewConfig } from '../../src/config/load-config.ts';
import { buildServer, type BuildServerOptions } from '../../src/server/build-server.ts';
import { createServerMetrics, ReviewFigures } from '../../src/server/metrics.ts';
import type { ReviewConfig } from '../../src/admission/settings.ts';
import { capturingLogger, metricValue, podReview, type AdmissionResponseBody } from './support.ts';

function server(options: Partial<BuildServerOptions> = {}) {
  const metrics = createServerMetrics();
  const app = buildServer({ currentConfig: () => defaultReviewConfig(), metrics, ...options });
  return { app, metrics };
}

describe('admission routes', () => {
  test('POST /validate denies a privileged pod in enforce mode, with the uid echoed', async () => {
    const { app } = server();
    const reply = await app.inject({
      method: 'POST',
      url: '/validate?timeout=10s',
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify(podReview({ uid: 'abc-1', privileged: true })),
    });
    assert.equal(reply.statusCode, 200);
    assert.match(reply.headers['content-type'] as string, /^application\/json/);
    const body = reply.json<AdmissionResponseBody>();
    assert.equal(body.kind, 'AdmissionReview');
    assert.equal(body.apiVersion, 'admission.k8s.io/v1');
    assert.equal(body.response.uid, 'abc-1');
    assert.equal(body.response.allowed, false);
    assert.match(body.response.status?.message ?? '', /privileged/);
  });

  test('POST /mutate allows and answers a JSON Patch', async () => {
    const { app } = server();
    const reply = await app.inject({
      method: 'POST',
      url: '/mutate?timeout=10s',
      payload: podReview({ uid: 'abc-2' }),
    });
    assert.equal(reply.statusCode, 200);
    const body = reply.json<AdmissionResponseBody>();
    assert.equal(body.response.allowed, true);
    const patch = JSON.parse(Buffer.from(body.response.patch ?? '', 'base64').toString('utf8')) as {
      op: string;
      path: string;
    }[];
    assert.ok(
      patch.some((op) => op.path.startsWith('/spec')),
      'the patch changes the pod spec',
    );
  });

  test('application/json with a charset parameter is accepted', async () => {
    const { app } = server();
    const reply = await app.inject({
      method: 'POST',
      url: '/validate',
      headers: { 'content-type': 'application/json; charset=utf-8' },
      payload: JSON.stringify(podReview()),
    });
    assert.equal(reply.statusCode, 200);
  });
});

describe('bad requests get a JSON body that says what is wrong', () => {
  const cases: {
    name: string;
    request: InjectOptions;
    status: number;
    message: RegExp;
    type: string;
  }[] = [
    {
      name: 'malformed JSON',
      request: {
        method: 'POST',
        url: '/validate',
        headers: { 'content-type': 'application/json' },
        payload: '{"apiVersion": "admission.k8s.io/v1",',
      },
      status: 400,
      message: /^the body is not valid JSON: .*position 37/,
      type: 'malformed_json',
    },
    {
      name: 'an empty JSON body',
      request: {
        method: 'POST',
        url: '/validate',
        headers: { 'content-type': 'application/json' },
        payload: '',
      },
      status: 400,
      message: /^the body is empty/,
      type: 'malformed_json',
    },
    {
      name: 'a text/plain body',
      request: {
        method: 'POST',
        url: '/validate',
        headers: { 'content-type': 'text/plain' },
        payload: 'hello',
      },
      status: 415,
      message: /^Content-Type must be application\/json, got "text\/plain"$/,
      type: 'unsupported_media_type',
    },
    {
      name: 'a body without Content-Type',
      request: { method: 'POST', url: '/mutate', payload: Buffer.from('{}') },
      status: 415,
      message: /^Content-Type must be application\/json, got no Content-Type header$/,
      type: 'unsupported_media_type',
    },
    {
      name: 'no body at all',
      request: { method: 'POST', url: '/validate' },
      status: 400,
      message: /^the request has no body/,
      type: 'invalid_review',
    },
    {
      name: 'an AdmissionReview without request',
      request: {
        method: 'POST',
        url: '/validate',
        payload: { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview' },
      },
      status: 400,
      message: /^not a usable AdmissionReview: request must be an object, got nothing$/,
      type: 'invalid_review',
    },
    {
      name: 'an AdmissionReview without uid',
      request: {
        method: 'POST',
        url: '/mutate',
        payload: {
          apiVersion: 'admission.k8s.io/v1',
          kind: 'AdmissionReview',
          request: { kind: { group: '', version: 'v1', kind: 'Pod' }, operation: 'CREATE' },
        },
      },
      status: 400,
      message: /^not a usable AdmissionReview: request\.uid must be a non-empty string$/,
      type: 'invalid_review',
    },
    {
      name: 'a JSON array',
      request: {
        method: 'POST',
        url: '/validate',
        headers: { 'content-type': 'application/json' },
        payload: '[]',
      },
      status: 400,
      message:
        /^not a usable AdmissionReview: the body must be an AdmissionReview object, got an array$/,
      type: 'invalid_review',
    },
    {
      name: 'an unknown path',
      request: { method: 'GET', url: '/webhook' },
      status: 404,
      message: /^no route for GET \/webhook; this server answers .*POST \/validate, POST \/mutate/,
      type: 'not_found',
    },
    {
      name: 'GET on an admission path',
      request: { method: 'GET', url: '/validate' },
      status: 405,
      message: /^\/validate answers POST, not GET$/,
      type: 'method_not_allowed',
    },
  ];

  for (const { name, request, status, message, type } of cases) {
    test(`${name} → ${status}`, async () => {
      const { app, metrics } = server();
      const reply = await app.inject(request);
      assert.equal(reply.statusCode, status);
      assert.match(reply.headers['content-type'] as string, /^application\/json/);
      const body = reply.json<{ error: string; message: string }>();
      assert.deepEqual(Object.keys(body).sort(), ['error', 'message']);
      assert.match(body.message, message);
      const text = await metrics.registry.metrics();
      assert.equal(metricValue(text, 'runtime_guard_errors_total', { type }), 1);
    });
  }

  test('a body over the limit → 413 naming the limit', async () => {
    const { app } = server({ bodyLimitBytes: 4096 });
    const reply = await app.inject({
      method: 'POST',
      url: '/validate',
      payload: podReview({ paddingBytes: 8192 }),
    });
    assert.equal(reply.statusCode, 413);
    assert.deepEqual(reply.json(), {
      error: 'Payload Too Large',
      message:
        'the body is larger than the limit of 4096 bytes (server.bodyLimitBytes in the configuration)',
    });
  });

  test("the default limit admits an UPDATE of two objects at etcd's limit, written as JSON", async () => {
    // etcd stores objects up to 1.5 MiB; a pod's JSON is up to 1.55 times its protobuf.
    const { app } = server();
    const reply = await app.inject({
      method: 'POST',
      url: '/validate',
      payload: podReview({
        operation: 'UPDATE',
        paddingBytes: Math.floor(1.55 * 1.5 * 1024 * 1024),
      }),
    });
    assert.equal(reply.statusCode, 200);
  });

  test('an internal error answers 500 with a message, and the next review is answered', async () => {
    // Settings missing a field make the review throw inside src/admission: a bug, as far as the server can tell.
    const valid = defaultReviewConfig();
    let config = {
      ...valid,
      admission: { ...valid.admission, exemptions: undefined },
    } as unknown as ReviewConfig;
    const log = capturingLogger();
    const { app, metrics } = server({ currentConfig: () => config, logger: log.logger });
    const broken = await app.inject({ method: 'POST', url: '/validate', payload: podReview() });
    assert.equal(broken.statusCode, 500);
    const body = broken.json<{ error: string; message: string }>();
    assert.equal(body.error, 'Internal Server Error');
    assert.match(
      body.message,
      /^runtime-guard failed while answering POST \/validate \(request req-\w+\): .+; the server log has the details$/,
    );
    assert.ok(log.lines().some((line) => line['msg'] === 'request failed' && line['level'] === 50));
    assert.equal(
      metricValue(await metrics.registry.metrics(), 'runtime_guard_errors_total', {
        type: 'internal',
      }),
      1,
    );

    config = valid;
    const next = await app.inject({ method: 'POST', url: '/validate', payload: podReview() });
    assert.equal(next.statusCode, 200);
  });
});

describe('health', () => {
  test('GET /healthz answers while a readiness check fails', async () => {
    const { app } = server({
      readiness: [
        { name: 'namespaceCache', check: () => ({ ok: false, detail: 'not synced yet' }) },
      ],
    });
    const alive = await app.inject({ method: 'GET', url: '/healthz' });
    assert.equal(alive.statusCode, 200);
    const ready = await app.inject({ method: 'GET', url: '/readyz' });
    assert.equal(ready.statusCode, 503);
    assert.deepEqual(ready.json(), {
      status: 'not ready',
      checks: { namespaceCache: { ok: false, detail: 'not synced yet' } },
    });
  });

  test('GET /readyz is 200 when every check passes', async () => {
    const { app } = server({
      readiness: [{ name: 'certificate', check: () => ({ ok: true, detail: 'loaded' }) }],
    });
    const ready = await app.inject({ method: 'GET', url: '/readyz' });
    assert.equal(ready.statusCode, 200);
    assert.equal(ready.json<{ status: string }>().status, 'ready');
  });
});

describe('metrics and logs', () => {
  test('reviews are counted by endpoint, kind, operation, decision and mode; violations by rule', async () => {
    const { app } = server();
    await app.inject({
      method: 'POST',
      url: '/validate',
      payload: podReview({ privileged: true }),
    });
    await app.inject({
      method: 'POST',
      url: '/validate',
      payload: podReview({ privileged: true }),
    });
    await app.inject({
      method: 'POST',
      url: '/mutate',
      payload: podReview({ operation: 'DELETE' }),
    });
    const metrics = await app.inject({ method: 'GET', url: '/metrics' });
    assert.equal(metrics.statusCode, 200);
    assert.match(metrics.headers['content-type'] as string, /^text\/plain; version=0\.0\.4/);
    const text = metrics.body;
    const denied = {
      endpoint: 'validate',
      kind: 'Pod',
      operation: 'CREATE',
      decision: 'denied',
      mode: 'enforce',
    };
    assert.equal(metricValue(text, 'runtime_guard_admission_reviews_total', denied), 2);
    assert.equal(
      metricValue(text, 'runtime_guard_admission_reviews_total', {
        endpoint: 'mutate',
        operation: 'DELETE',
        decision: 'skipped',
      }),
      1,
    );
    assert.equal(
      metricValue(text, 'runtime_guard_policy_violations_total', { rule: 'privileged' }),
      2,
    );
    assert.equal(
      metricValue(text, 'runtime_guard_admission_review_duration_seconds_count', {
        endpoint: 'validate',
      }),
      2,
    );
    assert.equal(
      metricValue(text, 'runtime_guard_admission_requests_in_flight', { endpoint: 'validate' }),
      0,
    );
  });

  test('counts recorded in batches add up exactly, across a batch and a scrape in the middle', async () => {
    const metrics = createServerMetrics();
    const figures = metrics.reviewFigures;
    const labels = (decision: string) => ({
      endpoint: 'validate',
      kind: 'Pod',
      operation: 'CREATE',
      decision,
      mode: 'enforce',
    });
    const total = ReviewFigures.BATCH * 2 + 7;
    let mid = '';
    for (let i = 0; i < total; i++) {
      figures.requestStarted('validate');
      figures.reviewed(
        labels(i % 3 === 0 ? 'denied' : 'allowed'),
        i % 3 === 0 ? [{ rule: 'privileged' }] : [],
      );
      figures.answered('validate', 0.0003);
      // Read while request 100 (and 5, never ended) is in flight.
      if (i === 100) mid = await metrics.registry.metrics();
      if (i !== 5) figures.requestEnded('validate');
    }
    figures.readBytesInFlightFrom(() => 4096);
    assert.equal(metricValue(mid, 'runtime_guard_admission_reviews_total', labels('allowed')), 67);
    assert.equal(
      metricValue(mid, 'runtime_guard_admission_requests_in_flight', { endpoint: 'validate' }),
      2,
    );
    const text = await metrics.registry.metrics();
    const denied = Math.ceil(total / 3);
    assert.equal(
      metricValue(text, 'runtime_guard_admission_reviews_total', labels('denied')),
      denied,
    );
    assert.equal(
      metricValue(text, 'runtime_guard_admission_reviews_total', labels('allowed')),
      total - denied,
    );
    assert.equal(
      metricValue(text, 'runtime_guard_policy_violations_total', { rule: 'privileged' }),
      denied,
    );
    assert.equal(
      metricValue(text, 'runtime_guard_admission_review_duration_seconds_bucket', {
        le: '0.0005',
        endpoint: 'validate',
      }),
      total,
    );
    assert.equal(
      metricValue(text, 'runtime_guard_admission_requests_in_flight', { endpoint: 'validate' }),
      1,
    );
    assert.equal(metricValue(text, 'runtime_guard_admission_bytes_in_flight'), 4096);
  });

  test('the latency histogram resolves sub-millisecond times and has the apiserver buckets', async () => {
    const { app } = server();
    await app.inject({ method: 'POST', url: '/validate', payload: podReview() });
    const text = (await app.inject({ method: 'GET', url: '/metrics' })).body;
    const bounds = [
      ...text.matchAll(
        /runtime_guard_admission_review_duration_seconds_bucket\{le="([^"]+)",endpoint="validate"\}/g,
      ),
    ].map((m) => m[1]);
    for (const bound of ['0.0001', '0.00025', '0.0005', '0.001', '0.005', '0.025', '0.1', '+Inf'])
      assert.ok(bounds.includes(bound), `bucket le=${bound}`);
  });

  test('one log line per decision, with the facts and without the object', async () => {
    const log = capturingLogger();
    const { app } = server({ logger: log.logger });
    const secret = 'tok-9f8e7d6c5b4a';
    await app.inject({
      method: 'POST',
      url: '/validate',
      payload: podReview({ uid: 'uid-log', privileged: true, envValue: secret }),
    });
    const decisions = log.lines().filter((line) => line['msg'] === 'admission review');
    assert.equal(decisions.length, 1);
    const [line] = decisions;
    assert.deepEqual(
      {
        uid: line?.['uid'],
        kind: line?.['kind'],
        object: line?.['object'],
        operation: line?.['operation'],
        user: line?.['user'],
        decision: line?.['decision'],
      },
      {
        uid: 'uid-log',
        kind: 'Pod',
        object: 'demo/web',
        operation: 'CREATE',
        user: 'jane@example.com',
        decision: 'denied',
      },
    );
    assert.ok((line?.['rules'] as string[]).includes('privileged'));
    assert.equal(typeof line?.['durationMs'], 'number');
    assert.ok(!log.text().includes(secret), 'the env value never reaches the log');
  });
});
