/**
 * The Fastify app, one plugin per concern: errors, health, metrics, admission routes. It does
 * not listen: tests drive it with inject(), and start-server.ts adds TLS and a socket.
 */
import type { ServerOptions as HttpsServerOptions } from 'node:https';
import type { Server as TlsServer } from 'node:tls';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { pino, type Logger } from 'pino';
import { DEFAULT_BODY_LIMIT_BYTES, DEFAULT_MAX_BYTES_IN_FLIGHT } from '../config/server-schema.ts';
import type { NamespaceModeLookup } from '../admission/review-request.ts';
import type { ReviewConfig } from '../admission/settings.ts';
import { admissionRoutes } from './admission-routes.ts';
import { clientErrorHandler, installErrorReplies } from './error-replies.ts';
import { healthRoutes, type ReadinessCheck } from './health-routes.ts';
import { createServerMetrics, metricsRoutes, type ServerMetrics } from './metrics.ts';
import { MemoryBudget } from './memory-budget.ts';
import { BUDGET_WAIT_MS, ReviewBodyReader } from './review-body.ts';
import { TLS_HANDSHAKE_TIMEOUT_MS, watchTlsHandshakes } from './tls-handshakes.ts';

/** The kube-apiserver keeps idle webhook connections for 90 s; closing ours later means it never reuses one we just closed. */
export const IDLE_CONNECTION_TIMEOUT_MS = 120_000;

/** The longest a request may take to arrive: the apiserver waits 30 s at most for a webhook. */
export const REQUEST_RECEIVE_TIMEOUT_MS = 30_000;

export { DEFAULT_BODY_LIMIT_BYTES } from '../config/server-schema.ts';

export interface BuildServerOptions {
  /** The policy and admission settings for the next review (a reloaded file applies at once). */
  currentConfig(): ReviewConfig;
  namespaceModes?: NamespaceModeLookup | undefined;
  readiness?: readonly ReadinessCheck[];
  metrics?: ServerMetrics;
  /** Default: silent. */
  logger?: Logger;
  bodyLimitBytes?: number;
  /** Memory admission requests may hold together while read, parsed and answered (memory-budget.ts). */
  maxBytesInFlight?: number;
  /** Serve HTTPS with these options; without them, plain HTTP (for inject()). */
  https?: HttpsServerOptions | undefined;
  /** Connections held at once, TLS handshakes included; Node closes any beyond at accept. */
  maxConnections?: number | undefined;
  requireClientCertificate?: boolean | undefined;
  /** While true, every reply asks the client to close its connection, so it moves to another replica. */
  isShuttingDown?: () => boolean;
}

export function buildServer(options: BuildServerOptions): FastifyInstance {
  const metrics = options.metrics ?? createServerMetrics();
  const logger = options.logger ?? pino({ level: 'silent' });
  const bodyLimit = options.bodyLimitBytes ?? DEFAULT_BODY_LIMIT_BYTES;
  const budget = new MemoryBudget(
    options.maxBytesInFlight ?? DEFAULT_MAX_BYTES_IN_FLIGHT,
    BUDGET_WAIT_MS,
  );
  metrics.reviewFigures.readBytesInFlightFrom(() => budget.inUse);
  const common = {
    loggerInstance: logger,
    clientErrorHandler: clientErrorHandler(metrics, logger),
    // One line per decision comes from the admission routes; Fastify's per-request lines would double it.
    logController: new LogController({ disableRequestLogging: true }),
    // request.log is the server's logger itself, not a child bound to a request id: a pino child
    // per request cost about 4 µs of every review. The decision line carries the review's uid,
    // and error lines name the request id themselves (error-replies.ts).
    childLoggerFactory: (parent: FastifyBaseLogger) => parent,
    bodyLimit,
    keepAliveTimeout: IDLE_CONNECTION_TIMEOUT_MS,
    requestTimeout: REQUEST_RECEIVE_TIMEOUT_MS,
    // A socket with no traffic for longer than an idle keep-alive connection may have (a client
    // that stopped reading its answer) is closed: without it, it and the answer stay for ever.
    connectionTimeout: IDLE_CONNECTION_TIMEOUT_MS + 10_000,
    // On close, requests already on a connection are answered (with Connection: close), not refused with 503.
    return503OnClosing: false,
    forceCloseConnections: 'idle' as const,
  };
  // Node's own Host check answers a bare 400 that nobody counts; error-replies.ts makes the same check.
  const http = { requireHostHeader: false };
  const app = (options.https
    ? Fastify({
        ...common,
        https: { ...http, handshakeTimeout: TLS_HANDSHAKE_TIMEOUT_MS, ...options.https },
      })
    : Fastify({ ...common, http })) as unknown as FastifyInstance;

  // Headers are part of the request: the same 30 s (Node's default is 60 s).
  app.server.headersTimeout = REQUEST_RECEIVE_TIMEOUT_MS;
  if (options.maxConnections !== undefined) app.server.maxConnections = options.maxConnections;
  if (options.https) {
    const handshakes = watchTlsHandshakes(app.server as unknown as TlsServer, metrics, logger);
    // server.close() waits for every socket, and these would only go at their deadline.
    app.addHook('preClose', async () => {
      const destroyed = handshakes.destroyPending();
      if (destroyed > 0)
        logger.info({ sockets: destroyed }, 'closed connections still in their TLS handshake');
    });
  }
  installErrorReplies(app, metrics);
  // Only the admission routes read bodies (review-body.ts, within the budget). Any other route
  // answers without reading: Node discards the body after the reply. Fastify's own JSON parser
  // would parse an 8 MiB body sent to a 404 outside any budget.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_request, _payload, done) => done(null, undefined));
  const { isShuttingDown } = options;
  if (isShuttingDown) {
    // A callback hook: an async one costs a promise on every reply.
    app.addHook('onSend', (_request, reply, payload, done) => {
      if (isShuttingDown()) reply.header('connection', 'close');
      done(null, payload);
    });
  }
  app.register(healthRoutes, { readiness: options.readiness ?? [] });
  app.register(metricsRoutes, { metrics });
  app.register(admissionRoutes, {
    currentConfig: options.currentConfig,
    namespaceModes: options.namespaceModes,
    metrics,
    requireClientCertificate: options.requireClientCertificate,
    bodies: new ReviewBodyReader(budget, bodyLimit),
  });
  return app;
}
