/**
 * The two reference servers runtime-guard is measured against, on the same stack (Node.js,
 * Fastify, HTTPS) with the same server settings as src/server/build-server.ts and
 * src/server/start-server.ts:
 *
 * - F0 reads the body and drops it (no copy, no text), and answers a precomputed AdmissionReview
 *   response without parsing anything: the fastest webhook this stack allows.
 * - F1 is F0 plus `JSON.parse` of the body (as text, the way runtime-guard reads it): the
 *   least work any webhook that looks at the review must do.
 *
 * The response for each endpoint is runtime-guard's own answer to the payload under test,
 * byte for byte, so that all three servers send identical bytes.
 *
 *   node bench/webhook/baseline-server.ts --variant f0|f1 --host 127.0.0.1 --port N \
 *     --cert tls.crt --key tls.key --validate-response v.json --mutate-response m.json \
 *     --body-limit BYTES --keep-alive-timeout MS --request-timeout MS
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import Fastify from 'fastify';

const { values } = parseArgs({
  options: {
    variant: { type: 'string' },
    host: { type: 'string', default: '127.0.0.1' },
    port: { type: 'string' },
    cert: { type: 'string' },
    key: { type: 'string' },
    'validate-response': { type: 'string' },
    'mutate-response': { type: 'string' },
    'body-limit': { type: 'string' },
    'keep-alive-timeout': { type: 'string' },
    'request-timeout': { type: 'string' },
  },
});

function required(name: keyof typeof values): string {
  const value = values[name];
  if (typeof value !== 'string' || value === '') {
    process.stderr.write(`baseline-server: --${name} is required\n`);
    process.exit(2);
  }
  return value;
}

const variant = required('variant');
if (variant !== 'f0' && variant !== 'f1') {
  process.stderr.write('baseline-server: --variant must be f0 or f1\n');
  process.exit(2);
}
const responses = {
  validate: readFileSync(required('validate-response')),
  mutate: readFileSync(required('mutate-response')),
};

const bodyLimit = Number(required('body-limit'));
const app = Fastify({
  logger: false,
  bodyLimit,
  keepAliveTimeout: Number(required('keep-alive-timeout')),
  requestTimeout: Number(required('request-timeout')),
  return503OnClosing: false,
  forceCloseConnections: 'idle',
  https: {
    cert: readFileSync(required('cert')),
    key: readFileSync(required('key')),
    minVersion: 'TLSv1.2',
    ALPNProtocols: ['http/1.1'],
  },
});

app.removeAllContentTypeParsers();
if (variant === 'f0') {
  // Read and drop: no copy, no text, nothing kept (the 413 above the body limit stays).
  app.addContentTypeParser('application/json', (_request, payload, done) => {
    let received = 0;
    payload.on('data', (chunk: Buffer) => {
      received += chunk.length;
      if (received > bodyLimit) {
        payload.removeAllListeners('data');
        payload.resume();
        done(Object.assign(new Error('body too large'), { statusCode: 413 }), undefined);
      }
    });
    payload.on('end', () => {
      if (received <= bodyLimit) done(null, received);
    });
    payload.on('error', (error: Error) => done(error, undefined));
  });
} else {
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
    try {
      done(null, JSON.parse(body as string));
    } catch (error) {
      done(error as Error, undefined);
    }
  });
}

for (const endpoint of ['validate', 'mutate'] as const) {
  const response = responses[endpoint];
  app.post(`/${endpoint}`, async (_request, reply) => {
    reply.header('content-type', 'application/json; charset=utf-8');
    return response;
  });
}

await app.listen({ host: values.host, port: Number(required('port')) });

const stop = () => {
  void app.close().then(() => process.exit(0));
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
