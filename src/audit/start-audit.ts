/**
 * The running audit: cluster access, the controller, the leader election, the configuration
 * kept current, and a plain-HTTP server for the probes and /metrics (no reviews come here, so
 * no TLS: it is scraped and probed inside the pod network). A graceful stop: readiness false,
 * the worker finishes the workload in hand, the Lease is released, the socket closes.
 */
import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import Fastify, { LogController } from 'fastify';
import type { Logger } from 'pino';
import type { RuntimeGuardConfig } from '../config/load-config.ts';
import { createKubeApi } from '../kube/api-client.ts';
import type { ClusterAccess } from '../kube/cluster-access.ts';
import {
  BUILT_IN_WORKLOAD_RESOURCES,
  discoverResource,
  type ApiResource,
} from '../kube/resources.ts';
import { ConfigReloader } from '../server/config-reloader.ts';
import { healthRoutes, type ReadinessCheck } from '../server/health-routes.ts';
import { createServerMetrics } from '../server/metrics.ts';
import type { WatchFilesOptions } from '../server/watch-files.ts';
import { AuditController } from './audit-controller.ts';
import { metricsRoutes } from '../server/metrics.ts';
import { createAuditMetrics, type AuditMetrics } from './audit-metrics.ts';
import { createLeaseClient, createReportClient } from './kube-clients.ts';
import { LeaseElection } from './lease-election.ts';
import { reportApi, type ReportApiName } from './report-api.ts';
import { ReportWriter } from './report-writer.ts';
import { TokenBucket } from './token-bucket.ts';
import { createWatchStarter } from './object-cache.ts';

export interface AuditSettings {
  reportApi: ReportApiName;
  writesPerSecond: number;
  writeBurst: number;
  maxResults: number;
  host: string;
  port: number;
  leaseNamespace: string;
  leaseName: string;
  identity?: string | undefined;
  /** A full pass this often (0: only on leadership and configuration changes). */
  resyncSeconds: number;
  /** Leader election timings (tests shorten them). */
  leaseDurationMs?: number;
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
}

export interface StartAuditOptions {
  access: ClusterAccess;
  config: RuntimeGuardConfig;
  configFile?: { path: string; text: string } | undefined;
  settings: AuditSettings;
  logger: Logger;
  watch?: WatchFilesOptions;
}

export interface RunningAudit {
  port: number;
  metrics: AuditMetrics;
  controller: AuditController;
  election: LeaseElection;
  /** Idempotent. */
  shutdown(): Promise<void>;
}

export function defaultIdentity(): string {
  return `${hostname()}_${randomUUID().slice(0, 8)}`;
}

async function workloadResources(
  api: Awaited<ReturnType<typeof createKubeApi>>,
  config: RuntimeGuardConfig,
): Promise<ApiResource[]> {
  const resources = [...BUILT_IN_WORKLOAD_RESOURCES];
  for (const key of config.admission.extraKinds.keys()) {
    const slash = key.indexOf('/');
    resources.push(
      await discoverResource(api, { group: key.slice(0, slash), kind: key.slice(slash + 1) }),
    );
  }
  return resources;
}

export async function startAudit(options: StartAuditOptions): Promise<RunningAudit> {
  const { access, settings, logger: log } = options;
  const metrics = createAuditMetrics({ processMetrics: true });
  const api = await createKubeApi(access.kubeConfig);
  const resources = await workloadResources(api, options.config);
  const reports = reportApi(settings.reportApi);

  let reviewConfig = { policy: options.config.policy, admission: options.config.admission };
  const namespaceLabels = options.config.server.namespaceModes.enabled;
  let reloader: ConfigReloader | undefined;
  if (options.configFile) {
    // Its own counters go to a registry nobody scrapes; ours count the reloads it reports.
    reloader = new ConfigReloader(
      options.configFile.path,
      options.config,
      options.configFile.text,
      log,
      createServerMetrics(),
    );
  }

  const writer = new ReportWriter(
    reports,
    await createReportClient(access.kubeConfig, reports),
    new TokenBucket(settings.writesPerSecond, settings.writeBurst),
    log,
  );
  // The election calls back into the controller, which asks the election who leads.
  const controllerRef: { current?: AuditController } = {};
  const election = new LeaseElection(
    await createLeaseClient(access.kubeConfig, settings.leaseNamespace, settings.leaseName),
    {
      identity: settings.identity ?? defaultIdentity(),
      ...(settings.leaseDurationMs ? { leaseDurationMs: settings.leaseDurationMs } : {}),
      ...(settings.renewDeadlineMs ? { renewDeadlineMs: settings.renewDeadlineMs } : {}),
      ...(settings.retryPeriodMs ? { retryPeriodMs: settings.retryPeriodMs } : {}),
      log,
      onStartedLeading: () => {
        metrics.leader.set(1);
        controllerRef.current?.fullPass();
      },
      onStoppedLeading: () => metrics.leader.set(0),
    },
  );
  metrics.leader.set(0);
  metrics.cachesSynced.set(0);
  const controller = new AuditController({
    api,
    watcher: await createWatchStarter(access.kubeConfig),
    reportApi: reports,
    writer,
    workloadResources: resources,
    settings: () => ({ config: reviewConfig, namespaceLabels }),
    maxResults: settings.maxResults,
    isLeader: () => election.leading,
    metrics,
    log,
  });
  controllerRef.current = controller;
  const running = controller;

  reloader?.on('reload', (result) => {
    if (!result.ok) {
      metrics.configReloads.inc({ result: 'failure' });
      metrics.errors.inc({ type: 'config_reload' });
      return;
    }
    if (!result.changed || !reloader) return;
    metrics.configReloads.inc({ result: 'success' });
    reviewConfig = reloader.config;
    log.info('configuration changed: every workload is evaluated again');
    running.fullPass();
  });

  let stopping = false;
  const readiness: ReadinessCheck[] = [
    {
      name: 'caches',
      check: () => {
        const status = running.cacheStatus();
        return running.synced
          ? { ok: true, detail: `synced: ${status.synced.join(', ')}` }
          : { ok: false, detail: `listing: ${status.waiting.join(', ')}` };
      },
    },
    {
      name: 'leader',
      check: () => ({
        ok: true,
        detail: election.leading
          ? `leading as ${election.identity}: this replica writes reports`
          : `standing by as ${election.identity}; the Lease ${settings.leaseNamespace}/${settings.leaseName} is held by ${election.holder || 'nobody yet'}`,
      }),
    },
    {
      name: 'shutdown',
      check: () => ({ ok: !stopping, detail: stopping ? 'shutting down' : 'running' }),
    },
  ];
  if (reloader) readiness.push(reloader.readiness());

  const app = Fastify({
    loggerInstance: log,
    // Probes and scrapes every few seconds are no news worth a log line each.
    logController: new LogController({ disableRequestLogging: true }),
  });
  app.register(healthRoutes, { readiness });
  app.register(metricsRoutes, { metrics });
  await app.listen({ host: settings.host, port: settings.port });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : settings.port;

  controller.start();
  election.start();
  reloader?.start(options.watch ?? {});
  const resync =
    settings.resyncSeconds > 0
      ? setInterval(() => running.fullPass(), settings.resyncSeconds * 1000)
      : undefined;
  resync?.unref();
  log.info(
    {
      port,
      reportApi: reports.name,
      kinds: resources.map((r) => r.kind),
      lease: `${settings.leaseNamespace}/${settings.leaseName}`,
      identity: election.identity,
    },
    'runtime-guard audit started',
  );

  let done: Promise<void> | undefined;
  return {
    port,
    metrics,
    controller,
    election,
    shutdown() {
      done ??= (async () => {
        stopping = true;
        clearInterval(resync);
        reloader?.stop();
        await running.stop();
        await election.stop();
        await app.close();
        log.info('runtime-guard audit stopped');
      })();
      return done;
    },
  };
}
