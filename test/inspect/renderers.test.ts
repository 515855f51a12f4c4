/**
 * The outputs of one report: the table against a golden file (UPDATE_GOLDEN=1 rewrites it), the
 * JSON against its schema (and the committed JSON Schema against the zod source), the HTML
 * escaped and self-contained, the Policy Reports counted. The HTML in a real browser is the e2e
 * test's (test/e2e/scan.test.ts).
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { defaultReviewConfig } from '../../src/config/load-config.ts';
import { escapeHtml, renderHtml } from '../../src/inspect/render-html.ts';
import { policyReportsOf, renderPolicyReports } from '../../src/inspect/render-policyreport.ts';
import { renderTable } from '../../src/inspect/render-table.ts';
import {
  SCHEMA_FILE,
  scanReportJsonSchema,
  scanReportSchema,
} from '../../src/inspect/report-schema.ts';
import { deployment, fold, namespace, podOf, RD, replicaSet } from './support.ts';

const ESC = String.fromCharCode(27);
const GOLDEN = join(import.meta.dirname, 'testdata', 'table.golden.txt');

function sampleReport() {
  const web = deployment(
    'web',
    'shop',
    { containers: [{ name: 'app', image: 'nginx' }] },
    { annotations: { 'seccomp.security.alpha.kubernetes.io/pod': 'runtime/default' } },
  );
  const rs = replicaSet('web-1', 'shop', web, { containers: [{ name: 'app', image: 'nginx' }] });
  const legacy = { 'seccomp.security.alpha.kubernetes.io/pod': 'runtime/default' };
  const agent = deployment('agent', 'shop', {
    securityContext: RD,
    containers: [
      {
        name: 'agent',
        image: 'agent',
        securityContext: { privileged: true, capabilities: { add: ['NET_ADMIN'] } },
      },
    ],
  });
  return fold({
    config: defaultReviewConfig({ exemptions: { namespaces: ['kube-system'] } }),
    namespaces: [
      namespace('shop', { 'runtime-guard.io/mode': 'audit' }),
      namespace('legacy', { 'runtime-guard.io/mode': 'off' }),
      namespace('kube-system'),
      namespace('ready'),
    ],
    workloads: [
      web,
      rs,
      agent,
      deployment('ok', 'ready', { securityContext: RD, containers: [{ name: 'a', image: 'a' }] }),
    ],
    pods: [
      podOf(
        'web-1-a',
        'shop',
        rs,
        { containers: [{ name: 'app', image: 'nginx' }] },
        { annotations: legacy },
      ),
      podOf(
        'web-1-b',
        'shop',
        rs,
        { containers: [{ name: 'app', image: 'nginx' }] },
        { annotations: legacy },
      ),
      podOf('<script>x', 'legacy', undefined, { containers: [{ name: 'a', image: 'a' }] }),
    ],
  });
}

describe('scan outputs', () => {
  const report = sampleReport();

  it('table: findings, legacy call-outs, fix lines, namespaces and the total, as the golden file', () => {
    const text = renderTable(report, { color: false });
    if (process.env['UPDATE_GOLDEN'] === '1') writeFileSync(GOLDEN, text);
    assert.equal(text, readFileSync(GOLDEN, 'utf8'));
    assert.ok(!text.includes(`${ESC}[`), 'no colour unless asked');
  });

  it('table: colour marks statuses without moving the columns', () => {
    const plain = renderTable(report, { color: false });
    const coloured = renderTable(report, { color: true });
    assert.match(coloured, new RegExp(`${ESC}\\[31mrefused\\s*${ESC}\\[0m`));
    assert.ok(coloured.includes(`${ESC}[33mfixed-by-mutation${ESC}[0m`));
    assert.equal(coloured.replace(new RegExp(`${ESC}\\[[0-9;]*m`, 'g'), ''), plain);
  });

  it('json: the report parses with its schema, and the committed JSON Schema is current', () => {
    const parsed = scanReportSchema.parse(JSON.parse(JSON.stringify(report)));
    assert.equal(parsed.schemaVersion, 1);
    assert.deepEqual(JSON.parse(readFileSync(SCHEMA_FILE, 'utf8')), scanReportJsonSchema());
    const schema = scanReportJsonSchema() as {
      properties: Record<string, { description?: string }>;
    };
    assert.ok(schema.properties['findings']?.description, 'fields carry their documentation');
  });

  it('html: self-contained, every value escaped, findings grouped by workload with their fixes', () => {
    const html = renderHtml(report);
    assert.match(html, /^<!doctype html>/);
    assert.match(
      html,
      /Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'"/,
    );
    assert.doesNotMatch(
      html,
      /<script|<link|<img|src=|href=|url\(|@import/i,
      'no scripts, no external assets',
    );
    assert.ok(html.includes('&lt;script&gt;x'), 'names from the cluster are escaped');
    assert.ok(html.includes('shop / Deployment/agent'));
    assert.ok(
      html.includes(
        escapeHtml(report.workloads.find((w) => w.resource.name === 'agent')?.kubectl.patch ?? '-'),
      ),
    );
    assert.match(html, /no syscall filter at all/);
    assert.match(html, /@media print/);
    assert.equal(
      escapeHtml(`<a href="x">'&'</a>`),
      '&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;',
    );
  });

  it('policyreport: the in-cluster audit reports, one per workload, a result per finding', () => {
    const policy = defaultReviewConfig().policy;
    const docs = parseAllDocuments(renderPolicyReports(report, policy)).map(
      (d) => d.toJS() as Record<string, unknown>,
    );
    assert.deepEqual(docs, JSON.parse(JSON.stringify(policyReportsOf(report, policy))));
    type Doc = {
      apiVersion: string;
      kind: string;
      metadata: { name: string; namespace: string; ownerReferences: { uid: string }[] };
      scope: { kind: string; name: string; uid: string };
      summary: Record<string, number>;
      results: { result: string; rule?: string; properties?: Record<string, string> }[];
    };
    const byWorkload = new Map(
      (docs as Doc[]).map((d) => [`${d.metadata.namespace} ${d.scope.kind}/${d.scope.name}`, d]),
    );
    assert.deepEqual(
      [...byWorkload.keys()].sort(),
      report.workloads
        .map((w) => `${w.resource.namespace} ${w.resource.kind}/${w.resource.name}`)
        .sort(),
    );
    const web = byWorkload.get('shop Deployment/web');
    assert.ok(web);
    assert.equal(web.apiVersion, 'wgpolicyk8s.io/v1alpha2');
    assert.equal(web.kind, 'PolicyReport');
    assert.equal(web.metadata.name, 'runtime-guard-uid-deploy-web');
    assert.equal(web.metadata.ownerReferences[0]?.uid, 'uid-deploy-web');
    assert.equal(web.summary['warn'], 1);
    const warn = web.results.find((r) => r.result === 'warn');
    assert.equal(warn?.rule, 'seccompRequired');
    assert.equal(warn?.properties?.['status'], 'fixed-by-mutation');
    assert.equal(warn?.properties?.['podNames'], 'web-1-a, web-1-b');
    for (const value of Object.values(warn?.properties ?? {})) assert.equal(typeof value, 'string');
    assert.equal(byWorkload.get('shop Deployment/agent')?.summary['fail'], 2);
    assert.equal(byWorkload.get('ready Deployment/ok')?.summary['fail'], 0);
    assert.ok((byWorkload.get('ready Deployment/ok')?.summary['pass'] ?? 0) > 0);
    assert.deepEqual(
      byWorkload.get('legacy Pod/<script>x')?.results.map((r) => r.result),
      ['skip'],
    );
  });
});
