/**
 * The audit's Prometheus metrics, in a registry of its own. Labels come from bounded sets:
 * write outcomes, report kinds, error types.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

export type AuditErrorType = 'evaluate' | 'write' | 'watch' | 'config_reload';

export interface AuditMetrics {
  registry: Registry;
  workloadsEvaluated: Counter;
  reportWrites: Counter<'operation'>;
  reportsUnchanged: Counter;
  queueDepth: Gauge;
  lastFullPass: Gauge;
  fullPassDuration: Gauge;
  leader: Gauge;
  cachesSynced: Gauge;
  cachedObjects: Gauge<'resource'>;
  configReloads: Counter<'result'>;
  errors: Counter<'type'>;
  evaluationDuration: Histogram;
}

export function createAuditMetrics(options: { processMetrics?: boolean } = {}): AuditMetrics {
  const registry = new Registry();
  if (options.processMetrics) collectDefaultMetrics({ register: registry });
  const registers = [registry];
  return {
    registry,
    workloadsEvaluated: new Counter({
      name: 'runtime_guard_audit_workloads_evaluated_total',
      help: 'Owning workloads evaluated (each change of one of its objects, each full pass).',
      registers,
    }),
    reportWrites: new Counter({
      name: 'runtime_guard_audit_report_writes_total',
      help: 'Report writes to the API server, by operation (create, update, delete).',
      labelNames: ['operation'],
      registers,
    }),
    reportsUnchanged: new Counter({
      name: 'runtime_guard_audit_reports_unchanged_total',
      help: 'Reports not written because their content hash was the one in the cluster.',
      registers,
    }),
    queueDepth: new Gauge({
      name: 'runtime_guard_audit_queue_depth',
      help: 'Workloads waiting to be evaluated.',
      registers,
    }),
    lastFullPass: new Gauge({
      name: 'runtime_guard_audit_last_full_pass_timestamp_seconds',
      help: 'When the last full pass over every workload finished (Unix time); 0 before the first.',
      registers,
    }),
    fullPassDuration: new Gauge({
      name: 'runtime_guard_audit_last_full_pass_duration_seconds',
      help: 'How long the last full pass took, writes included.',
      registers,
    }),
    leader: new Gauge({
      name: 'runtime_guard_audit_leader',
      help: '1 while this replica holds the Lease and writes reports, else 0.',
      registers,
    }),
    cachesSynced: new Gauge({
      name: 'runtime_guard_audit_caches_synced',
      help: '1 once every informer has listed its kind, else 0.',
      registers,
    }),
    cachedObjects: new Gauge({
      name: 'runtime_guard_audit_cached_objects',
      help: 'Objects in the informer caches, by resource.',
      labelNames: ['resource'],
      registers,
    }),
    configReloads: new Counter({
      name: 'runtime_guard_audit_config_reloads_total',
      help: 'Configuration file reloads; result="failure" kept the previous configuration.',
      labelNames: ['result'],
      registers,
    }),
    errors: new Counter({
      name: 'runtime_guard_audit_errors_total',
      help: 'Errors by type: a workload that could not be evaluated, a failed write, a failed list or watch.',
      labelNames: ['type'],
      registers,
    }),
    evaluationDuration: new Histogram({
      name: 'runtime_guard_audit_evaluation_duration_seconds',
      help: 'Time to evaluate one workload and build its report (writes not included).',
      buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1],
      registers,
    }),
  };
}
