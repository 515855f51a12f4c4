/**
 * The report for a terminal or a CI log: one line per finding, `file:line: Kind/name: <the
 * webhook's own line>`, then what was exempt, skipped or left unfixed, and a closing count.
 */
import type { CheckedObject, CheckReport, FileReport } from './check-report.ts';

const MODE_NOTE = {
  enforce: '',
  warn: ' (warn mode: admitted with a warning)',
  audit: ' (audit mode: admitted, recorded)',
} as const;

function objectName(object: CheckedObject): string {
  return `${object.object.kind}/${object.object.name}`;
}

function plural(count: number, one: string, many = `${one}s`): string {
  return `${count} ${count === 1 ? one : many}`;
}

function fileLines(file: FileReport): string[] {
  const lines: string[] = [];
  if (file.helmTemplate) {
    lines.push(
      `${file.file}: a template of the Helm chart ${file.helmTemplate.chart}, not checked: render it first (helm template ${file.helmTemplate.chart} | runtime-guard check -)`,
    );
  }
  for (const object of file.objects) {
    const where = `${object.file}:${object.line}: ${objectName(object)}`;
    if (object.reason) lines.push(`${where}: ${object.status}: ${object.reason}`);
    for (const finding of object.findings)
      lines.push(
        `${finding.file}:${finding.line}: ${objectName(object)}: ${finding.message}${MODE_NOTE[finding.mode]}`,
      );
    for (const note of object.notes) lines.push(`${where}: note: ${note}`);
  }
  for (const unfixed of file.fixed?.unfixed ?? []) {
    lines.push(
      `${unfixed.file}:${unfixed.line}: not rewritten (${unfixed.reason}); make these changes by hand: ${unfixed.changes.join('; ')}`,
    );
  }
  return lines;
}

/** Objects rendered by Helm that --fix changed: the chart itself has to change. */
export function helmAdvice(report: CheckReport): string[] {
  const bySource = new Map<string, string[]>();
  for (const file of report.files) {
    if (!file.fixed) continue;
    for (const object of file.objects) {
      if (!object.renderedFrom || object.changes.length === 0) continue;
      const changes = bySource.get(object.renderedFrom) ?? [];
      changes.push(...object.changes.map((change) => `${objectName(object)}: ${change}`));
      bySource.set(object.renderedFrom, changes);
    }
  }
  return [...bySource].map(
    ([source, changes]) =>
      `${source}: rendered by Helm; --fix rewrote the rendered output, not the chart. Make the change in that template (or in the values it reads): ${changes.join('; ')}`,
  );
}

export function summaryLine(report: CheckReport): string {
  const s = report.summary;
  const counts = [
    s.refused && `${s.refused} refused`,
    s.warned && `${s.warned} warned`,
    s.audited && `${s.audited} audited`,
    s.passed && `${s.passed} passed`,
    s.exempt && `${s.exempt} exempt`,
    s.skipped && `${s.skipped} skipped`,
  ].filter(Boolean);
  const judged = report.mutation ? 'after mutation' : 'as written';
  let line = `runtime-guard check: ${plural(s.objects, 'object')} in ${plural(s.files, 'input')} (${report.preset} policy, ${judged})`;
  if (counts.length > 0) line += `: ${counts.join(', ')}`;
  const fixing = report.files.some((file) => file.fixed);
  if (s.mutated > 0)
    line += `; ${s.mutated} changed by the mutating webhook${fixing ? '' : ' (--fix writes those changes)'}`;
  const ignored = [
    s.otherKinds && plural(s.otherKinds, 'object') + ' of kinds without pods',
    s.notKubernetes && plural(s.notKubernetes, 'non-Kubernetes document'),
    s.helmTemplates && plural(s.helmTemplates, 'Helm template'),
  ].filter(Boolean);
  if (ignored.length > 0) line += `; not judged: ${ignored.join(', ')}`;
  return line;
}

export function renderText(report: CheckReport): string {
  const lines = report.files.flatMap(fileLines);
  lines.push(...helmAdvice(report));
  lines.push(summaryLine(report));
  return `${lines.join('\n')}\n`;
}
