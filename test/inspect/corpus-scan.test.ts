/**
 * The scan against runtime-guard's fixture corpus (test/testdata): every failing fixture, of
 * every kind, judged by the fold as the scan judges it. The statuses must follow from the
 * fixture's own header (what is refused is what stays after mutation), and every patch the
 * report hands over must apply to the object and remove what it says it fixes.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { applyPatch, type Operation } from 'rfc6902';
import { parseAllDocuments } from 'yaml';
import { loadConfigFile } from '../../src/config/load-config.ts';
import type { Finding, JsonPatch, ScanReport } from '../../src/inspect/report-schema.ts';
import { readFixtureHeader, PRESETS } from '../testdata/corpus.ts';
import { fold, namespace, type Json } from './support.ts';

const TESTDATA = join(import.meta.dirname, '..', 'testdata');

function scanOne(object: Json, config: Awaited<ReturnType<typeof loadConfigFile>>): ScanReport {
  const ns = String((object.metadata as Json).namespace);
  const input = { namespaces: [namespace(ns)], config, namespaceLabels: false };
  return object.kind === 'Pod'
    ? fold({ ...input, pods: [object] })
    : fold({ ...input, workloads: [object] });
}

const ruleField = (f: Pick<Finding, 'rule' | 'field'>) => `${f.rule} ${f.field}`;
const isEphemeral = (item: string) =>
  item.split(' ')[1]?.startsWith('spec.ephemeralContainers') ?? false;

function applied(object: Json, patch: JsonPatch): Json {
  const copy = structuredClone(object);
  const errors = applyPatch(copy, patch as Operation[]);
  assert.deepEqual(
    errors.map((e) => e?.message ?? null),
    patch.map(() => null),
    `patch applies: ${JSON.stringify(patch)}`,
  );
  return copy;
}

for (const preset of PRESETS) {
  describe(`scan of the ${preset} corpus`, async () => {
    const config = await loadConfigFile(join(TESTDATA, preset, 'config.yaml'));
    const dir = join(TESTDATA, preset, 'fail');
    for (const file of readdirSync(dir).sort()) {
      const text = readFileSync(join(dir, file), 'utf8');
      const header = readFixtureHeader(text);
      const object = parseAllDocuments(text)[0]?.toJS() as Json;
      it(`${file}: statuses follow the fixture's expectations, every patch fixes what it says`, () => {
        const report = scanOne(object, config);
        const of = (status: Finding['status']) =>
          report.findings
            .filter((f) => f.status === status)
            .map(ruleField)
            .sort();
        const expected = new Set(header.violations);
        const after = new Set(header.afterMutation);
        // A bare pod is judged as created again, without its ephemeral containers; those are
        // what its running copy adds.
        const ephemeralRunning = object.kind === 'Pod' ? [...expected].filter(isEphemeral) : [];
        const template = (items: Iterable<string>) =>
          [...items].filter((i) => !(object.kind === 'Pod' && isEphemeral(i))).sort();
        assert.deepEqual(of('refused'), template(after), 'refused: what stays after mutation');
        assert.deepEqual(
          of('fixed-by-mutation'),
          template([...expected].filter((i) => !after.has(i))),
          'fixed-by-mutation: what mutation removes',
        );
        assert.deepEqual(of('running-unprotected'), ephemeralRunning.sort());

        // Every finding names the workload, not a pod it controls.
        for (const f of report.findings) {
          assert.equal(f.resource.kind, object.kind);
          assert.equal(f.resource.name, (object.metadata as Json).name);
        }

        for (const f of report.findings) {
          if (!f.patch) continue;
          assert.ok(
            f.kubectl.patch?.includes(JSON.stringify(f.patch).slice(0, 20)),
            f.kubectl.patch ?? '',
          );
          const again = scanOne(applied(object, f.patch), config);
          const same = (r: ScanReport) =>
            r.findings.filter(
              (g) =>
                g.subject === f.subject && g.rule === f.rule && g.status !== 'running-unprotected',
            ).length;
          assert.ok(
            same(again) < same(report),
            `${ruleField(f)}: the finding's own patch removes it (${JSON.stringify(f.patch)})`,
          );
        }

        const workload = report.workloads[0];
        assert.ok(workload);
        if (workload.patch) {
          const again = scanOne(applied(object, workload.patch), config);
          assert.deepEqual(
            again.findings.filter((f) => f.status !== 'running-unprotected').map(ruleField),
            [],
            `the workload's patch fixes every template finding: ${JSON.stringify(workload.patch)}`,
          );
        } else {
          assert.ok(
            report.findings.every((f) => f.patch === null),
            'no workload patch only when no finding has one',
          );
        }
      });
    }
  });
}
