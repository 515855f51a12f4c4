// An adversarial review of the HTTP / AdmissionReview shell: odd bodies, odd bytes on the
// wire, odd clients. Two kinds of test live here:
// - regression guards for what already holds and no other test covers;
// - one test per problem the review found, each of which failed before its fix (each says what
//   should happen).
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { connect as netConnect, type Socket } from 'node:net';
import { gzipSync } from 'node:zlib';
import { describe, test, type TestContext } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { defaultReviewConfig, reviewConfigFromObject } from '../../src/config/load-config.ts';
import {
  buildServer,
  IDLE_CONNECTION_TIMEOUT_MS,
  type BuildServerOptions,
} from '../../src/server/build-server.ts';
import { createServerMetrics, type ServerMetrics } from '../../src/server/metrics.ts';
import {
  apiserverAgent,
  capturingLogger,
  httpsCall,
  metricValue,
  podReview,
  startServe,
  waitFor,
  type AdmissionResponseBody,
} from './support.ts';

type Json = Record<string, unknown>;

function server(options: Partial<BuildServerOptions> = {}): {
  app: FastifyInstance;
  metrics: ServerMetrics;
} {
  const metrics = createServerMetrics();
  const app = buildServer({ currentConfig: () => defaultReviewConfig(), metrics, ...options });
  return { app, metrics };
}

async function post(app: FastifyInstance, payload: string | Buffer, extra: Json = {}) {
  return app.inject({
    method: 'POST',
    url: (extra['url'] as string | undefined) ?? '/validate',
    headers: { 'content-type': 'application/json', ...((extra['headers'] as Json) ?? {}) },
    payload,
  });
}

function review(object: unknown, request: Json = {}): Json {
  return {
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid: 'adv-1',
      kind: { group: '', version: 'v1', kind: 'Pod' },
      operation: 'CREATE',
      namespace: 'team-a',
      userInfo: { username: 'mallory' },
      object,
      ...request,
    },
  };
}

/** A privileged pod: every variant below must still be denied by /validate. */
const privilegedReview = (): Json => podReview({ privileged: true });

// ---------------------------------------------------------------------------------------------
// A plain-HTTP listener on the same app, to put exact bytes on the wire. The HTTP parser and
// Fastify's connection handling are the same as over TLS; inject() bypasses both.

async function listening(t: TestContext, options: Partial<BuildServerOptions> = {}) {
  const built = server(options);
  await built.app.listen({ host: '127.0.0.1', port: 0 });
  t.after(() => built.app.close());
  const address = built.app.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return { ...built, port };
}

/** One raw connection: write bytes, read whatever comes back until the server closes or goes quiet. */
async function rawConnection(port: number): Promise<Socket> {
  const socket = netConnect(port, '127.0.0.1');
  await once(socket, 'connect');
  socket.on('error', () => undefined);
  return socket;
}

interface RawResponse {
  status: string;
  head: string;
  body: string;
}

/** Splits what came back into responses (a 100 Continue counts as one, with no body). */
function splitResponses(text: string): RawResponse[] {
  const responses: RawResponse[] = [];
  let rest = text;
  for (;;) {
    const end = rest.indexOf('\r\n\r\n');
    if (end < 0) return responses;
    const head = rest.slice(0, end);
    const length = Number(/content-length: *(\d+)/i.exec(head)?.[1] ?? 0);
    if (rest.length < end + 4 + length) return responses;
    const status = /^HTTP\/1\.[01] (\d{3})/.exec(head)?.[1] ?? '?';
    responses.push({ status, head, body: rest.slice(end + 4, end + 4 + length) });
    rest = rest.slice(end + 4 + length);
  }
}

/** Reads until `count` complete responses (besides 100 Continue) arrived or the socket closed. */
function readResponses(
  socket: Socket,
  count: number,
): Promise<{ responses: RawResponse[]; closed: boolean }> {
  return new Promise((resolveRead) => {
    let text = '';
    const finish = (closed: boolean) => {
      socket.off('data', onData);
      resolveRead({ responses: splitResponses(text), closed });
    };
    const onData = (chunk: Buffer) => {
      text += chunk.toString('latin1');
      if (splitResponses(text).filter((r) => r.status !== '100').length >= count) finish(false);
    };
    socket.on('data', onData);
    socket.once('close', () => finish(true));
  });
}

const statuses = (responses: RawResponse[]) => responses.map((response) => response.status);

function requestBytes(
  body: string,
  head: Record<string, string> = {},
  line = 'POST /validate HTTP/1.1',
) {
  const headers = {
    host: 'runtime-guard',
    'content-type': 'application/json',
    'content-length': String(Buffer.byteLength(body)),
    ...head,
  };
  const lines = Object.entries(headers)
    .filter(([, value]) => value !== '')
    .map(([name, value]) => `${name}: ${value}`);
  return `${line}\r\n${lines.join('\r\n')}\r\n\r\n${body}`;
}

// =============================================================================================
// Regression guards: odd input that is handled well today and tested nowhere else.

describe('guard: bodies and envelopes that must not change the decision', () => {
  test('Content-Type is matched as a media type: case and parameters do not matter, look-alikes are refused', async () => {
    const { app } = server();
    const body = JSON.stringify(privilegedReview());
    for (const type of [
      'APPLICATION/JSON',
      'application/json;',
      'Application/Json; charset=UTF-8',
    ]) {
      const reply = await post(app, body, { headers: { 'content-type': type } });
      assert.equal(reply.statusCode, 200, type);
      assert.equal(reply.json<AdmissionResponseBody>().response.allowed, false, type);
    }
    for (const type of [
      'application/json-patch+json',
      'application/jsonp',
      'text/json',
      'application/vnd.kubernetes.protobuf',
      'application/json, text/plain',
    ]) {
      const reply = await post(app, body, { headers: { 'content-type': type } });
      assert.equal(reply.statusCode, 415, type);
      assert.equal(
        reply.json<{ message: string }>().message,
        `Content-Type must be application/json, got ${JSON.stringify(type)}`,
      );
    }
  });

  test('__proto__ and constructor keys anywhere in the body pollute nothing and are denied like the pod they ride on', async () => {
    const { app } = server();
    const base = JSON.stringify(privilegedReview());
    const variants = [
      base.replace('{', '{"__proto__":{"apiVersion":"admission.k8s.io/v1","allowed":true},'),
      base.replace(
        '"request":{',
        '"request":{"__proto__":{"subResource":"status","operation":"DELETE"},',
      ),
      base.replace(
        '"spec":{',
        '"spec":{"__proto__":{"containers":[]},"constructor":{"prototype":{"x":1}},',
      ),
      base.replace('"metadata":{', '"metadata":{"__proto__":{"namespace":"kube-system"},'),
      base.replace('"securityContext":{', '"securityContext":{"__proto__":{"privileged":false},'),
    ];
    for (const [index, body] of variants.entries()) {
      const reply = await post(app, body);
      assert.equal(reply.statusCode, 200, `variant ${index}`);
      assert.equal(reply.json<AdmissionResponseBody>().response.allowed, false, `variant ${index}`);
    }
    const probe: Record<string, unknown> = {};
    for (const key of ['allowed', 'subResource', 'operation', 'containers', 'privileged', 'x'])
      assert.equal(probe[key], undefined, `Object.prototype.${key} stays unset`);
  });

  test('duplicate keys: the last one counts, as in the apiserver (Go), so a decoy first value hides nothing', async () => {
    const { app } = server();
    const body = JSON.stringify(privilegedReview()).replace(
      '"privileged":true',
      '"privileged":false,"privileged":true',
    );
    const reply = await post(app, body);
    assert.equal(reply.json<AdmissionResponseBody>().response.allowed, false);
  });

  test('a million nested arrays is a 400, not a crashed parser, and the next review is answered', async () => {
    const { app } = server();
    const depth = 1_000_000;
    const reply = await post(app, '['.repeat(depth) + ']'.repeat(depth));
    assert.equal(reply.statusCode, 400);
    assert.match(
      reply.json<{ message: string }>().message,
      /^the body nests deeper than 10002 levels/,
    );
    const next = await post(app, JSON.stringify(privilegedReview()));
    assert.equal(next.statusCode, 200);
  });

  test('path look-alikes get a JSON 404, never a review', async () => {
    const { app } = server();
    for (const url of ['/validate/', '//validate', '/VALIDATE', '/validate%00', '/validate;x']) {
      const reply = await post(app, JSON.stringify(privilegedReview()), { url });
      assert.equal(reply.statusCode, 404, url);
      assert.match(reply.json<{ message: string }>().message, /^no route for POST /, url);
    }
  });
});

describe('guard: on the wire', () => {
  test('after a 415, 404 or 405 the same keep-alive connection answers the next review', async (t) => {
    const { port } = await listening(t);
    const review = JSON.stringify(privilegedReview());
    const socket = await rawConnection(port);
    t.after(() => socket.destroy());
    const answers = readResponses(socket, 4);
    socket.write(
      requestBytes(review, { 'content-type': 'text/plain' }) +
        requestBytes(review, {}, 'POST /nowhere HTTP/1.1') +
        requestBytes(review, {}, 'PUT /validate HTTP/1.1') +
        requestBytes(review),
    );
    const { responses, closed } = await answers;
    assert.equal(closed, false);
    assert.deepEqual(statuses(responses), ['415', '404', '405', '200']);
    for (const response of responses.slice(0, 3))
      assert.deepEqual(Object.keys(JSON.parse(response.body) as Json).sort(), ['error', 'message']);
    assert.equal(JSON.parse(responses[3]?.body ?? '{}').response.allowed, false);
  });

  test('after a 400 or 413 the server closes the connection, and a new one is answered', async (t) => {
    const { port } = await listening(t, { bodyLimitBytes: 4096 });
    for (const bad of ['{"apiVersion":', JSON.stringify({ pad: 'x'.repeat(8192) })]) {
      const socket = await rawConnection(port);
      t.after(() => socket.destroy());
      const answers = readResponses(socket, 2);
      socket.write(requestBytes(bad) + requestBytes(JSON.stringify(privilegedReview())));
      const { responses, closed } = await answers;
      assert.equal(closed, true);
      assert.equal(responses.length, 1, 'nothing after the error is answered on that connection');
      assert.match(responses[0]?.status ?? '', /^4(00|13)$/);
      assert.match(responses[0]?.head ?? '', /connection: close/i);
    }
    const fresh = await rawConnection(port);
    t.after(() => fresh.destroy());
    const answer = readResponses(fresh, 1);
    fresh.write(requestBytes(JSON.stringify(privilegedReview())));
    assert.deepEqual(statuses((await answer).responses), ['200']);
  });

  test('chunked bodies, Expect: 100-continue and HTTP/1.0 are answered; a chunked body over the limit is a 413', async (t) => {
    const { port } = await listening(t, { bodyLimitBytes: 65536 });
    const review = JSON.stringify(privilegedReview());
    const chunked = (body: string) =>
      `POST /validate HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n` +
      `${Buffer.byteLength(body).toString(16)}\r\n${body}\r\n0\r\n\r\n`;

    const cases: [string, string, string[]][] = [
      ['chunked', chunked(review), ['200']],
      ['chunked over the limit', chunked(JSON.stringify({ pad: 'x'.repeat(70_000) })), ['413']],
      ['Expect: 100-continue', requestBytes(review, { expect: '100-continue' }), ['100', '200']],
      ['HTTP/1.0', requestBytes(review, {}, 'POST /validate HTTP/1.0'), ['200']],
    ];
    for (const [name, bytes, expected] of cases) {
      const socket = await rawConnection(port);
      t.after(() => socket.destroy());
      const answer = readResponses(socket, 1);
      socket.write(bytes);
      const { responses } = await answer;
      assert.deepEqual(statuses(responses), expected, name);
      const last = responses.at(-1);
      if (last?.status === '200') assert.equal(JSON.parse(last.body).response.allowed, false, name);
    }
  });
});

// =============================================================================================
// Problems the review found; each test failed before its fix.

describe('was a crash', () => {
  test(
    'a pod dropping 1,000 made-up capabilities does not take the process down on /mutate (restricted preset)',
    { timeout: 60_000 },
    async (t) => {
      // dropCapabilities appends ALL to the list; json-patch.ts then lets rfc6902 diff the old
      // and new drop lists as arrays (memoised Levenshtein, O(n²) states each copying an O(n)
      // operation list): 800 entries take ~3 s and 1 GB, 1,000 exhaust this heap and abort.
      // The mutating webhook sees the object before the apiserver validates it, and nothing
      // limits the list; a crash also takes /validate (failurePolicy Fail) down with it.
      // The image's Node flags, and a heap as small as the chart's 256 MiB limit allows.
      const serve = await startServe(
        t,
        'preset: restricted\nserver:\n  host: 127.0.0.1\n  port: 0\n',
        ['--max-semi-space-size=8', '--max-old-space-size=256'],
      );
      const agent = apiserverAgent(serve.ca);
      t.after(() => agent.destroy());
      const drop = Array.from({ length: 1000 }, (_, i) => `NOT_A_CAPABILITY_${i}`);
      const body = JSON.stringify(
        review({
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: { name: 'many-drops', namespace: 'team-a' },
          spec: {
            securityContext: { seccompProfile: { type: 'RuntimeDefault' } },
            containers: [
              { name: 'app', image: 'nginx', securityContext: { capabilities: { drop } } },
            ],
          },
        }),
      );
      let answer;
      try {
        answer = await httpsCall({ agent, port: serve.port, path: '/mutate?timeout=10s', body });
      } catch (error) {
        // A guard, not a measure: give a dying process a moment to be reaped.
        const exit = await Promise.race([
          serve.exited.then(([code, signal]) => `exited (code ${code}, signal ${signal})`),
          sleep(10_000, 'is still running', { ref: false }),
        ]);
        const cause = serve
          .stderr()
          .split('\n')
          .find((line) => /heap|memory/i.test(line));
        assert.fail(
          `the review was never answered (${(error as Error).message}); serve ${exit}${cause ? `: ${cause}` : ''}`,
        );
      }
      assert.equal(answer.statusCode, 200, answer.body);
      const patch = JSON.parse(
        Buffer.from(JSON.parse(answer.body).response.patch as string, 'base64').toString('utf8'),
      ) as { op: string; path: string; value?: unknown }[];
      assert.ok(
        patch.some((op) => op.path.startsWith('/spec/containers/0/securityContext/capabilities')),
        'ALL is added to the drop list',
      );
      const health = await httpsCall({ agent, port: serve.port, path: '/healthz' });
      assert.equal(health.statusCode, 200);
    },
  );
});

describe('was the wrong error', () => {
  test('a container adding 150,000 capabilities is denied, not a 500 (Maximum call stack size exceeded)', async () => {
    // evaluatePod does violations.push(...check.evaluate()): spreading >~120k violations as
    // arguments overflows the stack. 1.3 MB, under the apiserver's 3 MiB request limit.
    const { app, metrics } = server();
    const add = Array.from({ length: 150_000 }, (_, i) => `X${i}`);
    const body = review({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'many-adds' },
      spec: {
        containers: [{ name: 'app', image: 'nginx', securityContext: { capabilities: { add } } }],
      },
    });
    const reply = await post(app, JSON.stringify(body));
    assert.equal(reply.statusCode, 200, reply.body.slice(0, 300));
    assert.equal(reply.json<AdmissionResponseBody>().response.allowed, false);
    assert.equal(
      metricValue(await metrics.registry.metrics(), 'runtime_guard_errors_total', {
        type: 'internal',
      }),
      undefined,
    );
  });

  test('an UPDATE of a custom kind whose unchanged template nests 5,000 levels deep gets an answer, not a 500', async () => {
    // isDeepStrictEqual (the "template unchanged" shortcut, and the pod's security fields) is
    // recursive and overflows the stack at ~3,000 levels. A CRD whose schema preserves unknown
    // fields passes such an object through the apiserver (its JSON depth limit is 10,000).
    const config = reviewConfigFromObject({
      extraKinds: [{ group: 'argoproj.io', kind: 'Rollout', podTemplatePath: 'spec.template' }],
    });
    const { app } = server({ currentConfig: () => config });
    const depth = 5000;
    const rollout = JSON.stringify({
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'Rollout',
      metadata: { name: 'web' },
      spec: {
        template: {
          spec: {
            securityContext: { seccompProfile: { type: 'RuntimeDefault' } },
            containers: [{ name: 'app', image: 'nginx', extra: 'DEEP' }],
          },
        },
      },
    }).replace('"DEEP"', '['.repeat(depth) + ']'.repeat(depth));
    const body = JSON.stringify(
      review(null, {
        kind: { group: 'argoproj.io', version: 'v1alpha1', kind: 'Rollout' },
        operation: 'UPDATE',
      }),
    ).replace('"object":null', `"object":${rollout},"oldObject":${rollout}`);
    for (const url of ['/validate', '/mutate']) {
      const reply = await post(app, body, { url });
      assert.notEqual(reply.statusCode, 500, `${url}: ${reply.body.slice(0, 300)}`);
      assert.doesNotMatch(reply.body, /Maximum call stack size exceeded/, url);
    }
  });

  test('errors of the HTTP parser get the documented { error, message } body with the reason, and are counted', async (t) => {
    // Fastify's default clientErrorHandler answers {"error":"Bad Request","message":"Client
    // Error","statusCode":400}, logs at trace and counts nothing.
    const log = capturingLogger();
    const { port, metrics } = await listening(t, { logger: log.logger });
    const review = JSON.stringify(privilegedReview());
    const cases: [string, string][] = [
      [
        'Content-Length and Transfer-Encoding',
        requestBytes(review, { 'transfer-encoding': 'chunked' }),
      ],
      [
        'two Content-Length headers',
        requestBytes(review).replace('content-length:', 'content-length: 3\r\ncontent-length:'),
      ],
      ['an unknown method', requestBytes(review, {}, 'BREW /validate HTTP/1.1')],
      ['a NUL in a header', requestBytes(review, { 'x-note': 'a\u0000b' })],
    ];
    for (const [name, bytes] of cases) {
      const socket = await rawConnection(port);
      t.after(() => socket.destroy());
      const answer = readResponses(socket, 1);
      socket.write(bytes);
      const { responses } = await answer;
      assert.deepEqual(statuses(responses), ['400'], name);
      const body = JSON.parse(responses[0]?.body ?? '{}') as Json;
      assert.deepEqual(
        Object.keys(body).sort(),
        ['error', 'message'],
        `${name}: ${JSON.stringify(body)}`,
      );
      assert.notEqual(body['message'], 'Client Error', name);
    }
    assert.equal(
      metricValue(await metrics.registry.metrics(), 'runtime_guard_errors_total', {
        type: 'bad_request',
      }),
      cases.length,
    );
  });

  test('a gzip body sent as Transfer-Encoding: gzip, chunked is refused for its coding, not as broken JSON', async (t) => {
    // Node's parser undoes only the chunked coding and hands over the gzip bytes, which read
    // as "the body is not valid JSON".
    const { port } = await listening(t);
    const gzip = gzipSync(JSON.stringify(privilegedReview()));
    const socket = await rawConnection(port);
    t.after(() => socket.destroy());
    const answer = readResponses(socket, 1);
    socket.write(
      'POST /validate HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n' +
        'transfer-encoding: gzip, chunked\r\n\r\n',
    );
    socket.write(Buffer.concat([Buffer.from(`${gzip.length.toString(16)}\r\n`), gzip]));
    socket.write('\r\n0\r\n\r\n');
    const { responses } = await answer;
    assert.deepEqual(statuses(responses), ['415']);
    assert.match(
      JSON.parse(responses[0]?.body ?? '{}').message,
      /^Transfer-Encoding "gzip, chunked" is not accepted/,
    );
  });

  test('a gzip body is refused for its Content-Encoding, a byte order mark is not an "Unexpected token"', async () => {
    const { app } = server();
    const body = JSON.stringify(privilegedReview());
    const gzip = await post(app, gzipSync(body), { headers: { 'content-encoding': 'gzip' } });
    assert.equal(gzip.statusCode, 415, gzip.body);
    assert.match(gzip.json<{ message: string }>().message, /Content-Encoding/);

    const bom = await post(app, `\uFEFF${body}`);
    if (bom.statusCode === 200) {
      assert.equal(bom.json<AdmissionResponseBody>().response.allowed, false);
    } else {
      assert.equal(bom.statusCode, 400);
      assert.match(bom.json<{ message: string }>().message, /byte order mark|BOM/i);
    }
  });
});

describe('was a bare reply', () => {
  test('an HTTP/1.1 request without Host gets the documented JSON 400, a metric and a log line', async (t) => {
    // Node's own check (requireHostHeader) answered a bare 400 with no body, and Fastify never
    // saw the request: nothing counted, nothing logged.
    const log = capturingLogger();
    const { port, metrics } = await listening(t, { logger: log.logger });
    const socket = await rawConnection(port);
    t.after(() => socket.destroy());
    const answer = readResponses(socket, 1);
    socket.write(requestBytes(JSON.stringify(privilegedReview()), { host: '' }));
    const { responses } = await answer;
    assert.deepEqual(statuses(responses), ['400']);
    assert.match(responses[0]?.head ?? '', /connection: close/i);
    const body = JSON.parse(responses[0]?.body || '{}') as Json;
    assert.deepEqual(Object.keys(body).sort(), ['error', 'message']);
    assert.match(String(body['message']), /Host header/);
    assert.equal(
      metricValue(await metrics.registry.metrics(), 'runtime_guard_errors_total', {
        type: 'bad_request',
      }),
      1,
    );
    assert.ok(
      log.lines().some((line) => line['msg'] === 'request rejected' && line['statusCode'] === 400),
      log.text(),
    );
  });
});

describe('was unbounded memory', () => {
  test('a body whose parse would take more than the whole budget gets 413 before JSON.parse, counted', async (t) => {
    const { port, metrics } = await listening(t, { maxBytesInFlight: 4 * 1024 * 1024 });
    const padded = review({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'padded' },
      spec: { containers: [{ name: 'app', image: 'nginx' }] },
      padding: Array.from({ length: 70_000 }, () => ({})),
    });
    const socket = await rawConnection(port);
    t.after(() => socket.destroy());
    const answer = readResponses(socket, 1);
    socket.write(requestBytes(JSON.stringify(padded)));
    const { responses, closed } = await answer;
    assert.deepEqual(statuses(responses), ['413']);
    assert.match(
      JSON.parse(responses[0]?.body ?? '{}').message,
      /^the body would take about [\d.]+ MiB of memory to parse \(70\d{3} objects and arrays, \d+ strings\), more than server\.maxBytesInFlight \(4\.0 MiB\)/,
    );
    assert.equal(closed || /connection: close/i.test(responses[0]?.head ?? ''), true);
    assert.equal(
      metricValue(await metrics.registry.metrics(), 'runtime_guard_errors_total', {
        type: 'body_too_complex',
      }),
      1,
    );
  });

  test('while the budget is held, a review waits, then gets 429 with Retry-After; once it is free, reviews are answered', async (t) => {
    const log = capturingLogger();
    const { port, metrics } = await listening(t, {
      maxBytesInFlight: 4 * 1024 * 1024,
      logger: log.logger,
    });
    // 800 kB declared: holding it costs 3.2 MB of the 4 MiB until it is answered.
    const holderBody = JSON.stringify(podReview({ uid: 'holder', paddingBytes: 800_000 }));
    const holder = await rawConnection(port);
    t.after(() => holder.destroy());
    const holderBytes = Buffer.from(requestBytes(holderBody));
    holder.write(holderBytes.subarray(0, 1000));
    await waitFor(async () => {
      const text = await metrics.registry.metrics();
      return (metricValue(text, 'runtime_guard_admission_bytes_in_flight') ?? 0) > 3_000_000;
    });

    const waiting = await rawConnection(port);
    t.after(() => waiting.destroy());
    const refused = readResponses(waiting, 1);
    waiting.write(requestBytes(JSON.stringify(podReview({ uid: 'late', paddingBytes: 300_000 }))));
    const { responses } = await refused;
    assert.deepEqual(statuses(responses), ['429']);
    assert.match(responses[0]?.head ?? '', /retry-after: 1\r?$/im);
    assert.match(JSON.parse(responses[0]?.body ?? '{}').message, /^the server is busy: /);
    assert.equal(
      metricValue(await metrics.registry.metrics(), 'runtime_guard_errors_total', {
        type: 'overloaded',
      }),
      1,
    );
    assert.ok(
      log.lines().some((line) => line['statusCode'] === 429),
      'logged',
    );

    // One that leaves while it waits: what it is granted later must go back.
    const leaver = await rawConnection(port);
    leaver.write(requestBytes(JSON.stringify(podReview({ uid: 'gone', paddingBytes: 300_000 }))));
    await sleep(100);
    leaver.destroy();

    const held = readResponses(holder, 1);
    holder.write(holderBytes.subarray(1000));
    assert.deepEqual(statuses((await held).responses), ['200']);
    await waitFor(async () => {
      const text = await metrics.registry.metrics();
      return metricValue(text, 'runtime_guard_admission_bytes_in_flight') === 0;
    });
    const next = await rawConnection(port);
    t.after(() => next.destroy());
    const answered = readResponses(next, 1);
    next.write(requestBytes(JSON.stringify(podReview({ uid: 'after', paddingBytes: 300_000 }))));
    assert.deepEqual(statuses((await answered).responses), ['200']);
  });

  test('a body sent to a route that takes none is not parsed', async (t) => {
    // Fastify's default JSON parser parsed it, outside any budget: an 8 MiB body of empty
    // objects POSTed to /nowhere cost as much as one sent to /validate.
    const { port } = await listening(t);
    const socket = await rawConnection(port);
    t.after(() => socket.destroy());
    const answers = readResponses(socket, 2);
    socket.write(
      requestBytes('{"not json', {}, 'POST /nowhere HTTP/1.1') +
        requestBytes(JSON.stringify(privilegedReview())),
    );
    const { responses } = await answers;
    assert.deepEqual(statuses(responses), ['404', '200']);
  });
});

describe('hardening', () => {
  test('a 400 for a bad envelope never echoes the offending value whole: not into the reply, not into the log', async () => {
    // parseAdmissionReview quotes apiVersion, kind and operation with JSON.stringify, unbounded.
    const log = capturingLogger();
    const { app } = server({ logger: log.logger });
    const secret = 'tok-9f8e7d6c5b4a-SECRET';
    const object = (podReview({ envValue: secret }).request as Json)['object'];
    const bodies: Json[] = [
      { apiVersion: object, kind: 'AdmissionReview' },
      { apiVersion: 'admission.k8s.io/v1', kind: object },
      review(null, { operation: object }),
      { apiVersion: 'x'.repeat(1_000_000), kind: 'AdmissionReview' },
    ];
    for (const body of bodies) {
      const reply = await post(app, JSON.stringify(body));
      assert.equal(reply.statusCode, 400);
      const { message } = reply.json<{ message: string }>();
      assert.ok(!message.includes(secret), `the reply quotes the object: ${message.slice(0, 200)}`);
      assert.ok(message.length < 1000, `a ${message.length}-character message`);
    }
    assert.ok(!log.text().includes(secret), 'the log quotes the object');
    assert.ok(
      log.text().length < 100_000,
      `${log.text().length} characters of log for four requests`,
    );
  });

  test('kinds nobody routes to us do not each get their own metric series', async () => {
    // The kind label comes from request.kind.kind (+ subResource) as sent; anyone who can reach
    // the port can mint series, of any length, without end.
    const { app, metrics } = server();
    for (let i = 0; i < 100; i += 1) {
      const body = podReview() as { request: { kind: { kind: string } } };
      body.request.kind.kind = `Minted${i}${'x'.repeat(100)}`;
      const reply = await post(app, JSON.stringify(body));
      assert.equal(reply.statusCode, 200);
    }
    const kinds = new Set(
      [
        ...(await metrics.registry.metrics()).matchAll(
          /^runtime_guard_admission_reviews_total\{[^}]*kind="([^"]*)"/gm,
        ),
      ].map((m) => m[1]),
    );
    assert.ok(kinds.size <= 5, `${kinds.size} kind label values after 100 made-up kinds`);
  });

  test('a client that stops reading its answer is cut off some time after the idle keep-alive limit', async () => {
    // server.timeout is 0 (Fastify connectionTimeout unset): no socket inactivity bound. A client
    // that sends a review and never reads keeps the socket and the unsent answer (megabytes for
    // a large /mutate patch) for ever; requestTimeout only covers receiving the request.
    const { app } = server();
    assert.ok(
      app.server.timeout > IDLE_CONNECTION_TIMEOUT_MS,
      `socket inactivity timeout is ${app.server.timeout} ms (0 = none)`,
    );
  });

  test('the ephemeralcontainers subresource on a CREATE is not a way around the pod', async () => {
    // The apiserver only sends UPDATE for pods/ephemeralcontainers; a CREATE claiming it is
    // malformed, yet today it is judged as "no ephemeral container added" and allowed.
    const { app } = server();
    const body = privilegedReview() as { request: Json };
    body.request['subResource'] = 'ephemeralcontainers';
    const reply = await post(app, JSON.stringify(body));
    if (reply.statusCode === 200)
      assert.equal(reply.json<AdmissionResponseBody>().response.allowed, false);
    else assert.equal(reply.statusCode, 400);
  });
});
