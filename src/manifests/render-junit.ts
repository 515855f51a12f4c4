/**
 * The report as JUnit XML, which every CI server shows: a test suite per input, a test case per
 * pod-carrying object. A refused object fails with the webhook's lines; an exempt or skipped one
 * is skipped; warnings of warn and audit mode go to the case's output, and it passes.
 */
import type { CheckedObject, CheckReport, FileReport } from './check-report.ts';

/** XML 1.0 text: the five escapes, and no character XML cannot carry. */
function xml(text: string): string {
  return text
    .replace(/[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu, '\uFFFD')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

function findingLines(object: CheckedObject): string {
  return object.findings.map((f) => `${f.file}:${f.line}: ${f.message}`).join('\n');
}

function testCase(object: CheckedObject): string {
  const name = `${object.object.kind}/${object.object.name}`;
  const open = `    <testcase classname="${xml(object.file)}" name="${xml(name)}" file="${xml(object.file)}" line="${object.line}"`;
  switch (object.status) {
    case 'refused': {
      const first = object.findings[0]?.message ?? 'refused';
      const count = object.findings.length;
      return `${open}>\n      <failure type="refused" message="${xml(`${count === 1 ? '1 violation' : `${count} violations`}: ${first}`)}">${xml(findingLines(object))}</failure>\n    </testcase>`;
    }
    case 'exempt':
    case 'skipped':
      return `${open}>\n      <skipped message="${xml(object.reason ?? object.status)}"/>\n    </testcase>`;
    case 'warned':
    case 'audited':
      return `${open}>\n      <system-out>${xml(`${object.status}:\n${findingLines(object)}`)}</system-out>\n    </testcase>`;
    case 'passed':
      return `${open}/>`;
  }
}

function testSuite(file: FileReport): string {
  const failures = file.objects.filter((o) => o.status === 'refused').length;
  const skipped = file.objects.filter(
    (o) => o.status === 'exempt' || o.status === 'skipped',
  ).length;
  const head = `  <testsuite name="${xml(file.file)}" tests="${file.objects.length}" failures="${failures}" errors="0" skipped="${skipped}">`;
  if (file.objects.length === 0) return `${head}</testsuite>`;
  return `${head}\n${file.objects.map(testCase).join('\n')}\n  </testsuite>`;
}

export function renderJunit(report: CheckReport): string {
  const s = report.summary;
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="runtime-guard check" tests="${s.objects}" failures="${s.refused}" errors="0" skipped="${s.exempt + s.skipped}">`,
    ...report.files.map(testSuite),
    '</testsuites>',
    '',
  ].join('\n');
}
