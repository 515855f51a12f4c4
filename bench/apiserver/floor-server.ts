/**
 * The floor webhooks the apiserver benchmark compares runtime-guard with: F0 and F1 of the
 * webhook benchmark (bench/webhook/baseline-server.ts, same Fastify settings) made to work behind
 * a real kube-apiserver, which sends a fresh uid with every review and refuses an answer that
 * does not echo it. Both answer runtime-guard's own answer with that uid, byte for byte:
 *
 * - without --parse (F0), the floor reads the head of the body for the uid and drops the rest
 *   unparsed: what a webhook call costs with no work in it;
 * - with --parse (F1), it decodes the whole body and `JSON.parse`s it, as runtime-guard reads
 *   it, and takes the uid from the parsed review: the least any webhook that looks at the
 *   object must do.
 *
 * runtime-guard's answer is learnt per object and endpoint: the benchmark names the object it is
 * about to create (IPC message `{type: 'case', name, verify}`), the first review of each is
 * parsed and answered by `handleAdmissionReview` with the benchmark's configuration, and that
 * answer, split around its uid, is kept. With `verify`, every review is parsed and answered again
 * and compared with the kept bytes (warm-up only: it costs what the floor exists not to do).
 * `{type: 'stats'}` answers with the counts.
 *
 *   node bench/apiserver/floor-server.ts --port N --cert tls.crt --key tls.key --config policy.yaml [--parse]
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import Fastify from 'fastify';
import { handleAdmissionReview, type Endpoint } from '../../src/admission/review-request.ts';
import { parseConfigText } from '../../src/config/load-config.ts';
import {
  DEFAULT_BODY_LIMIT_BYTES,
  IDLE_CONNECTION_TIMEOUT_MS,
  REQUEST_RECEIVE_TIMEOUT_MS,
} from '../../src/server/build-server.ts';

const { values } = parseArgs({
  options: {
    port: { type: 'string' },
    cert: { type: 'string' },
    key: { type: 'string' },
    config: { type: 'string' },
    parse: { type: 'boolean', default: false },
  },
});
const PARSE = values.parse === true;
for (const name of ['port', 'cert', 'key', 'config'] as const) {
  if (!values[name]) {
    process.stderr.write(`floor-server: --${name} is required\n`);
    process.exit(2);
  }
}
const config = parseConfigText(readFileSync(values.config!, 'utf8'), values.config!);

/** The request's uid is the first "uid" of the body: the apiserver writes request.uid first. */
const UID = /"uid":"([^"]+)"/;
const HEAD_BYTES = 512;

interface Answer {
  before: string;
  after: string;
}

const answers = new Map<string, Answer>();
let current = { name: '', verify: false };
const stats = { requests: 0, learnt: 0, verified: 0, mismatches: 0, lastMismatch: '' };

const app = Fastify({
  logger: false,
  bodyLimit: DEFAULT_BODY_LIMIT_BYTES,
  keepAliveTimeout: IDLE_CONNECTION_TIMEOUT_MS,
  requestTimeout: REQUEST_RECEIVE_TIMEOUT_MS,
  return503OnClosing: false,
  forceCloseConnections: 'idle',
  https: {
    cert: readFileSync(values.cert!),
    key: readFileSync(values.key!),
    minVersion: 'TLSv1.2',
    ALPNProtocols: ['http/1.1'],
  },
});

const endpointOf = (url: string): Endpoint => (url.startsWith('/mutate') ? 'mutate' : 'validate');

interface Body {
  /** The request's uid. */
  uid: string | undefined;
  /** The whole body, when runtime-guard's answer is to be computed from it. */
  text?: string;
}

function uidOf(parsed: unknown): string | undefined {
  const request = (parsed as { request?: { uid?: unknown } } | null)?.request;
  return typeof request?.uid === 'string' ? request.uid : undefined;
}

app.removeAllContentTypeParsers();
app.addContentTypeParser('application/json', (request, payload, done) => {
  const key = `${current.name} ${endpointOf(request.url)}`;
  const whole = PARSE || current.verify || !answers.has(key);
  const chunks: Buffer[] = [];
  let kept = 0;
  payload.on('data', (chunk: Buffer) => {
    if (whole || kept < HEAD_BYTES) {
      chunks.push(chunk);
      kept += chunk.length;
    }
  });
  payload.on('end', () => {
    const bytes = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
    if (!whole) {
      const head = bytes.subarray(0, HEAD_BYTES).toString('latin1');
      return done(null, { uid: UID.exec(head)?.[1] } satisfies Body);
    }
    const text = bytes.toString('utf8');
    let uid: string | undefined;
    try {
      uid = PARSE ? uidOf(JSON.parse(text)) : UID.exec(text.slice(0, HEAD_BYTES))?.[1];
    } catch (error) {
      return done(error as Error, undefined);
    }
    done(null, { uid, text } satisfies Body);
  });
  payload.on('error', (error: Error) => done(error, undefined));
});

function answerFromRuntimeGuard(endpoint: Endpoint, text: string): string {
  const result = handleAdmissionReview(endpoint, JSON.parse(text), config);
  if (!result.ok) throw new Error(result.message);
  return JSON.stringify(result.review);
}

for (const endpoint of ['validate', 'mutate'] as const) {
  app.post(`/${endpoint}`, async (request, reply) => {
    stats.requests++;
    const body = request.body as Body;
    const uid = body.uid;
    if (!uid) throw new Error('no uid in the review');
    const key = `${current.name} ${endpoint}`;
    let answer = answers.get(key);
    if (!answer) {
      const bytes = answerFromRuntimeGuard(endpoint, body.text!);
      const at = bytes.indexOf(`"uid":"${uid}"`);
      if (at < 0) throw new Error('runtime-guard answered another uid');
      answer = { before: bytes.slice(0, at + 7), after: bytes.slice(at + 7 + uid.length) };
      answers.set(key, answer);
      stats.learnt++;
    }
    const bytes = answer.before + uid + answer.after;
    if (current.verify && body.text !== undefined) {
      stats.verified++;
      const expected = answerFromRuntimeGuard(endpoint, body.text);
      if (expected !== bytes) {
        stats.mismatches++;
        stats.lastMismatch = `${key}: runtime-guard ${expected.slice(0, 300)} / floor ${bytes.slice(0, 300)}`;
      }
    }
    reply.header('content-type', 'application/json; charset=utf-8');
    return bytes;
  });
}

process.on('message', (message: { type?: string; name?: string; verify?: boolean }) => {
  if (message.type === 'case') {
    current = { name: message.name ?? '', verify: message.verify === true };
    process.send?.({ type: 'case' });
  } else if (message.type === 'stats') {
    process.send?.({ type: 'stats', ...stats });
  }
});
process.channel?.unref();

const address = await app.listen({ host: '127.0.0.1', port: Number(values.port) });
process.stderr.write(`floor webhook serving on ${address}\n`);

const stop = () => {
  void app.close().then(() => process.exit(0));
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
