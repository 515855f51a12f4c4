import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { describe, it } from 'node:test';
import { createCertificateAuthority, issueCertificate } from '../../src/server/dev-certificate.ts';

describe('development certificates', () => {
  it('are PEM files ending in a newline, so that bundles made by concatenation parse', async () => {
    const first = await createCertificateAuthority('runtime-guard test CA 1');
    const second = await createCertificateAuthority('runtime-guard test CA 2');
    const leaf = await issueCertificate(first, { commonName: 'webhook', ips: ['127.0.0.1'] });
    for (const pem of [first.cert, second.cert, leaf.cert, leaf.key]) assert.match(pem, /-----\n$/);
    const bundle = first.cert + second.cert;
    const blocks =
      bundle.match(/-----BEGIN CERTIFICATE-----\n[\s\S]+?\n-----END CERTIFICATE-----\n/g) ?? [];
    assert.deepEqual(
      blocks.map((block) => new X509Certificate(block).subject),
      ['CN=runtime-guard test CA 1', 'CN=runtime-guard test CA 2'],
    );
  });
});
