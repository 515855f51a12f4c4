import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { setFlagsFromString } from 'node:v8';
import type { ScanReport } from '../inspect/report-schema.ts';
import type { Policy } from '../policy/policy.ts';

export const SCAN_USAGE = `usage: runtime-guard scan [--kubeconfig FILE] [--context NAME] [-n NAMESPACE]...
                         [--config FILE] [--output table|json|html|policyreport] [--out FILE]
                         [--fail-on refused|any|never] [--page-size N]
  Reads what runs in a cluster and judges it as the webhook would: each owning workload's pod
  template (mutation first, then validation) and its running pods. One finding per workload and
  violation, with the fix, its JSON Patch and the kubectl lines that apply it.
  --kubeconfig FILE  default: $KUBECONFIG, ~/.kube/config, else the pod's service account
  --context NAME     a context of the kubeconfig (default: its current context)
  -n, --namespace NS only this namespace (repeatable; default: all)
  --config FILE      the webhook's configuration (YAML); default: baseline preset, enforce, and
                     runtime-guard.io/mode labels read (as the Helm chart sets it up)
  --output FORMAT    table (default), json (docs: src/inspect/scan-report.schema.json), html (one
                     self-contained file), policyreport (wgpolicyk8s.io/v1alpha2 PolicyReports)
  --out FILE         write the report to FILE instead of standard output
  --fail-on LEVEL    exit 1 when a finding is refused (default), any finding, or never
  --page-size N      items per list request (default 500)
exit codes: 0 nothing at or above --fail-on, 1 findings, 2 bad input or the cluster unreadable`;

const OUTPUTS = ['table', 'json', 'html', 'policyreport'] as const;
const FAIL_ON = ['refused', 'any', 'never'] as const;
type Output = (typeof OUTPUTS)[number];
type FailOn = (typeof FAIL_ON)[number];

function usageError(message: string): number {
  process.stderr.write(`runtime-guard scan: ${message}\n${SCAN_USAGE}\n`);
  return 2;
}

export function exitCodeFor(report: ScanReport, failOn: FailOn): number {
  if (failOn === 'never') return 0;
  if (failOn === 'any') return report.findings.length > 0 ? 1 : 0;
  return report.findings.some((f) => f.status === 'refused') ? 1 : 0;
}

/**
 * V8's defaults suit a server, not a batch over pages: it grows the young generation to tens of
 * MiB while a page is live, then lets promoted pages pile up in old space, so a 5,000-pod scan
 * reached 330 MiB of RSS for a live set under 60 MiB. A young generation that does not grow and
 * an old one that grows by 20 % per collection keep it under 200 MiB (BENCHMARKS.md, "Scan").
 * Both are read at each collection, so setting them before the first page is enough.
 */
export const SCAN_V8_FLAGS = ['--semi-space-growth-factor=1', '--heap-growing-percent=20'] as const;

async function render(
  report: ScanReport,
  output: Output,
  color: boolean,
  policy: Policy,
): Promise<string> {
  const { renderHtml } = await import('../inspect/render-html.ts');
  const { renderPolicyReports } = await import('../inspect/render-policyreport.ts');
  const { renderTable } = await import('../inspect/render-table.ts');
  switch (output) {
    case 'table':
      return renderTable(report, { color });
    case 'json':
      return `${JSON.stringify(report, null, 2)}\n`;
    case 'html':
      return renderHtml(report);
    case 'policyreport':
      return renderPolicyReports(report, policy);
  }
}

/** Returns the exit code. */
export async function runScan(argv: string[]): Promise<number> {
  let args;
  try {
    args = parseArgs({
      args: argv,
      options: {
        kubeconfig: { type: 'string' },
        context: { type: 'string' },
        namespace: { type: 'string', short: 'n', multiple: true },
        config: { type: 'string' },
        output: { type: 'string', short: 'o', default: 'table' },
        out: { type: 'string' },
        'fail-on': { type: 'string', default: 'refused' },
        'page-size': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      allowPositionals: false,
    });
  } catch (error) {
    return usageError((error as Error).message);
  }
  const values = args.values;
  if (values.help) {
    process.stdout.write(`${SCAN_USAGE}\n`);
    return 0;
  }
  const output = values.output as Output;
  if (!OUTPUTS.includes(output))
    return usageError(`--output must be one of ${OUTPUTS.join(', ')}, got "${values.output}"`);
  const failOn = values['fail-on'] as FailOn;
  if (!FAIL_ON.includes(failOn))
    return usageError(`--fail-on must be one of ${FAIL_ON.join(', ')}, got "${values['fail-on']}"`);
  let pageSize: number | undefined;
  if (values['page-size'] !== undefined) {
    pageSize = Number(values['page-size']);
    if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > 10_000)
      return usageError(
        `--page-size must be a whole number from 1 to 10000, got "${values['page-size']}"`,
      );
  }
  const namespaces = values.namespace ? [...new Set(values.namespace)] : undefined;
  for (const ns of namespaces ?? []) {
    if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(ns) || ns.length > 63)
      return usageError(`-n ${JSON.stringify(ns)} is not a namespace name`);
  }

  for (const flag of SCAN_V8_FLAGS) setFlagsFromString(flag);

  // Loaded only now: @kubernetes/client-node alone takes 80 MiB and a second or two, which
  // --help and bad options need not pay.
  const { ConfigError, defaultReviewConfig, loadConfigFile } =
    await import('../config/load-config.ts');
  const { createProgressReporter } = await import('../inspect/progress.ts');
  const { ScanError, scanCluster } = await import('../inspect/scan-cluster.ts');
  const { ClusterRequestError, createKubeApi } = await import('../kube/api-client.ts');
  const { ClusterAccessError, loadClusterAccess } = await import('../kube/cluster-access.ts');
  const progress = createProgressReporter({ stream: process.stderr });
  try {
    let config;
    let namespaceLabels = true;
    if (values.config !== undefined) {
      const loaded = await loadConfigFile(values.config);
      config = { policy: loaded.policy, admission: loaded.admission };
      namespaceLabels = loaded.server.namespaceModes.enabled;
    } else config = defaultReviewConfig();
    const access = loadClusterAccess({ kubeconfig: values.kubeconfig, context: values.context });
    const api = await createKubeApi(access.kubeConfig);
    const report = await scanCluster(api, {
      config,
      namespaceLabels,
      namespaces,
      context: access.context,
      ...(pageSize ? { pageSize } : {}),
      onProgress: (p) => progress.update(p),
    });
    progress.stop();
    const color =
      values.out === undefined && process.stdout.isTTY === true && !process.env['NO_COLOR'];
    const text = await render(report, output, color, config.policy);
    if (values.out !== undefined) {
      try {
        await writeFile(values.out, text);
      } catch (error) {
        process.stderr.write(
          `runtime-guard scan: cannot write ${values.out}: ${(error as NodeJS.ErrnoException).code ?? String(error)}\n`,
        );
        return 2;
      }
    } else process.stdout.write(text);
    return exitCodeFor(report, failOn);
  } catch (error) {
    progress.stop();
    const known =
      error instanceof ConfigError ||
      error instanceof ClusterAccessError ||
      error instanceof ClusterRequestError ||
      error instanceof ScanError;
    process.stderr.write(
      `runtime-guard scan: ${known ? '' : 'internal error: '}${(error as Error).message}\n`,
    );
    return 2;
  }
}
