// Connections before and around the TLS handshake, over a real socket: what a client that
// never completes a handshake costs, how many connections the server holds at once, and how a
// shutdown treats sockets that never became HTTP connections.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { writeFile } from 'node:fs/promises';
import { connect as netConnect, type Socket } from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';
import { configFromObject } from '../../src/config/load-config.ts';
import { startServer, type RunningServer } from '../../src/server/start-server.ts';
import {
  apiserverAgent,
  capturingLogger,
  httpsCall,
  metricValue,
  podReview,
  startServe,
  temporaryDirectory,
  testCertificates,
  waitFor,
  type Cleanup,
} from './support.ts';

async function serve(t: Cleanup, server: Record<string, unknown> = {}) {
  const certificates = await testCertificates();
  const serving = await certificates.issue();
  const directory = await temporaryDirectory(t);
  const tls = { certFile: join(directory, 'tls.crt'), keyFile: join(directory, 'tls.key') };
  await writeFile(tls.certFile, serving.cert);
  await writeFile(tls.keyFile, serving.key);
  const log = capturingLogger();
  const running: RunningServer = await startServer({
    config: configFromObject({ server: { host: '127.0.0.1', port: 0, tls, ...server } }),
    logger: log.logger,
    watch: { pollMs: 0 },
  });
  t.after(() => running.shutdown({ drainSeconds: 0 }));
  return { server: running, ca: certificates.ca.cert, log };
}

async function tcpConnection(t: Cleanup, port: number): Promise<Socket> {
  const socket = netConnect(port, '127.0.0.1');
  socket.on('error', () => undefined);
  t.after(() => socket.destroy());
  await once(socket, 'connect');
  return socket;
}

const closed = (socket: Socket) =>
  socket.destroyed ? Promise.resolve() : once(socket, 'close').then(() => undefined);

const openConnections = (server: RunningServer) =>
  new Promise<number>((resolve, reject) =>
    server.app.server.getConnections((error, count) => (error ? reject(error) : resolve(count))),
  );

// The first bytes of a TLS ClientHello record, and then nothing.
const TRUNCATED_CLIENT_HELLO = Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc]);

test(
  'a connection that never finishes its TLS handshake is closed at the 10 s deadline and counted as a handshake timeout, not as an HTTP error',
  { timeout: 30_000 },
  async (t) => {
    // Node's handshake timeout reaches the HTTP server's clientError handler, which wrote an
    // HTTP 400 into the TLS socket and waited with destroySoon() for a flush that never comes:
    // the socket stayed open for ever, counted as bad_request.
    const { server, log } = await serve(t);
    const silent = await tcpConnection(t, server.port);
    const truncated = await tcpConnection(t, server.port);
    truncated.write(TRUNCATED_CLIENT_HELLO);
    await Promise.all([closed(silent), closed(truncated)]);

    await waitFor(async () => (await openConnections(server)) === 0);
    const metrics = await server.metrics.registry.metrics();
    assert.equal(
      metricValue(metrics, 'runtime_guard_errors_total', { type: 'tls_handshake_timeout' }),
      2,
    );
    assert.equal(
      metricValue(metrics, 'runtime_guard_errors_total', { type: 'bad_request' }),
      undefined,
    );
    const timeouts = log.lines().filter((line) => line['msg'] === 'TLS handshake timed out');
    assert.equal(timeouts.length, 2, log.text());
    assert.equal(
      log.lines().filter((line) => line['msg'] === 'request rejected').length,
      0,
      'not an HTTP request',
    );
  },
);

test('beyond server.maxConnections a new connection is closed at once and counted; the others are served', async (t) => {
  const { server, ca, log } = await serve(t, { maxConnections: 3 });
  const held = [];
  for (let i = 0; i < 3; i += 1) held.push(await tcpConnection(t, server.port));
  const refused = await tcpConnection(t, server.port);
  await closed(refused);
  assert.ok(
    held.every((socket) => !socket.destroyed),
    'the first three stay open',
  );
  await waitFor(async () => {
    const metrics = await server.metrics.registry.metrics();
    return metricValue(metrics, 'runtime_guard_errors_total', { type: 'connection_limit' }) === 1;
  });
  assert.ok(
    log.lines().some((line) => line['msg'] === 'connection refused: server.maxConnections reached'),
    log.text(),
  );

  held[0]?.destroy();
  await waitFor(async () => (await openConnections(server)) < 3);
  const agent = apiserverAgent(ca);
  t.after(() => agent.destroy());
  const answer = await httpsCall({
    agent,
    port: server.port,
    path: '/validate',
    body: JSON.stringify(podReview({ uid: 'after-the-limit' })),
  });
  assert.equal(answer.statusCode, 200);
  assert.equal(JSON.parse(answer.body).response.uid, 'after-the-limit');
});

test(
  'SIGTERM with clients that never start a TLS handshake: serve closes them and exits 0 without waiting for their deadline',
  { timeout: 30_000 },
  async (t) => {
    // Such sockets never reach the HTTP server, so neither Fastify's close nor
    // closeAllConnections() saw them: shutdown waited for them, and when one left after its
    // handshake timeout the process ended with 13 (the top-level await never settled).
    const serve = await startServe(
      t,
      'server:\n  host: 127.0.0.1\n  port: 0\n  shutdown:\n    drainSeconds: 0\n    timeoutSeconds: 20\n',
    );
    const sockets = [await tcpConnection(t, serve.port), await tcpConnection(t, serve.port)];
    sockets[1]?.write(TRUNCATED_CLIENT_HELLO);
    // One review on a real connection first, so the server is known to be past its start.
    const agent = apiserverAgent(serve.ca);
    t.after(() => agent.destroy());
    assert.equal((await httpsCall({ agent, port: serve.port, path: '/healthz' })).statusCode, 200);
    agent.destroy();

    assert.ok(serve.child.kill('SIGTERM'));
    const [code, signal] = await serve.exited;
    assert.equal(signal, null);
    assert.equal(code, 0, serve.stderr());
    assert.ok(sockets.every((socket) => socket.destroyed || socket.readableEnded));
    const messages = serve.logLines.map((line) => line['msg']);
    assert.equal(messages.at(-1), 'shutdown complete');
    assert.ok(
      !messages.includes(
        'in-flight requests outlived the shutdown timeout; closing their connections',
      ),
      'nothing was left for the shutdown timeout to cut',
    );
    assert.ok(
      !messages.includes('TLS handshake timed out'),
      'closed by the shutdown, before their handshake deadline',
    );
  },
);
