// Over a real TLS socket, connecting the way the kube-apiserver does: HTTP/1.1 by ALPN,
// keep-alive, one review after another on the same connection.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { connect, type TLSSocket } from 'node:tls';
import { pino } from 'pino';
import { configFromObject } from '../../src/config/load-config.ts';
import { startServer, type RunningServer } from '../../src/server/start-server.ts';
import {
  apiserverAgent,
  CleanupList,
  httpsCall,
  podReview,
  temporaryDirectory,
  testCertificates,
  type AdmissionResponseBody,
  type Cleanup,
  type TestCertificates,
} from './support.ts';

async function serveWithCertificateFiles(
  t: Cleanup,
  certificates: TestCertificates,
  tls: { clientCA?: string } = {},
): Promise<RunningServer> {
  const directory = await temporaryDirectory(t);
  const serving = await certificates.issue();
  const files = {
    certFile: join(directory, 'tls.crt'),
    keyFile: join(directory, 'tls.key'),
    clientCAFile: tls.clientCA ? join(directory, 'client-ca.crt') : undefined,
  };
  await writeFile(files.certFile, serving.cert);
  await writeFile(files.keyFile, serving.key);
  if (files.clientCAFile && tls.clientCA) await writeFile(files.clientCAFile, tls.clientCA);
  const config = configFromObject({ server: { host: '127.0.0.1', port: 0, tls: files } });
  const server = await startServer({
    config,
    logger: pino({ level: 'silent' }),
    watch: { pollMs: 0 },
  });
  t.after(() => server.shutdown({ drainSeconds: 0 }));
  return server;
}

describe('HTTPS as the kube-apiserver uses it', () => {
  let certificates: TestCertificates;
  let server: RunningServer;
  const cleanup = new CleanupList();
  before(async () => {
    certificates = await testCertificates();
    server = await serveWithCertificateFiles(cleanup, certificates);
  });
  after(() => cleanup.run());

  test('many sequential reviews share one keep-alive HTTP/1.1 connection', async () => {
    const agent = apiserverAgent(certificates.ca.cert);
    const sockets = new Set<TLSSocket>();
    for (let i = 0; i < 50; i += 1) {
      const answer = await httpsCall({
        agent,
        port: server.port,
        path: '/validate?timeout=10s',
        body: JSON.stringify(podReview({ uid: `seq-${i}` })),
      });
      assert.equal(answer.statusCode, 200, answer.body);
      assert.equal(JSON.parse(answer.body).response.uid, `seq-${i}`);
      assert.equal(answer.reusedSocket, i > 0);
      assert.equal(answer.socket.alpnProtocol, 'http/1.1');
      sockets.add(answer.socket);
    }
    assert.equal(sockets.size, 1);
    agent.destroy();
  });

  test('idle connections are kept longer than the apiserver keeps them (90 s)', async () => {
    const agent = apiserverAgent(certificates.ca.cert);
    const answer = await httpsCall({ agent, port: server.port, path: '/healthz' });
    assert.match(String(answer.headers['keep-alive']), /timeout=(\d+)/);
    const seconds = Number(/timeout=(\d+)/.exec(String(answer.headers['keep-alive']))?.[1]);
    assert.ok(seconds > 90, `keep-alive timeout ${seconds} s`);
    agent.destroy();
  });

  test("the largest review the apiserver sends is accepted: an UPDATE of two objects at etcd's limit, as JSON", async () => {
    // etcd stores objects up to 1.5 MiB; a pod's JSON is up to 1.55 times its protobuf.
    const agent = apiserverAgent(certificates.ca.cert);
    const paddingBytes = Math.floor(1.55 * 1.5 * 1024 * 1024);
    const body = JSON.stringify(podReview({ uid: 'big', operation: 'UPDATE', paddingBytes }));
    assert.ok(Buffer.byteLength(body) > 2 * paddingBytes);
    const answer = await httpsCall({
      agent,
      port: server.port,
      path: '/validate?timeout=10s',
      body,
    });
    assert.equal(answer.statusCode, 200, answer.body);
    assert.equal((JSON.parse(answer.body) as AdmissionResponseBody).response.uid, 'big');
    // The connection is still good for the next review.
    const next = await httpsCall({
      agent,
      port: server.port,
      path: '/mutate',
      body: JSON.stringify(podReview({ uid: 'after-big' })),
    });
    assert.equal(next.statusCode, 200);
    assert.equal(next.reusedSocket, true);
    agent.destroy();
  });

  test('TLS below 1.2 is refused', async () => {
    const socket = connect({
      host: '127.0.0.1',
      port: server.port,
      servername: 'localhost',
      ca: certificates.ca.cert,
      maxVersion: 'TLSv1.1',
      minVersion: 'TLSv1',
    });
    const [error] = (await once(socket, 'error')) as [NodeJS.ErrnoException];
    assert.match(String(error.code), /ERR_SSL|ECONNRESET/);
    socket.destroy();
  });
});

describe('client certificate verification', () => {
  test('admission routes need a client certificate from the configured CA; probes do not', async (t) => {
    const certificates = await testCertificates();
    const clients = await testCertificates();
    const server = await serveWithCertificateFiles(t, certificates, { clientCA: clients.ca.cert });
    const apiserverCert = await clients.issue('kube-apiserver', 'client');
    const body = JSON.stringify(podReview({ uid: 'mtls' }));

    const anonymous = apiserverAgent(certificates.ca.cert);
    const refused = await httpsCall({
      agent: anonymous,
      port: server.port,
      path: '/validate',
      body,
    });
    assert.equal(refused.statusCode, 401);
    assert.deepEqual(JSON.parse(refused.body), {
      error: 'Unauthorized',
      message:
        'a client certificate signed by the configured client CA (server.tls.clientCAFile) is required; none was presented',
    });
    const probe = await httpsCall({ agent: anonymous, port: server.port, path: '/readyz' });
    assert.equal(probe.statusCode, 200);

    const stranger = await certificates.issue('someone-else', 'client');
    const wrongCA = apiserverAgent(certificates.ca.cert, {
      cert: stranger.cert,
      key: stranger.key,
    });
    const wrong = await httpsCall({ agent: wrongCA, port: server.port, path: '/validate', body });
    assert.equal(wrong.statusCode, 401);
    assert.match(JSON.parse(wrong.body).message, /the one presented was refused/);

    const apiserver = apiserverAgent(certificates.ca.cert, {
      cert: apiserverCert.cert,
      key: apiserverCert.key,
    });
    const accepted = await httpsCall({
      agent: apiserver,
      port: server.port,
      path: '/validate',
      body,
    });
    assert.equal(accepted.statusCode, 200, accepted.body);
    assert.equal(JSON.parse(accepted.body).response.uid, 'mtls');
    for (const agent of [anonymous, wrongCA, apiserver]) agent.destroy();
  });
});
