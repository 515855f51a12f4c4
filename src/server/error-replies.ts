/**
 * Every request the server cannot answer with an AdmissionReview gets the same JSON shape,
 * `{ "error": "<HTTP reason>", "message": "<what exactly is wrong>" }`, a metric and one log line.
 * The message is written for the person reading a kube-apiserver log or a curl output.
 */
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { ErrorType, ServerMetrics } from './metrics.ts';

export interface ErrorReplyBody {
  error: string;
  message: string;
}

/** An error whose status and message are meant for the client as they are. */
export class RequestError extends Error {
  readonly statusCode: number;
  readonly type: ErrorType;
  /** Sent as `Retry-After`: when the client may try again. */
  readonly retryAfterSeconds: number | undefined;
  constructor(
    statusCode: number,
    type: ErrorType,
    message: string,
    options: { retryAfterSeconds?: number; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'RequestError';
    this.statusCode = statusCode;
    this.type = type;
    this.retryAfterSeconds = options.retryAfterSeconds;
  }
}

export function errorReplyBody(statusCode: number, message: string): ErrorReplyBody {
  return { error: STATUS_CODES[statusCode] ?? 'Error', message };
}

export function sendError(reply: FastifyReply, statusCode: number, message: string): FastifyReply {
  return reply
    .code(statusCode)
    .type('application/json; charset=utf-8')
    .send(errorReplyBody(statusCode, message));
}

function formatBytes(bytes: number): string {
  const mib = bytes / (1024 * 1024);
  return Number.isInteger(mib) ? `${bytes} bytes (${mib} MiB)` : `${bytes} bytes`;
}

export function bodyTooLargeMessage(limitBytes: number): string {
  return `the body is larger than the limit of ${formatBytes(limitBytes)} (server.bodyLimitBytes in the configuration)`;
}

interface DescribedError {
  statusCode: number;
  type: ErrorType;
  message: string;
}

/** Turns what Fastify, a parser or a handler threw into the reply the client gets. */
export function describeRequestError(error: FastifyError, request: FastifyRequest): DescribedError {
  if (error instanceof RequestError) {
    return { statusCode: error.statusCode, type: error.type, message: error.message };
  }
  switch (error.code) {
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE': {
      const contentType = request.headers['content-type'];
      const got = contentType ? `"${contentType}"` : 'no Content-Type header';
      return {
        statusCode: 415,
        type: 'unsupported_media_type',
        message: `Content-Type must be application/json, got ${got}`,
      };
    }
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return {
        statusCode: 413,
        type: 'body_too_large',
        message: bodyTooLargeMessage(request.routeOptions.bodyLimit),
      };
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return {
        statusCode: 400,
        type: 'bad_request',
        message: 'the body is shorter or longer than its Content-Length header says',
      };
  }
  const statusCode = error.statusCode ?? 500;
  if (statusCode >= 400 && statusCode < 500) {
    return { statusCode, type: 'bad_request', message: error.message };
  }
  return {
    statusCode: 500,
    type: 'internal',
    message: `runtime-guard failed while answering ${request.method} ${request.url.split('?')[0]} (request ${request.id}): ${error.message}; the server log has the details`,
  };
}

/**
 * For what Node's HTTP parser refuses before Fastify sees a request (two Content-Length headers,
 * Content-Length with Transfer-Encoding, an unknown method, a header too large or too slow): the
 * same JSON shape, counted and logged, then the connection is closed, as a parser error leaves
 * it unusable.
 */
export function clientErrorHandler(metrics: ServerMetrics, log: Logger) {
  return (error: Error & { code?: string; reason?: string }, socket: Socket): void => {
    // Nobody left to answer: a client that reset its connection, or a TLS socket whose failed
    // handshake tls-handshakes.ts has already destroyed and counted.
    if (socket.destroyed) return;
    const statusCode =
      error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? 408
        : error.code === 'HPE_HEADER_OVERFLOW'
          ? 431
          : 400;
    const message =
      statusCode === 408
        ? 'the request did not arrive in time (30 s for headers and body)'
        : `the request is not valid HTTP/1.1: ${error.reason ?? error.message}${error.code ? ` (${error.code})` : ''}`;
    metrics.errors.inc({ type: 'bad_request' });
    log.warn({ statusCode, errorType: 'bad_request', reason: message }, 'request rejected');
    if (socket.writable) {
      const body = JSON.stringify(errorReplyBody(statusCode, message));
      socket.end(
        `HTTP/1.1 ${statusCode} ${STATUS_CODES[statusCode] ?? 'Error'}\r\n` +
          'Content-Type: application/json; charset=utf-8\r\n' +
          `Content-Length: ${Buffer.byteLength(body)}\r\n` +
          'Connection: close\r\n\r\n' +
          body,
      );
    }
    socket.destroySoon();
  };
}

const ALL_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;

/**
 * Installs the error and not-found handlers on the root instance. Call it before registering
 * routes: it collects them to say, on a 404 or 405, what the server does serve.
 */
export function installErrorReplies(app: FastifyInstance, metrics: ServerMetrics): void {
  // A callback hook, not an async one: it runs on every request, and a promise costs more than the check.
  app.addHook('onRequest', (request, reply, done) => {
    if (request.headers.host !== undefined || request.raw.httpVersion !== '1.1') return done();
    reply.header('connection', 'close');
    done(
      new RequestError(
        400,
        'bad_request',
        'an HTTP/1.1 request must carry a Host header (RFC 9112, section 3.2)',
      ),
    );
  });

  const served: string[] = [];
  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat())
      if (method !== 'HEAD') served.push(`${method} ${route.url}`);
  });

  app.setErrorHandler((error: FastifyError, request, reply) => {
    const described = describeRequestError(error, request);
    metrics.errors.inc({ type: described.type });
    if (error instanceof RequestError && error.retryAfterSeconds !== undefined) {
      reply.header('retry-after', String(error.retryAfterSeconds));
    }
    if (described.statusCode >= 500) {
      request.log.error(
        { reqId: request.id, err: error, errorType: described.type },
        'request failed',
      );
    } else {
      const fields = {
        reqId: request.id,
        statusCode: described.statusCode,
        errorType: described.type,
        reason: described.message,
      };
      request.log.warn(fields, 'request rejected');
    }
    return sendError(reply, described.statusCode, described.message);
  });

  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0] ?? request.url;
    const allowed = ALL_METHODS.filter((method) => app.hasRoute({ method, url: path }));
    if (allowed.length > 0) {
      metrics.errors.inc({ type: 'method_not_allowed' });
      reply.header('allow', allowed.join(', '));
      return sendError(
        reply,
        405,
        `${path} answers ${allowed.filter((m) => m !== 'HEAD').join(', ')}, not ${request.method}`,
      );
    }
    metrics.errors.inc({ type: 'not_found' });
    return sendError(
      reply,
      404,
      `no route for ${request.method} ${path}; this server answers ${served.join(', ')}`,
    );
  });
}
