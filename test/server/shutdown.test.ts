// Graceful shutdown inside one process: readiness turns false while reviews are still answered,
// and a review in flight when the socket closes is answered before the server is gone.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import type { IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { test } from 'node:test';
import { pino } from 'pino';
import { configFromObject } from '../../src/config/load-config.ts';
import { startServer, type RunningServer } from '../../src/server/start-server.ts';
import {
  apiserverAgent,
  httpsCall,
  podReview,
  temporaryDirectory,
  testCertificates,
  waitFor,
  type Cleanup,
} from './support.ts';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';

async function serve(t: Cleanup, drainSeconds: number) {
  const certificates = await testCertificates();
  const serving = await certificates.issue();
  const directory = await temporaryDirectory(t);
  const tls = { certFile: join(directory, 'tls.crt'), keyFile: join(directory, 'tls.key') };
  await writeFile(tls.certFile, serving.cert);
  await writeFile(tls.keyFile, serving.key);
  const config = configFromObject({
    server: { host: '127.0.0.1', port: 0, tls, shutdown: { drainSeconds, timeoutSeconds: 10 } },
  });
  const server: RunningServer = await startServer({
    config,
    logger: pino({ level: 'silent' }),
    watch: { pollMs: 0 },
  });
  t.after(() => server.shutdown({ drainSeconds: 0 }));
  return { server, ca: certificates.ca.cert };
}

test('while draining, readiness is false and reviews are answered with Connection: close', async (t) => {
  const { server, ca } = await serve(t, 2);
  const agent = apiserverAgent(ca);
  t.after(() => agent.destroy());
  assert.equal((await httpsCall({ agent, port: server.port, path: '/readyz' })).statusCode, 200);

  const stopped = server.shutdown();
  const ready = await httpsCall({ agent, port: server.port, path: '/readyz' });
  assert.equal(ready.statusCode, 503);
  assert.deepEqual(JSON.parse(ready.body).checks.shutdown, { ok: false, detail: 'shutting down' });
  const review = await httpsCall({
    agent,
    port: server.port,
    path: '/validate',
    body: JSON.stringify(podReview({ uid: 'draining' })),
  });
  assert.equal(review.statusCode, 200);
  assert.equal(JSON.parse(review.body).response.uid, 'draining');
  assert.equal(review.headers['connection'], 'close');
  await stopped;
});

test('a review in flight when the socket closes is answered, then the server is gone', async (t) => {
  const { server, ca } = await serve(t, 0);
  const agent = apiserverAgent(ca);
  t.after(() => agent.destroy());
  const body = Buffer.from(JSON.stringify(podReview({ uid: 'in-flight' })));
  const request = httpsRequest({
    agent,
    host: '127.0.0.1',
    servername: 'localhost',
    port: server.port,
    method: 'POST',
    path: '/validate?timeout=10s',
    headers: { 'content-type': 'application/json', 'content-length': body.length },
  });
  // Half the body now: the server has the request and waits for the rest.
  request.write(body.subarray(0, body.length >> 1));
  await waitFor(async () =>
    (await server.metrics.reviewsInFlight.get()).values.some((sample) => sample.value === 1),
  );

  const stopped = server.shutdown();
  request.end(body.subarray(body.length >> 1));
  const [response] = (await once(request, 'response')) as [IncomingMessage];
  const chunks: Buffer[] = [];
  for await (const chunk of response) chunks.push(chunk as Buffer);
  assert.equal(response.statusCode, 200);
  assert.equal(JSON.parse(Buffer.concat(chunks).toString('utf8')).response.uid, 'in-flight');
  assert.equal(response.headers['connection'], 'close');
  await stopped;

  const fresh = apiserverAgent(ca);
  t.after(() => fresh.destroy());
  await assert.rejects(httpsCall({ agent: fresh, port: server.port, path: '/healthz' }), {
    code: 'ECONNREFUSED',
  });
});

test('closing the app releases the certificate and configuration reloaders (Fastify onClose)', async (t) => {
  const certificates = await testCertificates();
  const serving = await certificates.issue();
  const directory = await temporaryDirectory(t);
  const tls = { certFile: join(directory, 'tls.crt'), keyFile: join(directory, 'tls.key') };
  await writeFile(tls.certFile, serving.cert);
  await writeFile(tls.keyFile, serving.key);
  const configPath = join(directory, 'runtime-guard.yaml');
  const text = `server:\n  host: 127.0.0.1\n  port: 0\n  tls:\n    certFile: ${tls.certFile}\n    keyFile: ${tls.keyFile}\n`;
  await writeFile(configPath, text);
  const server = await startServer({
    config: configFromObject({ server: { host: '127.0.0.1', port: 0, tls } }),
    configFile: { path: configPath, text },
    logger: pino({ level: 'silent' }),
    watch: { pollMs: 0 },
  });
  const released: string[] = [];
  for (const [name, reloader] of [
    ['certificates', server.certificates],
    ['configuration', server.configuration],
  ] as const) {
    assert.ok(reloader, `${name} reloader running`);
    const stop = reloader.stop.bind(reloader);
    reloader.stop = () => {
      released.push(name);
      stop();
    };
  }
  await server.app.close();
  assert.deepEqual(released.sort(), ['certificates', 'configuration']);
});
