// The fixture corpus (test/testdata) through `runtime-guard check`: each header's expectations,
// as written and after mutation, in every output format, and the `--fix` output judged again.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import AjvDraft04 from 'ajv-draft-04';
import ajvFormats from 'ajv-formats';
import { parseAllDocuments } from 'yaml';
import { parseConfigText } from '../../src/config/load-config.ts';
import { checkManifests } from '../../src/manifests/check-manifests.ts';
import { check, corpus, PRESETS, sorted, TESTDATA, type Fixture } from './support.ts';

const require = createRequire(import.meta.url);

/** The SARIF 2.1.0 schema (draft-04) as Microsoft's SARIF SDK ships it on npm. */
export function sarifValidator() {
  const schema = JSON.parse(
    readFileSync(
      require.resolve('@microsoft/jest-sarif/lib/schemas/sarif-2.1.0-rtm.5.json'),
      'utf8',
    ),
  ) as Record<string, unknown>;
  // The schema's language pattern is no valid Unicode-mode regular expression.
  const ajv = new AjvDraft04.default({ allErrors: true, strict: false, unicodeRegExp: false });
  ajvFormats.default(ajv);
  return ajv.compile(schema);
}

function configFor(preset: string) {
  const file = join(TESTDATA, preset, 'config.yaml');
  return parseConfigText(readFileSync(file, 'utf8'), file);
}

function byFile(pairs: Iterable<[string, string]>): Map<string, string[]> {
  const map = new Map<string, string[]>();
  for (const [file, item] of pairs) map.set(file, [...(map.get(file) ?? []), item]);
  return map;
}

function assertPerFixture(
  fixtures: readonly Fixture[],
  found: Map<string, string[]>,
  expected: (fixture: Fixture) => string[],
  what: string,
): void {
  for (const fixture of fixtures)
    assert.deepEqual(
      sorted(found.get(fixture.file) ?? []),
      sorted(expected(fixture)),
      `${what}: ${fixture.file}`,
    );
  for (const file of found.keys())
    assert.ok(
      fixtures.some((f) => f.file === file),
      `${what}: a finding in ${file}, which is no fixture`,
    );
}

for (const preset of PRESETS) {
  describe(`the ${preset} corpus through check`, () => {
    const fixtures = corpus(preset);
    const config = configFor(preset);
    const directory = join('test', 'testdata', preset);
    const configFile = join(directory, 'config.yaml');
    const anyRefused = fixtures.some((f) => f.afterMutation.length > 0);

    it('has fixtures that fail and pass, as written and after mutation', () => {
      assert.ok(fixtures.length >= 20, `only ${fixtures.length} fixtures`);
      assert.ok(fixtures.some((f) => f.expect.length > 0 && f.afterMutation.length === 0));
      assert.ok(anyRefused);
    });

    for (const mutate of [false, true]) {
      it(`finds what each header expects ${mutate ? 'after mutation' : 'as written (--no-mutation)'}`, () => {
        const report = checkManifests(
          fixtures.map(({ file, text }) => ({ file, text })),
          config,
          {
            mutate,
            fix: false,
            namespaceModes: false,
          },
        );
        const found = byFile(
          report.files.flatMap((file) =>
            file.objects.flatMap((o) =>
              o.findings.map((f): [string, string] => [file.file, `${f.rule} ${f.field}`]),
            ),
          ),
        );
        assertPerFixture(fixtures, found, (f) => (mutate ? f.afterMutation : f.expect), preset);
      });
    }

    it('json: findings with file and line, the exit code 1 when one is refused', () => {
      const run = check([directory, '--config', configFile, '-o', 'json']);
      assert.equal(run.code, anyRefused ? 1 : 0, run.stderr);
      const report = JSON.parse(run.stdout) as {
        findings: {
          file: string;
          line: number;
          rule: string;
          field: string;
          status: string;
          resource: { kind: string };
        }[];
        summary: { objects: number; notKubernetes: number };
      };
      assert.equal(report.summary.objects, fixtures.length);
      assert.equal(report.summary.notKubernetes, 1, 'config.yaml is no Kubernetes object');
      assertPerFixture(
        fixtures,
        byFile(report.findings.map((f) => [f.file, `${f.rule} ${f.field}`])),
        (f) => f.afterMutation,
        'json',
      );
      for (const finding of report.findings) {
        assert.equal(finding.status, 'refused');
        assert.ok(finding.line > 1, `${finding.file}: line ${finding.line}`);
      }
    });

    it('text: file:line: Kind/name: the webhook line, at the offending field', () => {
      const run = check([directory, '--config', configFile]);
      assert.equal(run.code, anyRefused ? 1 : 0, run.stderr);
      const lines = run.stdout.trimEnd().split('\n');
      assert.match(
        lines.at(-1) ?? '',
        new RegExp(`^runtime-guard check: ${fixtures.length} objects in `),
      );
      const found = new Map<string, string[]>();
      for (const line of lines.slice(0, -1)) {
        const match = /^(\S+):(\d+): (\w+)\/(\S+): (.+)\. Fix: (.+)$/.exec(line);
        assert.ok(match, `not a finding line: ${line}`);
        const [, file, lineNumber, , , words] = match as unknown as string[];
        const fixture = fixtures.find((f) => f.file === file);
        assert.ok(fixture, line);
        // The line named holds a key of the offending field's path (or, when the field is
        // missing, of its nearest parent).
        const source = fixture.text.split('\n')[Number(lineNumber) - 1] ?? '';
        const key = /^\s*(?:- )?\s*([^:\s]+):/.exec(source)?.[1]?.replace(/^"|"$/g, '');
        const listItem = /^\s*- [^:]+$/.test(source);
        assert.ok(key || listItem, `${line}\n  points at: ${source}`);
        const pairs = fixture.afterMutation.filter((pair) => {
          const field = pair.split(' ')[1] ?? '';
          return key ? field.includes(key) : /\]$/.test(field);
        });
        assert.ok(pairs.length > 0, `${line}\n  points at ${JSON.stringify(source)}`);
        found.set(file as string, [...(found.get(file as string) ?? []), words as string]);
      }
      for (const fixture of fixtures)
        assert.equal(
          found.get(fixture.file)?.length ?? 0,
          fixture.afterMutation.length,
          fixture.file,
        );
    });

    it('sarif: valid SARIF 2.1.0, one result per finding at its line', () => {
      const run = check([directory, '--config', configFile, '-o', 'sarif']);
      assert.equal(run.code, anyRefused ? 1 : 0, run.stderr);
      const log = JSON.parse(run.stdout) as {
        runs: {
          tool: { driver: { rules: { id: string }[] } };
          results: {
            ruleId: string;
            ruleIndex: number;
            level: string;
            properties: { field: string };
            locations: {
              physicalLocation: {
                artifactLocation: { uri: string };
                region: { startLine: number };
              };
            }[];
          }[];
        }[];
      };
      const validate = sarifValidator();
      assert.ok(validate(log), JSON.stringify(validate.errors, null, 2));
      const [run0] = log.runs;
      assert.ok(run0);
      const found = byFile(
        run0.results.map((r) => {
          assert.equal(run0.tool.driver.rules[r.ruleIndex]?.id, r.ruleId);
          assert.equal(r.level, 'error');
          return [
            r.locations[0]?.physicalLocation.artifactLocation.uri ?? '',
            `${r.ruleId} ${r.properties.field}`,
          ];
        }),
      );
      assertPerFixture(fixtures, found, (f) => f.afterMutation, 'sarif');
    });

    it('junit: one test case per object, failures for those refused', () => {
      const run = check([directory, '--config', configFile, '-o', 'junit']);
      assert.equal(run.code, anyRefused ? 1 : 0, run.stderr);
      const cases = [
        ...run.stdout.matchAll(
          /<testcase classname="([^"]+)" name="([^"]+)"[^>]*?(\/>|>\s*<failure)/g,
        ),
      ];
      assert.equal(cases.length, fixtures.length);
      for (const fixture of fixtures) {
        const own = cases.filter((c) => c[1] === fixture.file);
        assert.equal(own.length, 1, fixture.file);
        assert.equal(own[0]?.[3] !== '/>', fixture.afterMutation.length > 0, fixture.file);
      }
      const failures = fixtures.filter((f) => f.afterMutation.length > 0).length;
      assert.match(
        run.stdout,
        new RegExp(
          `<testsuites name="runtime-guard check" tests="${fixtures.length}" failures="${failures}"`,
        ),
      );
    });

    it('policyreport: a fail result per finding, a pass per compliant object', () => {
      const run = check([directory, '--config', configFile, '-o', 'policyreport']);
      assert.equal(run.code, anyRefused ? 1 : 0, run.stderr);
      const reports = parseAllDocuments(run.stdout).map((d) => d.toJS()) as {
        apiVersion: string;
        kind: string;
        summary: { pass: number; fail: number };
        results: { result: string; rule: string; properties: { file: string; field?: string } }[];
      }[];
      assert.ok(reports.length >= 1);
      const results = reports.flatMap((r) => {
        assert.equal(r.apiVersion, 'wgpolicyk8s.io/v1alpha2');
        assert.equal(r.kind, 'PolicyReport');
        assert.equal(r.summary.fail, r.results.filter((x) => x.result === 'fail').length);
        return r.results;
      });
      const fails = byFile(
        results
          .filter((r) => r.result === 'fail')
          .map((r) => [r.properties.file, `${r.rule} ${r.properties.field}`]),
      );
      assertPerFixture(fixtures, fails, (f) => f.afterMutation, 'policyreport');
      const passes = results.filter((r) => r.result === 'pass').map((r) => r.properties.file);
      assert.deepEqual(
        sorted(passes),
        sorted(fixtures.filter((f) => f.afterMutation.length === 0).map((f) => f.file)),
      );
    });

    it('--fix: the output, judged as written, has exactly what mutation leaves, and nothing left to mutate', () => {
      const options = { mutate: true, fix: true, namespaceModes: false };
      for (const fixture of fixtures) {
        const report = checkManifests(
          [{ file: fixture.file, text: fixture.text }],
          config,
          options,
        );
        const text = report.files[0]?.fixed?.text ?? '';
        assert.deepEqual(report.files[0]?.fixed?.unfixed, [], fixture.file);
        const fixed = checkManifests([{ file: 'fixed.yaml', text }], config, {
          ...options,
          mutate: false,
          fix: false,
        });
        const got = fixed.files.flatMap((f) =>
          f.objects.flatMap((o) => o.findings.map((x) => `${x.rule} ${x.field}`)),
        );
        assert.deepEqual(sorted(got), sorted(fixture.afterMutation), fixture.file);
        const again = checkManifests([{ file: 'fixed.yaml', text }], config, options);
        assert.equal(
          again.summary.mutated,
          0,
          `${fixture.file}: the fixed output still gets mutated`,
        );
        assert.equal(
          again.files[0]?.fixed?.text,
          text,
          `${fixture.file}: fixing it again changes it`,
        );
        // The header comment, and every other line the mutation does not reach, is still there.
        const header = fixture.text.split('\n').filter((line) => line.startsWith('#'));
        assert.deepEqual(text.split('\n').slice(0, header.length), header, fixture.file);
      }
    });

    it('--fix through the CLI: every fixed manifest on stdout, the report on stderr', () => {
      const run = check([directory, '--config', configFile, '--fix']);
      assert.equal(run.code, anyRefused ? 1 : 0, run.stderr);
      assert.match(run.stderr, /runtime-guard check: \d+ objects in /);
      const documents = parseAllDocuments(run.stdout);
      const objects = documents
        .map((d) => d.toJS() as { kind?: string } | null)
        .filter((o) => o?.kind);
      assert.equal(objects.length, fixtures.length);
      for (const fixture of fixtures) {
        const report = checkManifests([{ file: fixture.file, text: fixture.text }], config, {
          mutate: true,
          fix: true,
          namespaceModes: false,
        });
        assert.ok(run.stdout.includes(report.files[0]?.fixed?.text ?? '?'), fixture.file);
      }
    });
  });
}
