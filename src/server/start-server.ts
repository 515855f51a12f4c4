/**
 * The running webhook: the app from buildServer() on an HTTPS socket, with the certificate,
 * the configuration and the namespace modes kept current, and a graceful shutdown:
 *
 * 1. readiness turns false and every reply asks its client to close the connection, while
 *    reviews are still answered for `drainSeconds` (endpoints drop the pod meanwhile);
 * 2. the socket stops accepting, idle connections close, in-flight reviews finish;
 * 3. after `timeoutSeconds` whatever is left is cut, so the process always ends.
 */
import type { Server as TlsServer } from 'node:tls';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { RuntimeGuardConfig } from '../config/load-config.ts';
import { buildServer } from './build-server.ts';
import { CertificateReloader } from './certificate-reloader.ts';
import { ConfigReloader } from './config-reloader.ts';
import type { ReadinessCheck } from './health-routes.ts';
import { createServerMetrics, type ServerMetrics } from './metrics.ts';
import {
  createNamespaceInformer,
  findClusterAccess,
  NamespaceModeCache,
} from './namespace-modes.ts';
import { readTlsCredentials, type TlsCredentials } from './tls-credentials.ts';
import type { WatchFilesOptions } from './watch-files.ts';

export interface StartServerOptions {
  config: RuntimeGuardConfig;
  /** The file `config` came from, watched for changes; absent: built-in defaults, nothing to reload. */
  configFile?: { path: string; text: string } | undefined;
  logger: Logger;
  /** Where the development certificate goes when no certificate files are configured. */
  devCertDir?: string;
  watch?: WatchFilesOptions;
}

export interface RunningServer {
  app: FastifyInstance;
  port: number;
  metrics: ServerMetrics;
  certificates: CertificateReloader | undefined;
  configuration: ConfigReloader | undefined;
  namespaceModes: NamespaceModeCache | undefined;
  /** Set when serving the self-made development certificate: the CA file that trusts it. */
  devCertificate: { caFile: string | undefined } | undefined;
  /** Idempotent; resolves once the socket is closed. */
  shutdown(options?: { drainSeconds?: number }): Promise<void>;
}

export async function startServer(options: StartServerOptions): Promise<RunningServer> {
  const { config, logger: log } = options;
  const settings = config.server;
  const metrics = createServerMetrics({ processMetrics: true });
  const readiness: ReadinessCheck[] = [];

  let credentials: TlsCredentials;
  let certificates: CertificateReloader | undefined;
  let devCertificate: RunningServer['devCertificate'];
  const { certFile, keyFile, clientCAFile } = settings.tls;
  if (certFile && keyFile) {
    const files = { certFile, keyFile, clientCAFile };
    credentials = await readTlsCredentials(files);
    certificates = new CertificateReloader(files, credentials, log, metrics);
    readiness.push(certificates.readiness());
  } else {
    const { ensureDevelopmentCertificate } = await import('./dev-certificate.ts');
    const dev = await ensureDevelopmentCertificate(options.devCertDir);
    credentials = dev.credentials;
    devCertificate = { caFile: dev.caFile };
    metrics.certificateExpiry.set(credentials.summary.notAfter.getTime() / 1000);
    log.warn(
      { ...credentials.summary, caFile: dev.caFile, created: dev.created },
      'no server.tls.certFile configured: serving a self-signed development certificate',
    );
    readiness.push({
      name: 'certificate',
      check: () => ({
        ok: true,
        detail: `development certificate for ${credentials.summary.names}`,
      }),
    });
  }

  let configuration: ConfigReloader | undefined;
  if (options.configFile) {
    configuration = new ConfigReloader(
      options.configFile.path,
      config,
      options.configFile.text,
      log,
      metrics,
    );
    readiness.push(configuration.readiness());
  } else {
    readiness.push({
      name: 'configuration',
      check: () => ({ ok: true, detail: 'built-in defaults (no --config file)' }),
    });
  }
  const currentConfig = configuration ? () => configuration.config : () => config;

  const namespaceModes = settings.namespaceModes.enabled
    ? await startNamespaceModes(log, metrics)
    : undefined;
  if (namespaceModes) readiness.push(namespaceModes.readiness());

  let shuttingDown = false;
  readiness.push({
    name: 'shutdown',
    check: () =>
      shuttingDown ? { ok: false, detail: 'shutting down' } : { ok: true, detail: 'serving' },
  });

  const app = buildServer({
    currentConfig,
    namespaceModes,
    readiness,
    metrics,
    logger: log,
    bodyLimitBytes: settings.bodyLimitBytes,
    maxConnections: settings.maxConnections,
    maxBytesInFlight: settings.maxBytesInFlight,
    https: {
      cert: credentials.cert,
      key: credentials.key,
      minVersion: 'TLSv1.2',
      // The kube-apiserver speaks HTTP/1.1 to webhooks; say so instead of leaving it to chance.
      ALPNProtocols: ['http/1.1'],
      // How often expired requests are looked for (Node: every 30 s), so that the 30 s to send a
      // request is 30–35 s, not up to a minute.
      connectionsCheckingInterval: 5_000,
      // Asked for, not demanded: probes and scrapers have no client certificate, so the admission routes check it.
      ...(credentials.ca
        ? { ca: credentials.ca, requestCert: true, rejectUnauthorized: false }
        : {}),
    },
    requireClientCertificate: Boolean(credentials.ca),
    isShuttingDown: () => shuttingDown,
  });
  // Released once the socket has closed and the last request on it was answered.
  app.addHook('onClose', async () => {
    certificates?.stop();
    configuration?.stop();
    await namespaceModes?.stop();
  });

  try {
    await app.listen({ host: settings.host, port: settings.port });
  } catch (error) {
    await app.close();
    throw error;
  }
  const tlsServer = app.server as unknown as TlsServer;
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : settings.port;
  certificates?.start(tlsServer, options.watch);
  configuration?.start(options.watch);
  log.info(
    { host: settings.host, port, certificate: credentials.summary.subject },
    'runtime-guard serving',
  );

  let closing: Promise<void> | undefined;
  const shutdown = async (drainSeconds: number) => {
    shuttingDown = true;
    log.info(
      { drainSeconds, timeoutSeconds: settings.shutdown.timeoutSeconds },
      'shutting down: readiness is false, draining',
    );
    if (drainSeconds > 0) await sleep(drainSeconds * 1000);
    const closed = app.close();
    const timeout = new AbortController();
    const outcome = await Promise.race([
      closed.then(() => 'closed' as const),
      sleep(settings.shutdown.timeoutSeconds * 1000, 'timeout' as const, {
        signal: timeout.signal,
      }).catch(() => 'closed' as const),
    ]);
    timeout.abort();
    if (outcome === 'timeout') {
      log.warn(
        { timeoutSeconds: settings.shutdown.timeoutSeconds },
        'in-flight requests outlived the shutdown timeout; closing their connections',
      );
      app.server.closeAllConnections();
      await closed;
    }
    log.info('shutdown complete');
  };

  return {
    app,
    port,
    metrics,
    certificates,
    configuration,
    namespaceModes,
    devCertificate,
    shutdown(shutdownOptions = {}) {
      closing ??= shutdown(shutdownOptions.drainSeconds ?? settings.shutdown.drainSeconds);
      return closing;
    },
  };
}

async function startNamespaceModes(
  log: Logger,
  metrics: ServerMetrics,
): Promise<NamespaceModeCache | undefined> {
  const kubeConfig = await findClusterAccess();
  if (!kubeConfig) {
    log.warn(
      'server.namespaceModes is enabled but no cluster is reachable (not in a pod, no kubeconfig): the configured mode applies to every namespace',
    );
    return undefined;
  }
  const cache = new NamespaceModeCache(await createNamespaceInformer(kubeConfig), log, metrics);
  cache.start();
  return cache;
}
