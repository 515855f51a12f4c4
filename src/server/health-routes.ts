/**
 * GET /healthz: the process answers (liveness; a failing readiness check must never restart it).
 * GET /readyz: it should get reviews (readiness): every check passes, e.g. a certificate is
 * loaded, the configuration is valid, the namespace cache is synced, no shutdown under way.
 * Both answer JSON, with each check's detail, for a person reading `curl` output.
 */
import type { FastifyPluginAsync } from 'fastify';

export interface ReadinessResult {
  ok: boolean;
  detail: string;
}

export interface ReadinessCheck {
  name: string;
  check(): ReadinessResult;
}

export interface ReadinessReport {
  status: 'ready' | 'not ready';
  checks: Record<string, ReadinessResult>;
}

export function readinessReport(checks: readonly ReadinessCheck[]): ReadinessReport {
  const results: Record<string, ReadinessResult> = {};
  for (const { name, check } of checks) results[name] = check();
  const ready = Object.values(results).every((result) => result.ok);
  return { status: ready ? 'ready' : 'not ready', checks: results };
}

export const healthRoutes: FastifyPluginAsync<{ readiness: readonly ReadinessCheck[] }> = async (
  app,
  { readiness },
) => {
  app.get('/healthz', async () => ({ status: 'alive' }));
  app.get('/readyz', async (_request, reply) => {
    const report = readinessReport(readiness);
    reply.code(report.status === 'ready' ? 200 : 503);
    return report;
  });
};
