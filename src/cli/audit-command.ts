import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { isoTime } from './log-time.ts';
import {
  configFromObject,
  parseConfigText,
  readConfigFile,
  type RuntimeGuardConfig,
} from '../config/load-config.ts';
import type { ClusterAccess } from '../kube/cluster-access.ts';
import { DEFAULT_MAX_RESULTS } from '../audit/build-report.ts';
import { isReportApiName, REPORT_APIS } from '../audit/report-api.ts';
import type { AuditSettings, RunningAudit } from '../audit/start-audit.ts';

export const AUDIT_USAGE = `usage: runtime-guard audit [--config FILE] [options]
  Runs in the cluster beside the webhook (never in it: scanning must not slow admission) and
  keeps one policy report per owning workload current, judged as runtime-guard scan judges it.
  Only the replica that holds the Lease writes. GET /healthz, /readyz (caches synced), /metrics
  on plain HTTP. SIGTERM: stops after the workload in hand and releases the Lease.
  --config FILE             configuration (YAML), reloaded when it changes; default: baseline preset
  --kubeconfig FILE         default: $KUBECONFIG, ~/.kube/config, else the pod's service account
  --context NAME            a context of that kubeconfig
  --report-api API          ${REPORT_APIS.join(' | ')} (default ${REPORT_APIS[0]})
  --writes-per-second N     report writes per second at most (default 5)
  --write-burst N           writes allowed at once above that rate (default 20)
  --max-results N           results kept in one report (default ${DEFAULT_MAX_RESULTS}); always under 1 MiB
  --resync-seconds N        evaluate every workload again this often; 0: never (default 600)
  --lease-namespace NS      where the Lease lives (default: $POD_NAMESPACE, else default)
  --lease-name NAME         default runtime-guard-audit
  --identity ID             this replica's name on the Lease (default: host name and a random suffix)
  --host HOST --port N      where /healthz, /readyz and /metrics listen (default 0.0.0.0:8080)
  --log-level LEVEL         debug | info | warn | error (default info)`;

class UsageError extends Error {}

function number(
  value: string | undefined,
  flag: string,
  fallback: number,
  min: number,
  integer: boolean,
): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n < min || (integer && !Number.isInteger(n)))
    throw new UsageError(
      `${flag} ${JSON.stringify(value)}: expected ${integer ? 'an integer' : 'a number'} of at least ${min}`,
    );
  return n;
}

/** Resolves with the exit code: 0 after a graceful stop, 2 when it cannot start. */
export async function runAudit(argv: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        config: { type: 'string' },
        kubeconfig: { type: 'string' },
        context: { type: 'string' },
        'report-api': { type: 'string' },
        'writes-per-second': { type: 'string' },
        'write-burst': { type: 'string' },
        'max-results': { type: 'string' },
        'resync-seconds': { type: 'string' },
        'lease-namespace': { type: 'string' },
        'lease-name': { type: 'string' },
        identity: { type: 'string' },
        host: { type: 'string' },
        port: { type: 'string' },
        'log-level': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (error) {
    process.stderr.write(`runtime-guard audit: ${(error as Error).message}\n${AUDIT_USAGE}\n`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(`${AUDIT_USAGE}\n`);
    return 0;
  }

  let settings: AuditSettings;
  let config: RuntimeGuardConfig;
  let text: string | undefined;
  let access: ClusterAccess;
  const logLevel = values['log-level'] ?? 'info';
  try {
    const api = values['report-api'] ?? REPORT_APIS[0];
    if (!isReportApiName(api))
      throw new UsageError(
        `--report-api ${JSON.stringify(api)}: expected one of ${REPORT_APIS.join(', ')}`,
      );
    if (!['debug', 'info', 'warn', 'error'].includes(logLevel))
      throw new UsageError(
        `--log-level ${JSON.stringify(logLevel)}: expected debug, info, warn or error`,
      );
    settings = {
      reportApi: api,
      writesPerSecond: number(values['writes-per-second'], '--writes-per-second', 5, 0.01, false),
      writeBurst: number(values['write-burst'], '--write-burst', 20, 1, true),
      maxResults: number(values['max-results'], '--max-results', DEFAULT_MAX_RESULTS, 1, true),
      resyncSeconds: number(values['resync-seconds'], '--resync-seconds', 600, 0, false),
      host: values.host ?? '0.0.0.0',
      port: number(values.port, '--port', 8080, 0, true),
      leaseNamespace: values['lease-namespace'] || process.env['POD_NAMESPACE'] || 'default',
      leaseName: values['lease-name'] ?? 'runtime-guard-audit',
      identity: values.identity,
    };
    if (settings.port > 65535) throw new UsageError(`--port ${settings.port}: at most 65535`);
    const path = values.config;
    if (path) {
      text = await readConfigFile(path);
      config = parseConfigText(text, path);
    } else {
      config = configFromObject({}, 'the built-in defaults');
    }
    // The Kubernetes client library takes a second to load: not before the options are known good.
    const { loadClusterAccess } = await import('../kube/cluster-access.ts');
    access = loadClusterAccess({ kubeconfig: values.kubeconfig, context: values.context });
  } catch (error) {
    process.stderr.write(`runtime-guard audit: ${(error as Error).message}\n`);
    return 2;
  }

  const log = pino({
    name: 'runtime-guard-audit',
    level: logLevel,
    timestamp: isoTime,
  });
  let audit: RunningAudit;
  try {
    const { startAudit } = await import('../audit/start-audit.ts');
    audit = await startAudit({
      access,
      config,
      configFile: values.config && text !== undefined ? { path: values.config, text } : undefined,
      settings,
      logger: log,
    });
  } catch (error) {
    log.fatal({ err: error }, 'cannot start');
    process.stderr.write(`runtime-guard audit: cannot start: ${(error as Error).message}\n`);
    return 2;
  }

  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGTERM', () => resolve('SIGTERM'));
    process.once('SIGINT', () => resolve('SIGINT'));
  });
  process.once('SIGTERM', () => process.exit(1));
  process.once('SIGINT', () => process.exit(1));
  log.info({ signal }, 'signal received');
  await audit.shutdown();
  setTimeout(() => process.exit(), 2000).unref();
  return 0;
}
