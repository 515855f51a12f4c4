/**
 * The scan's API client against a TLS server that misbehaves on purpose: the token and CA of the
 * kubeconfig are used, a Status message is what an error says, and an answer too large, not
 * JSON, too slow, or from a server whose certificate the CA does not sign fails with a message
 * instead of filling memory or hanging.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { KubeConfig } from '@kubernetes/client-node';
import { createKubeApi, ClusterRequestError } from '../../src/kube/api-client.ts';
import { createCertificateAuthority, issueCertificate } from '../../src/server/dev-certificate.ts';

describe('scan API client', () => {
  let server: Server;
  let url: string;
  let caPem: string;
  let otherCaPem: string;
  const seen: { path: string; authorization: string | undefined }[] = [];

  before(async () => {
    const ca = await createCertificateAuthority('api-client-test-ca');
    caPem = ca.cert;
    otherCaPem = (await createCertificateAuthority('someone-else')).cert;
    const leaf = await issueCertificate(ca, {
      commonName: 'localhost',
      dns: ['localhost'],
      ips: ['127.0.0.1'],
    });
    server = createServer({ cert: leaf.cert, key: leaf.key }, (req, res) => {
      seen.push({ path: req.url ?? '', authorization: req.headers.authorization });
      const path = (req.url ?? '').split('?')[0];
      if (path === '/api/v1/forbidden') {
        res.writeHead(403, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({ kind: 'Status', message: 'pods is forbidden: User "x" cannot list' }),
        );
      } else if (path === '/api/v1/html') {
        res.writeHead(502, { 'content-type': 'text/html' });
        res.end('<html><body>Bad   gateway\n</body></html>');
      } else if (path === '/api/v1/notjson') {
        res.writeHead(200);
        res.end('{"items": [');
      } else if (path === '/api/v1/huge') {
        res.writeHead(200);
        const chunk = 'x'.repeat(64 * 1024);
        const write = () => {
          while (res.write(chunk)) {
            // until the socket pushes back
          }
          res.once('drain', write);
        };
        write();
        res.on('close', () => res.removeAllListeners('drain'));
      } else if (path === '/api/v1/slow') {
        // Never answers.
      } else {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ items: [], path: req.url }));
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => {
    server.closeAllConnections();
    server.close();
  });

  const kubeConfig = (ca: string) => {
    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: 'c', server: url, caData: Buffer.from(ca).toString('base64') }],
      users: [{ name: 'u', token: 'scan-token' }],
      contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
      currentContext: 'x',
    });
    return kc;
  };

  it('sends the kubeconfig token, the query, and counts its calls', async () => {
    const api = await createKubeApi(kubeConfig(caPem));
    const body = await api.get('/api/v1/pods', { limit: 2, continue: 'abc', ignored: undefined });
    assert.deepEqual(body, { items: [], path: '/api/v1/pods?limit=2&continue=abc' });
    assert.equal(seen.at(-1)?.authorization, 'Bearer scan-token');
    assert.equal(api.calls, 1);
  });

  it('says what the Status says, or the start of a page that is not one', async () => {
    const api = await createKubeApi(kubeConfig(caPem));
    await assert.rejects(api.get('/api/v1/forbidden'), (e: unknown) => {
      assert.ok(e instanceof ClusterRequestError);
      assert.equal(e.status, 403);
      assert.equal(
        e.message,
        'GET /api/v1/forbidden: HTTP 403: pods is forbidden: User "x" cannot list',
      );
      return true;
    });
    await assert.rejects(api.get('/api/v1/html'), {
      message: 'GET /api/v1/html: HTTP 502: <html><body>Bad gateway </body></html>',
    });
    await assert.rejects(api.get('/api/v1/notjson'), {
      message: 'GET /api/v1/notjson: the answer is not JSON',
    });
  });

  it('stops reading an answer larger than its ceiling', async () => {
    const api = await createKubeApi(kubeConfig(caPem), { maxBodyBytes: 1024 * 1024 });
    await assert.rejects(api.get('/api/v1/huge'), {
      message: 'GET /api/v1/huge: the answer exceeds 1048576 characters; use a smaller page size',
    });
  });

  it('gives up on a server that does not answer', async () => {
    const api = await createKubeApi(kubeConfig(caPem), { timeoutMs: 300 });
    await assert.rejects(api.get('/api/v1/slow'), {
      message: `GET /api/v1/slow: no answer from ${url} within 0.3 s`,
    });
  });

  it('refuses a server whose certificate the kubeconfig CA does not sign', async () => {
    const api = await createKubeApi(kubeConfig(otherCaPem));
    await assert.rejects(api.get('/api/v1/pods'), (e: unknown) => {
      assert.ok(e instanceof ClusterRequestError);
      assert.equal(e.status, 0);
      assert.match(e.message, /presented a certificate the kubeconfig's CA does not verify/);
      return true;
    });
  });
});
