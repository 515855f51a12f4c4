/**
 * The scan report as one self-contained HTML file a security engineer can hand on: a summary per
 * namespace, the findings grouped by workload with their fixes, and the kubectl lines to paste.
 * No scripts and no external assets (a Content-Security-Policy that allows none), every value
 * escaped (names and annotation values come from the cluster), and print styles so it reads on
 * paper: no backgrounds needed for the status, long lines wrap.
 */
import type {
  Finding,
  FindingStatus,
  NamespaceSummary,
  ScanReport,
  WorkloadSummary,
} from './report-schema.ts';

export function escapeHtml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

const e = escapeHtml;

const STATUS_TEXT: Record<string, string> = {
  refused: 'refused',
  'fixed-by-mutation': 'fixed by mutation',
  'running-unprotected': 'running unprotected',
  compliant: 'compliant',
  exempt: 'exempt',
  off: 'off',
  malformed: 'malformed',
};

function badge(status: string): string {
  return `<span class="badge s-${e(status)}">${e(STATUS_TEXT[status] ?? status)}</span>`;
}

function where(r: Finding['resource']): string {
  return `${r.namespace ? `${r.namespace} / ` : ''}${r.kind}/${r.name}`;
}

const STYLE = `
:root { --refused: #b00020; --fixed: #8a5a00; --running: #6a1b9a; --ok: #1b5e20; --muted: #555; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #111; margin: 2rem auto; max-width: 72rem; padding: 0 1rem; }
h1 { font-size: 1.6rem; margin: 0 0 .25rem; }
h2 { font-size: 1.25rem; margin: 2rem 0 .5rem; border-bottom: 1px solid #ccc; padding-bottom: .2rem; }
h3 { font-size: 1.05rem; margin: 1.5rem 0 .4rem; }
.meta { color: var(--muted); margin: 0 0 1rem; }
.total { font-weight: 600; }
table { border-collapse: collapse; width: 100%; margin: .3rem 0 .8rem; }
th, td { text-align: left; vertical-align: top; padding: .3rem .5rem; border-bottom: 1px solid #ddd; overflow-wrap: anywhere; }
table.findings { table-layout: fixed; }
table.findings col.c-container { width: 11%; } table.findings col.c-rule { width: 14%; }
table.findings col.c-status { width: 12%; } table.findings col.c-what { width: 38%; } table.findings col.c-fix { width: 25%; }
th { font-weight: 600; border-bottom: 2px solid #999; }
td.num { text-align: right; }
code, pre { font: 12.5px/1.4 ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; }
pre { background: #f5f5f5; border: 1px solid #ddd; padding: .5rem .7rem; white-space: pre-wrap; overflow-wrap: anywhere; margin: .3rem 0; }
.badge { display: inline-block; border: 1px solid currentColor; border-radius: .6rem; padding: 0 .45rem; font-size: .85em; white-space: nowrap; }
.s-refused { color: var(--refused); font-weight: 700; }
.s-fixed-by-mutation { color: var(--fixed); }
.s-running-unprotected { color: var(--running); }
.s-compliant, .ready-yes { color: var(--ok); }
.s-exempt, .s-off, .s-malformed, .ready-na { color: var(--muted); }
.ready-no { color: var(--refused); font-weight: 700; }
.callout { border-left: 4px solid var(--refused); padding: .3rem .7rem; margin: .5rem 0; }
section.workload { break-inside: avoid-page; }
.label { color: var(--muted); font-size: .9em; }
@media print {
  body { margin: 0; max-width: none; font-size: 11pt; }
  pre { background: none; }
  h2 { break-after: avoid-page; }
  a { color: inherit; text-decoration: none; }
}
`;

function namespaceRow(ns: NamespaceSummary): string {
  const ready =
    ns.enforceReady === null
      ? `<span class="ready-na">not judged: ${e(ns.exempt ?? 'mode off')}</span>`
      : ns.enforceReady
        ? '<span class="ready-yes">yes</span>'
        : '<span class="ready-no">no</span>';
  const cell = (n: number | undefined) =>
    `<td class="num">${ns.judged ? String(n ?? 0) : '–'}</td>`;
  return `<tr><td>${e(ns.name || '(cluster)')}</td><td>${e(ns.mode)}${ns.modeSource === 'label' ? ' <span class="label">(label)</span>' : ''}</td><td class="num">${ns.workloads}</td><td class="num">${ns.pods}</td>${cell(ns.findings)}${cell(ns.byStatus['refused'])}<td>${ready}</td></tr>`;
}

function findingRow(f: Finding): string {
  const pods =
    f.pods.length > 0 ? `<br><span class="label">pods: ${e(f.pods.join(', '))}</span>` : '';
  return `<tr><td>${e(f.subject)}</td><td><code>${e(f.rule)}</code><br><span class="label">${e(f.severity)}</span></td><td>${badge(f.status)}</td><td>${e(f.message)}<br><span class="label">field</span> <code>${e(f.field)}</code>${pods}</td><td>${e(f.fix)}</td></tr>`;
}

function workloadSection(w: WorkloadSummary, findings: readonly Finding[]): string {
  const legacy = findings
    .filter((f) => f.legacySeccompAnnotation)
    .map(
      (f) =>
        `<p class="callout">${e(f.subject)} carries the legacy annotation <code>${e(f.legacySeccompAnnotation?.key ?? '')}: ${e(f.legacySeccompAnnotation?.value ?? '')}</code> but no seccompProfile field: Kubernetes ignores the annotation since 1.27, so ${f.pods.length === 1 ? 'its running pod runs' : f.pods.length > 1 ? `its ${f.pods.length} running pods run` : 'its pods would run'} with no syscall filter at all.</p>`,
    )
    .join('');
  const lines = [w.kubectl.patch, w.kubectl.restart].filter((l): l is string => l !== null);
  const fixes =
    lines.length > 0
      ? `<p class="label">Fix the whole workload (paste into a shell):</p><pre>${lines.map(e).join('\n')}</pre>`
      : '';
  return `<section class="workload"><h3>${e(where(w.resource))} ${badge(w.status)}</h3><p class="label">${e(w.resource.apiVersion)} · ${w.pods} running pod${w.pods === 1 ? '' : 's'} · ${findings.length} finding${findings.length === 1 ? '' : 's'}</p>${legacy}<table class="findings"><colgroup><col class="c-container"><col class="c-rule"><col class="c-status"><col class="c-what"><col class="c-fix"></colgroup><thead><tr><th>Container</th><th>Rule</th><th>Status</th><th>What is wrong</th><th>Fix</th></tr></thead><tbody>${findings.map(findingRow).join('')}</tbody></table>${fixes}</section>`;
}

export function renderHtml(report: ScanReport): string {
  const s = report.summary;
  const statusCount = (status: FindingStatus) => s.byStatus[status] ?? 0;
  const judged = report.namespaces.filter((ns) => ns.judged).length;
  const key = (r: Finding['resource']) => `${r.namespace}\u0000${r.kind}\u0000${r.name}`;
  const byWorkload = new Map<string, Finding[]>();
  for (const f of report.findings) {
    const list = byWorkload.get(key(f.resource)) ?? [];
    list.push(f);
    byWorkload.set(key(f.resource), list);
  }
  const withFindings = report.workloads.filter((w) => byWorkload.has(key(w.resource)));
  const without = report.workloads.filter((w) => !byWorkload.has(key(w.resource)));
  const title = `runtime-guard scan of ${report.source.server}`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${e(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<h1>runtime-guard scan report</h1>
<p class="meta">Cluster <code>${e(report.source.server)}</code> (context ${e(report.source.context)})${report.source.namespaces ? `, namespaces ${e(report.source.namespaces.join(', '))}` : ''} · policy ${e(report.policy.preset)}, mode ${e(report.policy.mode)} · ${e(report.generatedAt)}</p>
<p class="total" id="total">${s.findings} finding${s.findings === 1 ? '' : 's'}: ${statusCount('refused')} refused, ${statusCount('fixed-by-mutation')} fixed by mutation, ${statusCount('running-unprotected')} running unprotected, in ${s.workloads} workloads and ${s.pods} running pods. ${s.enforceReadyNamespaces} of ${judged} judged namespaces are enforce-ready.</p>
<p class="meta">Refused: enforce would deny the pod template even after the mutating webhook's fixes. Fixed by mutation: the mutating webhook fixes it on the next create. Running unprotected: pods running now lack the protection and need replacing.</p>
<h2>Namespaces</h2>
<table id="namespaces"><thead><tr><th>Namespace</th><th>Mode</th><th>Workloads</th><th>Pods</th><th>Findings</th><th>Refused</th><th>Enforce-ready</th></tr></thead><tbody>
${report.namespaces.map(namespaceRow).join('\n')}
</tbody></table>
<h2>Findings by workload</h2>
${withFindings.length === 0 ? '<p>No findings.</p>' : withFindings.map((w) => workloadSection(w, byWorkload.get(key(w.resource)) ?? [])).join('\n')}
<h2>Other workloads</h2>
${without.length === 0 ? '<p>None.</p>' : `<table id="others"><thead><tr><th>Workload</th><th>Status</th><th>Pods</th><th>Why</th></tr></thead><tbody>${without.map((w) => `<tr><td>${e(where(w.resource))}</td><td>${badge(w.status)}</td><td class="num">${w.pods}</td><td>${e(w.reason ?? '')}</td></tr>`).join('')}</tbody></table>`}
${report.warnings.length > 0 ? `<h2>Warnings</h2><ul>${report.warnings.map((w) => `<li>${e(w)}</li>`).join('')}</ul>` : ''}
</body>
</html>
`;
}
