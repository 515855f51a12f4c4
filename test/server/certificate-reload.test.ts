// Hot certificate reload the way Kubernetes updates a mounted Secret: the `..data` symlink is
// swapped while a connection is open. The open connection keeps working, the next handshake
// sees the new certificate, and a broken pair is refused while the one in use stays.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pino } from 'pino';
import { configFromObject } from '../../src/config/load-config.ts';
import { startServer } from '../../src/server/start-server.ts';
import {
  apiserverAgent,
  capturingLogger,
  httpsCall,
  metricValue,
  nextEffectiveReload,
  podReview,
  SecretVolume,
  temporaryDirectory,
  testCertificates,
} from './support.ts';

test('a certificate swapped on disk is served to new connections, the open one keeps working, a broken pair is refused', async (t) => {
  const certificates = await testCertificates();
  const first = await certificates.issue('runtime-guard-first');
  const second = await certificates.issue('runtime-guard-second');
  const volume = new SecretVolume(await temporaryDirectory(t));
  await volume.write({ 'tls.crt': first.cert, 'tls.key': first.key });

  const log = capturingLogger();
  const config = configFromObject({
    server: {
      host: '127.0.0.1',
      port: 0,
      tls: { certFile: volume.path('tls.crt'), keyFile: volume.path('tls.key') },
    },
  });
  const server = await startServer({
    config,
    logger: log.logger,
    watch: { debounceMs: 50, pollMs: 0 },
  });
  t.after(() => server.shutdown({ drainSeconds: 0 }));
  const reloader = server.certificates;
  assert.ok(reloader);

  const review = (uid: string) => JSON.stringify(podReview({ uid }));
  const open = apiserverAgent(certificates.ca.cert);
  t.after(() => open.destroy());
  const before = await httpsCall({
    agent: open,
    port: server.port,
    path: '/validate',
    body: review('before'),
  });
  assert.equal(before.statusCode, 200);
  assert.equal(before.socket.getPeerCertificate().subject.CN, 'runtime-guard-first');

  // The swap, while that connection is open and idle in the agent.
  const swapped = nextEffectiveReload(reloader);
  await volume.write({ 'tls.crt': second.cert, 'tls.key': second.key });
  assert.deepEqual(await swapped, { ok: true, changed: true });

  const onOpen = await httpsCall({
    agent: open,
    port: server.port,
    path: '/validate',
    body: review('on-open-connection'),
  });
  assert.equal(onOpen.statusCode, 200);
  assert.equal(onOpen.reusedSocket, true, 'the open connection was not dropped');
  assert.equal(onOpen.socket, before.socket);
  assert.equal(onOpen.socket.getPeerCertificate().subject.CN, 'runtime-guard-first');

  const fresh = apiserverAgent(certificates.ca.cert);
  t.after(() => fresh.destroy());
  const afterSwap = await httpsCall({
    agent: fresh,
    port: server.port,
    path: '/validate',
    body: review('new-handshake'),
  });
  assert.equal(afterSwap.statusCode, 200);
  assert.equal(afterSwap.socket.getPeerCertificate().subject.CN, 'runtime-guard-second');

  // A certificate with somebody else's key: refused, logged, and the second pair stays.
  const third = await certificates.issue('runtime-guard-third');
  const refused = nextEffectiveReload(reloader);
  await volume.write({ 'tls.crt': third.cert, 'tls.key': second.key });
  const result = await refused;
  assert.equal(result.ok, false);
  assert.match(result.ok ? '' : result.message, /does not belong to the certificate/);
  assert.ok(
    log
      .lines()
      .some((line) => line['msg'] === 'new certificate refused; the previous one stays in use'),
  );

  const stillSecond = apiserverAgent(certificates.ca.cert);
  t.after(() => stillSecond.destroy());
  const kept = await httpsCall({
    agent: stillSecond,
    port: server.port,
    path: '/validate',
    body: review('kept'),
  });
  assert.equal(kept.statusCode, 200);
  assert.equal(kept.socket.getPeerCertificate().subject.CN, 'runtime-guard-second');

  const ready = await httpsCall({ agent: stillSecond, port: server.port, path: '/readyz' });
  assert.equal(ready.statusCode, 200, 'a refused file does not make the server unready');
  assert.match(
    JSON.parse(ready.body).checks.certificate.detail,
    /CN=runtime-guard-second.*refused: the key in/,
  );

  const metrics = (await httpsCall({ agent: stillSecond, port: server.port, path: '/metrics' }))
    .body;
  assert.equal(
    metricValue(metrics, 'runtime_guard_certificate_reloads_total', { result: 'success' }),
    1,
  );
  assert.equal(
    metricValue(metrics, 'runtime_guard_certificate_reloads_total', { result: 'failure' }),
    1,
  );
});

test('a pair that is not PEM at all is refused with the file named', async (t) => {
  const certificates = await testCertificates();
  const good = await certificates.issue();
  const volume = new SecretVolume(await temporaryDirectory(t));
  await volume.write({ 'tls.crt': good.cert, 'tls.key': good.key });
  const config = configFromObject({
    server: {
      host: '127.0.0.1',
      port: 0,
      tls: { certFile: volume.path('tls.crt'), keyFile: volume.path('tls.key') },
    },
  });
  const server = await startServer({
    config,
    logger: pino({ level: 'silent' }),
    watch: { debounceMs: 50, pollMs: 0 },
  });
  t.after(() => server.shutdown({ drainSeconds: 0 }));
  assert.ok(server.certificates);

  const refused = nextEffectiveReload(server.certificates);
  await volume.write({ 'tls.crt': 'not a certificate\n', 'tls.key': good.key });
  const result = await refused;
  assert.equal(result.ok, false);
  assert.match(result.ok ? '' : result.message, /tls\.crt holds no usable PEM certificate/);
  assert.equal(server.certificates.current.cert, good.cert);
});
