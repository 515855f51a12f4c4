/**
 * The server's Prometheus metrics, in a registry of their own so that several servers (tests)
 * never collide in prom-client's global one. Label values come from bounded sets: endpoint,
 * decision, mode, rule, error type, and the kinds the webhook configuration routes to us.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { FastifyPluginAsync } from 'fastify';

/**
 * Seconds. Fine steps below a millisecond, where a review usually lands, and the apiserver's
 * own webhook latency buckets (5 ms, 25 ms, 100 ms …) so both sides can be compared.
 */
export const REVIEW_DURATION_BUCKETS = [
  0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
];

/** Every value the `type` label of `runtime_guard_errors_total` takes. */
export type ErrorType =
  | 'malformed_json'
  | 'invalid_review'
  | 'unsupported_media_type'
  | 'body_too_large'
  | 'not_found'
  | 'method_not_allowed'
  | 'client_certificate'
  | 'bad_request'
  | 'internal'
  | 'deadline_exceeded'
  | 'tls_handshake'
  | 'tls_handshake_timeout'
  | 'connection_limit'
  | 'body_too_complex'
  | 'overloaded'
  | 'certificate_reload'
  | 'config_reload'
  | 'namespace_watch';

export interface ServerMetrics {
  registry: Registry;
  /** What each review adds, handed to the metrics below in batches. */
  reviewFigures: ReviewFigures;
  reviews: Counter<'endpoint' | 'kind' | 'operation' | 'decision' | 'mode'>;
  violations: Counter<'rule'>;
  reviewDuration: Histogram<'endpoint'>;
  reviewsInFlight: Gauge<'endpoint'>;
  bytesInFlight: Gauge;
  certificateReloads: Counter<'result'>;
  certificateExpiry: Gauge;
  configReloads: Counter<'result'>;
  namespaceCacheSynced: Gauge;
  errors: Counter<'type'>;
}

export function createServerMetrics(options: { processMetrics?: boolean } = {}): ServerMetrics {
  const registry = new Registry();
  if (options.processMetrics) collectDefaultMetrics({ register: registry });
  const registers = [registry];
  // Each metric a review moves brings the batch up to date before it is read.
  const flush = () => metrics.reviewFigures.flush();
  const metrics: ServerMetrics = {
    registry,
    reviewFigures: new ReviewFigures(() => metrics),
    reviews: new Counter({
      name: 'runtime_guard_admission_reviews_total',
      help: 'AdmissionReviews answered, by endpoint, object kind, operation, decision and effective mode.',
      labelNames: ['endpoint', 'kind', 'operation', 'decision', 'mode'],
      registers,
      collect: flush,
    }),
    violations: new Counter({
      name: 'runtime_guard_policy_violations_total',
      help: 'Policy violations found in reviewed pods, by rule.',
      labelNames: ['rule'],
      registers,
      collect: flush,
    }),
    reviewDuration: new Histogram({
      name: 'runtime_guard_admission_review_duration_seconds',
      help: 'Time from the first byte of an admission request to the last byte of its answer.',
      labelNames: ['endpoint'],
      buckets: REVIEW_DURATION_BUCKETS,
      registers,
      collect: flush,
    }),
    reviewsInFlight: new Gauge({
      name: 'runtime_guard_admission_requests_in_flight',
      help: 'Admission requests received and not yet answered.',
      labelNames: ['endpoint'],
      registers,
      collect: flush,
    }),
    bytesInFlight: new Gauge({
      name: 'runtime_guard_admission_bytes_in_flight',
      help: 'Memory reserved by admission requests being read, parsed and answered (estimated bytes; bounded by server.maxBytesInFlight).',
      registers,
      collect: flush,
    }),
    certificateReloads: new Counter({
      name: 'runtime_guard_certificate_reloads_total',
      help: 'Serving certificate reloads after a change on disk; result="failure" kept the previous certificate.',
      labelNames: ['result'],
      registers,
    }),
    certificateExpiry: new Gauge({
      name: 'runtime_guard_certificate_expiry_timestamp_seconds',
      help: 'When the serving certificate in use expires (Unix time).',
      registers,
    }),
    configReloads: new Counter({
      name: 'runtime_guard_config_reloads_total',
      help: 'Configuration file reloads after a change on disk; result="failure" kept the previous configuration.',
      labelNames: ['result'],
      registers,
    }),
    namespaceCacheSynced: new Gauge({
      name: 'runtime_guard_namespace_cache_synced',
      help: '1 once the namespace informer has listed namespaces (per-namespace modes apply), 0 before.',
      registers,
    }),
    errors: new Counter({
      name: 'runtime_guard_errors_total',
      help: 'Errors by type: rejected requests, internal errors, failed reloads and watches.',
      labelNames: ['type'],
      registers,
    }),
  };
  return metrics;
}

interface ReviewLabels {
  endpoint: string;
  kind: string;
  operation: string;
  decision: string;
  mode: string;
}

/**
 * What each review adds to the metrics, kept as plain values and handed to prom-client in
 * batches: when a metric is read (a scrape) and every {@link ReviewFigures.BATCH} reviews.
 * prom-client hashes and validates the labels on every update; through the apiserver, where calls
 * come one at a time onto cold caches, its five updates a review cost about 18 µs of CPU.
 */
export class ReviewFigures {
  static readonly BATCH = 256;
  readonly #metrics: () => ServerMetrics;
  #reviews: ReviewLabels[] = [];
  #rules: string[] = [];
  #durations: { endpoint: string; seconds: number }[] = [];
  readonly #inFlight = new Map<string, number>();
  #bytesInFlight: () => number = () => 0;

  constructor(metrics: () => ServerMetrics) {
    this.#metrics = metrics;
  }

  /** Where the bytes-in-flight gauge reads its value (the server's memory budget). */
  readBytesInFlightFrom(read: () => number): void {
    this.#bytesInFlight = read;
  }

  requestStarted(endpoint: string): void {
    this.#inFlight.set(endpoint, (this.#inFlight.get(endpoint) ?? 0) + 1);
  }

  requestEnded(endpoint: string): void {
    this.#inFlight.set(endpoint, (this.#inFlight.get(endpoint) ?? 1) - 1);
  }

  reviewed(labels: ReviewLabels, violations: readonly { rule: string }[]): void {
    this.#reviews.push(labels);
    for (const { rule } of violations) this.#rules.push(rule);
    // A pod of thousands of containers has thousands of violations: those bound the batch too.
    if (
      this.#reviews.length >= ReviewFigures.BATCH ||
      this.#rules.length >= ReviewFigures.BATCH * 16
    )
      this.flush();
  }

  answered(endpoint: string, seconds: number): void {
    this.#durations.push({ endpoint, seconds });
    if (this.#durations.length >= ReviewFigures.BATCH) this.flush();
  }

  /** Hands everything recorded so far to the metrics. */
  flush(): void {
    const metrics = this.#metrics();
    const reviews = this.#reviews;
    const rules = this.#rules;
    const durations = this.#durations;
    this.#reviews = [];
    this.#rules = [];
    this.#durations = [];
    for (const labels of reviews) metrics.reviews.inc(labels);
    for (const rule of rules) metrics.violations.inc({ rule });
    for (const { endpoint, seconds } of durations)
      metrics.reviewDuration.observe({ endpoint }, seconds);
    for (const [endpoint, count] of this.#inFlight)
      metrics.reviewsInFlight.set({ endpoint }, count);
    metrics.bytesInFlight.set(this.#bytesInFlight());
  }
}

/** GET /metrics in the Prometheus text format, for any process's registry (serve, audit). */
export const metricsRoutes: FastifyPluginAsync<{ metrics: { registry: Registry } }> = async (
  app,
  { metrics },
) => {
  app.get('/metrics', async (_request, reply) => {
    reply.type(metrics.registry.contentType);
    return metrics.registry.metrics();
  });
};
