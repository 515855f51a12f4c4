import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import {
  createCertificateAuthority,
  developmentNames,
  ensureDevelopmentCertificate,
  issueCertificate,
} from '../../src/server/dev-certificate.ts';
import { checkTlsCredentials } from '../../src/server/tls-credentials.ts';
import { testCertificates } from './support.ts';

const files = { certFile: 'tls.crt', keyFile: 'tls.key', clientCAFile: 'ca.crt' };

describe('checking a certificate and key before use', () => {
  test('a matching pair passes and is summarized', async () => {
    const certificates = await testCertificates();
    const pair = await certificates.issue('webhook');
    const credentials = checkTlsCredentials(pair, files);
    assert.equal(credentials.summary.subject, 'CN=webhook');
    assert.match(credentials.summary.names, /DNS:localhost/);
    assert.ok(credentials.summary.notAfter.getTime() > Date.now());
  });

  test('refusals name the file and the reason', async () => {
    const certificates = await testCertificates();
    const one = await certificates.issue('one');
    const two = await certificates.issue('two');
    assert.throws(() => checkTlsCredentials({ cert: one.cert, key: two.key }, files), {
      message: 'the key in tls.key does not belong to the certificate in tls.crt',
    });
    assert.throws(() => checkTlsCredentials({ cert: 'garbage', key: one.key }, files), {
      message: /^tls\.crt holds no usable PEM certificate/,
    });
    assert.throws(() => checkTlsCredentials({ cert: one.cert, key: 'garbage' }, files), {
      message: /^tls\.key holds no usable PEM private key/,
    });
    assert.throws(() => checkTlsCredentials({ ...one, ca: 'garbage' }, files), {
      message: /^ca\.crt holds no usable PEM CA certificate/,
    });
  });

  test('an expired certificate is refused', async () => {
    const ca = await createCertificateAuthority('test CA');
    const pair = await issueCertificate(ca, { commonName: 'old', dns: ['localhost'], days: 1 });
    const later = new Date(Date.now() + 3 * 24 * 60 * 60 * 1000);
    assert.throws(() => checkTlsCredentials(pair, files, later), {
      message: /^the certificate in tls\.crt \(CN=old\) expired on /,
    });
  });
});

describe('the development certificate', () => {
  test('is made for localhost, loopback and the service names, signed by the CA it writes, and reused', async (t) => {
    const directory = await mkdtemp(join(tmpdir(), 'runtime-guard-dev-cert-'));
    t.after(() => rm(directory, { recursive: true, force: true }));
    const first = await ensureDevelopmentCertificate(join(directory, '.dev-certs'));
    assert.equal(first.created, true);
    assert.equal(first.caFile, join(directory, '.dev-certs', 'ca.crt'));
    const names = first.credentials.summary.names;
    const service = developmentNames().dns.filter((name) => name.endsWith('.svc.cluster.local'));
    assert.equal(service.length, 1);
    for (const name of [
      'DNS:localhost',
      'IP Address:127.0.0.1',
      'DNS:runtime-guard',
      `DNS:${service[0]}`,
    ])
      assert.ok(names.includes(name), name);
    const ca = new X509Certificate(await readFile(first.caFile ?? '', 'utf8'));
    assert.ok(new X509Certificate(first.credentials.cert).verify(ca.publicKey));
    assert.equal(new X509Certificate(first.credentials.cert).checkIssued(ca), true);

    const second = await ensureDevelopmentCertificate(join(directory, '.dev-certs'));
    assert.equal(second.created, false);
    assert.equal(
      second.credentials.summary.fingerprint256,
      first.credentials.summary.fingerprint256,
    );
  });
});
