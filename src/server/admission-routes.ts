/**
 * POST /validate and POST /mutate: the HTTP side of one review. The body is read and parsed
 * within the memory budget by review-body.ts, the review itself is src/admission's; what is left
 * is to count, log one line, and answer.
 */
import type { TLSSocket } from 'node:tls';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { handleAdmissionReview, type Endpoint } from '../admission/review-request.ts';
import type { ReviewConfig } from '../admission/settings.ts';
import { decisionLogFields } from './decision-log.ts';
import { RequestError } from './error-replies.ts';
import type { ServerMetrics } from './metrics.ts';
import type { NamespaceModeLookup } from '../admission/review-request.ts';
import { apiserverTimeoutSeconds } from './request-timeout.ts';
import type { ReviewBodyReader } from './review-body.ts';

export interface AdmissionRoutesOptions {
  /** Read on every review, so a reloaded configuration applies to the next one. */
  currentConfig(): ReviewConfig;
  namespaceModes?: NamespaceModeLookup | undefined;
  metrics: ServerMetrics;
  /** Answer only clients whose certificate TLS verified against the configured client CA. */
  requireClientCertificate?: boolean | undefined;
  /** Reads bodies within the server's memory budget. */
  bodies: ReviewBodyReader;
}

const ENDPOINTS: readonly Endpoint[] = ['validate', 'mutate'];

export const admissionRoutes: FastifyPluginAsync<AdmissionRoutesOptions> = async (app, options) => {
  const { metrics, bodies } = options;
  const figures = metrics.reviewFigures;

  // The apiserver always sends application/json; any other type is a client's mistake (415).
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', (request, payload, done) =>
    bodies.read(request, payload, done),
  );

  for (const endpoint of ENDPOINTS) {
    app.post<{ Querystring: Record<string, unknown> }>(
      `/${endpoint}`,
      {
        // Callback hooks, not async ones: they run on every review, and each promise and the
        // microtask it resolves in cost more than what the hook does.
        onRequest: (request, reply, done) => {
          figures.requestStarted(endpoint);
          // One listener for both figures, rather than an onResponse hook as well.
          reply.raw.once('close', () => {
            figures.requestEnded(endpoint);
            if (reply.raw.writableEnded) figures.answered(endpoint, reply.elapsedTime / 1000);
          });
          if (options.requireClientCertificate) checkClientCertificate(request);
          checkContentEncoding(request);
          const waiting = bodies.reserve(request, reply);
          if (waiting) waiting.then(() => done(), done);
          else done();
        },
      },
      // Not async: a review is answered synchronously once its body is parsed.
      (request, reply) => answerReview(endpoint, request, reply, options),
    );
  }
};

function answerReview(
  endpoint: Endpoint,
  request: FastifyRequest<{ Querystring: Record<string, unknown> }>,
  reply: FastifyReply,
  options: AdmissionRoutesOptions,
) {
  const { metrics } = options;
  const body = request.body;
  if (body === undefined) {
    throw new RequestError(
      400,
      'invalid_review',
      'the request has no body: send an AdmissionReview as application/json',
    );
  }

  const result = handleAdmissionReview(endpoint, body, options.currentConfig(), {
    namespaceModes: options.namespaceModes,
  });
  if (!result.ok) {
    throw new RequestError(
      400,
      'invalid_review',
      `not a usable AdmissionReview: ${result.message}`,
    );
  }

  const { outcome } = result;
  metrics.reviewFigures.reviewed(
    {
      endpoint,
      kind: outcome.routed ? outcome.kind : 'other',
      operation: outcome.operation,
      decision: outcome.decision,
      mode: outcome.mode,
    },
    outcome.violations,
  );

  const durationMs = reply.elapsedTime;
  const timeoutSeconds =
    typeof request.query.timeout === 'string'
      ? apiserverTimeoutSeconds(request.query.timeout)
      : undefined;
  if (timeoutSeconds !== undefined && durationMs > timeoutSeconds * 1000) {
    // Answered all the same: the apiserver may have given up, but a late answer costs nothing.
    metrics.errors.inc({ type: 'deadline_exceeded' });
    request.log.warn(
      { uid: outcome.uid, durationMs, timeoutSeconds },
      'review answered after the apiserver timeout',
    );
  }
  request.log.info(decisionLogFields(outcome, durationMs), 'admission review');
  return result.review;
}

/**
 * The apiserver never compresses a review; a compressed one would read as broken JSON. Node's
 * parser undoes a chunked Transfer-Encoding only, and passes any other coding (`gzip, chunked`)
 * through as it came.
 */
function checkContentEncoding(request: FastifyRequest): void {
  const encoding = request.headers['content-encoding'];
  if (encoding !== undefined && encoding.trim().toLowerCase() !== 'identity') {
    throw new RequestError(
      415,
      'unsupported_media_type',
      `Content-Encoding ${JSON.stringify(encoding.slice(0, 40))} is not accepted: send the AdmissionReview uncompressed`,
    );
  }
  const transfer = request.headers['transfer-encoding'];
  const codings = transfer?.split(',').map((coding) => coding.trim().toLowerCase()) ?? [];
  if (codings.some((coding) => coding !== 'chunked')) {
    throw new RequestError(
      415,
      'unsupported_media_type',
      `Transfer-Encoding ${JSON.stringify(transfer?.slice(0, 40))} is not accepted: send the AdmissionReview uncompressed`,
    );
  }
}

function checkClientCertificate(request: FastifyRequest): void {
  const socket = request.raw.socket as TLSSocket;
  if (socket.authorized) return;
  const presented =
    typeof socket.getPeerCertificate === 'function' &&
    Object.keys(socket.getPeerCertificate()).length > 0;
  const why = presented
    ? `the one presented was refused: ${String(socket.authorizationError)}`
    : 'none was presented';
  throw new RequestError(
    401,
    'client_certificate',
    `a client certificate signed by the configured client CA (server.tls.clientCAFile) is required; ${why}`,
  );
}
