/**
 * The scan report for a terminal: one row per finding (NAMESPACE, WORKLOAD, CONTAINER, RULE,
 * STATUS, FIX), the legacy-annotation call-outs, the fix lines to paste, the namespaces, and a
 * one-line total. Colour only when asked (a terminal without NO_COLOR); widths are measured
 * before colouring, so columns line up either way.
 */
import type { Finding, FindingStatus, ScanReport, WorkloadSummary } from './report-schema.ts';

export interface TableOptions {
  color: boolean;
}

const STATUS_COLOR: Record<FindingStatus, string> = {
  refused: '31',
  'fixed-by-mutation': '33',
  'running-unprotected': '35',
};

function paint(color: boolean, code: string, text: string): string {
  return color ? `\u001b[${code}m${text}\u001b[0m` : text;
}

/** Rows as aligned columns; `style` colours a cell after it is padded. */
function columns(
  rows: readonly (readonly string[])[],
  style: (row: number, column: number, text: string) => string = (_r, _c, t) => t,
): string[] {
  const widths: number[] = [];
  for (const row of rows)
    row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return rows.map((row, r) =>
    row
      .map((cell, i) => style(r, i, i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd(),
  );
}

export function workloadName(resource: Finding['resource']): string {
  return `${resource.kind}/${resource.name}`;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function fixLines(workload: WorkloadSummary): string[] {
  return [workload.kubectl.patch, workload.kubectl.restart].filter((l): l is string => l !== null);
}

export function renderTable(report: ScanReport, options: TableOptions): string {
  const { color } = options;
  const bold = (text: string) => paint(color, '1', text);
  const out: string[] = [];

  if (report.findings.length === 0) out.push('No findings.');
  else {
    const rows = [
      ['NAMESPACE', 'WORKLOAD', 'CONTAINER', 'RULE', 'STATUS', 'FIX'],
      ...report.findings.map((f) => [
        f.resource.namespace || '-',
        workloadName(f.resource),
        f.container ?? '(pod)',
        f.rule,
        f.status,
        f.fix,
      ]),
    ];
    out.push(
      ...columns(rows, (r, c, text) =>
        r === 0
          ? bold(text)
          : c === 4
            ? paint(color, STATUS_COLOR[report.findings[r - 1]?.status ?? 'refused'], text)
            : text,
      ),
    );
  }

  const legacy = report.findings.filter((f) => f.legacySeccompAnnotation !== null);
  if (legacy.length > 0) {
    out.push(
      '',
      bold(
        'Legacy seccomp annotations without a field: ignored since Kubernetes 1.27, these run with no syscall filter at all:',
      ),
    );
    for (const f of legacy) {
      const a = f.legacySeccompAnnotation as { key: string; value: string };
      const where = `${f.resource.namespace ? `${f.resource.namespace} ` : ''}${workloadName(f.resource)} ${f.subject}`;
      const pods = f.pods.length > 0 ? ` (${plural(f.pods.length, 'running pod')})` : '';
      out.push(`  ${where}: ${a.key}: ${a.value}${pods}`);
    }
  }

  const fixable = report.workloads.filter((w) => fixLines(w).length > 0);
  if (fixable.length > 0) {
    out.push('', bold('Fixes, per workload (paste into a shell):'));
    for (const w of fixable) {
      out.push(
        `# ${w.resource.namespace ? `${w.resource.namespace} ` : ''}${workloadName(w.resource)}: ${w.status}`,
      );
      out.push(...fixLines(w));
    }
  }

  out.push('');
  const nsRows = [
    ['NAMESPACE', 'MODE', 'WORKLOADS', 'PODS', 'FINDINGS', 'REFUSED', 'ENFORCE-READY'],
    ...report.namespaces.map((ns) => [
      ns.name || '(cluster)',
      `${ns.mode}${ns.modeSource === 'label' ? ' (label)' : ''}`,
      String(ns.workloads),
      String(ns.pods),
      ns.judged ? String(ns.findings) : '-',
      ns.judged ? String(ns.byStatus['refused'] ?? 0) : '-',
      ns.enforceReady === null
        ? ns.exempt
          ? `not judged: ${ns.exempt}`
          : 'not judged: mode off'
        : ns.enforceReady
          ? 'yes'
          : 'no',
    ]),
  ];
  out.push(...columns(nsRows, (r, _c, text) => (r === 0 ? bold(text) : text)));

  if (report.warnings.length > 0) {
    out.push('', bold('Warnings:'), ...report.warnings.map((w) => `  ${w}`));
  }

  const s = report.summary;
  const byStatus = Object.entries(s.byStatus)
    .filter(([, n]) => n > 0)
    .map(([status, n]) => `${n} ${status}`)
    .join(', ');
  const judged = report.namespaces.filter((ns) => ns.judged).length;
  out.push(
    '',
    `Total: ${plural(s.findings, 'finding')}${byStatus ? ` (${byStatus})` : ''} in ${plural(s.workloads, 'workload')} and ${plural(s.pods, 'running pod')}; ${s.enforceReadyNamespaces} of ${judged} judged ${judged === 1 ? 'namespace' : 'namespaces'} enforce-ready.`,
  );
  return `${out.join('\n')}\n`;
}
