import { parseArgs } from 'node:util';
import { pino, type Logger } from 'pino';
import { LineBatches } from './line-batches.ts';
import { isoTime } from './log-time.ts';
import {
  configFromObject,
  parseConfigText,
  readConfigFile,
  type RuntimeGuardConfig,
} from '../config/load-config.ts';
import { startServer, type RunningServer } from '../server/start-server.ts';

export const SERVE_USAGE = `usage: runtime-guard serve [--config FILE]
  Runs the admission webhook over HTTPS: POST /validate, POST /mutate, GET /healthz,
  GET /readyz, GET /metrics. Logs are JSON lines on standard output.
  Without server.tls.certFile it makes a self-signed development certificate in .dev-certs/.
  The configuration file and the certificate files are reloaded when they change.
  SIGTERM: readiness turns false, reviews are answered for server.shutdown.drainSeconds,
  then in-flight reviews finish and it exits 0. SIGINT (Ctrl-C) skips the drain.
  --config FILE  configuration (YAML); default: baseline preset, enforce mode, port 8443`;

export const SAMPLE_REVIEW = 'examples/admission-review-pod.json';

/** Resolves with the exit code: 0 after a graceful shutdown, 2 when it cannot start. */
export async function runServe(argv: string[]): Promise<number> {
  let args;
  try {
    args = parseArgs({
      args: argv,
      options: { config: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    });
  } catch (error) {
    process.stderr.write(`runtime-guard serve: ${(error as Error).message}\n${SERVE_USAGE}\n`);
    return 2;
  }
  if (args.values.help) {
    process.stdout.write(`${SERVE_USAGE}\n`);
    return 0;
  }

  const path = args.values.config;
  let config: RuntimeGuardConfig;
  let text: string | undefined;
  try {
    if (path) {
      text = await readConfigFile(path);
      config = parseConfigText(text, path);
    } else {
      config = configFromObject({}, 'the built-in defaults');
    }
  } catch (error) {
    process.stderr.write(`runtime-guard serve: ${(error as Error).message}\n`);
    return 2;
  }

  const log = createServeLogger();
  let server: RunningServer;
  try {
    server = await startServer({
      config,
      configFile: path && text !== undefined ? { path, text } : undefined,
      logger: log,
    });
  } catch (error) {
    log.fatal({ err: error }, 'cannot start');
    process.stderr.write(`runtime-guard serve: cannot start: ${(error as Error).message}\n`);
    return 2;
  }
  printSampleCommand(server, config);

  const signal = await nextSignal();
  process.once('SIGTERM', () => forceExit(log, 'SIGTERM'));
  process.once('SIGINT', () => forceExit(log, 'SIGINT'));
  log.info({ signal }, 'signal received');
  await server.shutdown(signal === 'SIGINT' ? { drainSeconds: 0 } : {});
  // Everything is closed; should a stray handle hold the event loop, do not wait on it.
  setTimeout(() => process.exit(), 2000).unref();
  return 0;
}

/**
 * JSON lines on standard output, written in batches: one line per review written on its own
 * cost a thread-pool write per review, about 10 % of the server's CPU under load
 * (BENCHMARKS.md). Lines wait for 16 KiB or at most 200 ms (line-batches.ts), and whatever is
 * held is written before the process exits, however it exits.
 */
export function createServeLogger(options: { level?: string } = {}): Logger {
  const destination = pino.destination({ dest: 1, sync: false, maxWrite: 65536 });
  const lines = new LineBatches(destination, { fd: 1, batchChars: 16384, maxDelayMs: 200 });
  process.once('beforeExit', () => lines.handOver());
  process.once('exit', () => lines.flushSync());
  return pino(
    {
      name: 'runtime-guard',
      timestamp: isoTime,
      ...(options.level ? { level: options.level } : {}),
    },
    lines,
  );
}

function nextSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const onSignal = (signal: NodeJS.Signals) => {
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
      resolve(signal);
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });
}

function forceExit(log: Logger, signal: NodeJS.Signals): void {
  log.warn({ signal }, 'second signal during shutdown: exiting now');
  process.exit(1);
}

/** Standard error, so that standard output stays JSON log lines. */
function printSampleCommand(server: RunningServer, config: RuntimeGuardConfig): void {
  const { host } = config.server;
  const shownHost =
    host === '0.0.0.0' || host === '::' ? 'localhost' : host.includes(':') ? `[${host}]` : host;
  const url = `https://${shownHost}:${server.port}`;
  const trust = server.devCertificate
    ? server.devCertificate.caFile
      ? `--cacert ${server.devCertificate.caFile}`
      : '--insecure'
    : '--cacert YOUR-CA.crt';
  const lines = [
    `runtime-guard is serving ${url} (${server.devCertificate ? 'self-signed development certificate' : 'certificate from server.tls.certFile'})`,
    'Send it a sample review:',
    `  curl ${trust} -H 'Content-Type: application/json' --data @${SAMPLE_REVIEW} ${url}/validate`,
    `  curl ${trust} ${url}/readyz`,
    'Stop it with Ctrl-C.',
  ];
  process.stderr.write(`${lines.join('\n')}\n`);
}
