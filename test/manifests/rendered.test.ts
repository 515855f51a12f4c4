// `check` on what pipelines feed it: `helm template` of the project's own chart and of a test
// chart, and `kubectl kustomize` output, with the real helm and kubectl that scripts/k8s builds.
// RUNTIME_GUARD_E2E=0 skips it, as it skips the chart and e2e tests.

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { resolveBinaries } from '../e2e/control-plane.ts';
import { BUILD_TIMEOUT_MS, helm, helmTemplate, run, skip } from '../chart/helm.ts';
import { check, REPOSITORY } from './support.ts';

const TESTDATA = join(REPOSITORY, 'test', 'manifests', 'testdata');
const WEB_CHART = join(TESTDATA, 'charts', 'web');

async function renderWeb(args: readonly string[] = []): Promise<string> {
  const rendered = await helm(['template', 'shop', WEB_CHART, '--namespace', 'shop', ...args]);
  assert.equal(rendered.code, 0, rendered.stderr);
  return rendered.stdout;
}

describe('check on rendered manifests', { skip, timeout: BUILD_TIMEOUT_MS }, () => {
  it("passes the project's own chart, in both presets", async () => {
    const rendered = await helmTemplate();
    for (const config of [[], ['--config', join(TESTDATA, 'fix', 'restricted.yaml')]]) {
      const result = check(['-', ...config], { input: rendered });
      assert.equal(result.code, 0, result.stdout + result.stderr);
      assert.match(
        result.stdout,
        /: 1 object in 1 input \(\w+ policy, after mutation\): 1 passed;/,
      );
      assert.match(result.stdout, /not judged: \d+ objects of kinds without pods/);
    }
  });

  it('judges a test chart through helm template: refused by its values, fixed in the rendering only', async () => {
    const refused = check(['-'], {
      input: await renderWeb(['--set', 'securityContext.capabilities.add[0]=SYS_ADMIN']),
    });
    assert.equal(refused.code, 1, refused.stderr);
    assert.match(
      refused.stdout,
      /^<stdin>:\d+: Deployment\/shop-web: container "web": adds capability SYS_ADMIN, which the baseline policy does not allow\. Fix: remove "SYS_ADMIN" from spec\.template\.spec\.containers\[0\]\.securityContext\.capabilities\.add$/m,
    );

    const fixed = check(['--fix', '-'], { input: await renderWeb() });
    assert.equal(fixed.code, 0, fixed.stderr);
    assert.match(fixed.stdout, /# Source: web\/templates\/deployment\.yaml/);
    assert.match(fixed.stdout, /seccompProfile:\n\s+type: RuntimeDefault/);
    assert.doesNotMatch(fixed.stdout, /seccomp\.security\.alpha/);
    // The chart is not rewritten: the report names the template to change, and how.
    assert.match(
      fixed.stderr,
      /web\/templates\/deployment\.yaml: rendered by Helm; --fix rewrote the rendered output, not the chart\. Make the change in that template \(or in the values it reads\): Deployment\/shop-web: set spec\.template\.spec\.securityContext\.seccompProfile to RuntimeDefault from annotation/,
    );
  });

  it("reads a chart's directory without taking its templates for YAML", () => {
    const result = check([WEB_CHART]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(
      result.stdout,
      /templates\/deployment\.yaml: a template of the Helm chart .*web, not checked: render it first \(helm template .*web \| runtime-guard check -\)/,
    );
    assert.match(result.stdout, /0 objects in 4 inputs .*2 Helm templates/);
  });

  it('judges kubectl kustomize output', async () => {
    const { kubectl } = await resolveBinaries({
      log: (line) => process.stderr.write(`[check tests] ${line}\n`),
    });
    const built = await run(kubectl, ['kustomize', join(TESTDATA, 'kustomize')]);
    assert.equal(built.code, 0, built.stderr);
    const result = check(['-o', 'json', '-'], { input: built.stdout });
    assert.equal(result.code, 1, result.stderr);
    const report = JSON.parse(result.stdout) as {
      findings: { resource: { name: string; namespace: string }; rule: string; field: string }[];
    };
    assert.deepEqual(
      report.findings.map((f) => [f.resource.namespace, f.resource.name, f.rule, f.field]),
      [
        [
          'shop',
          'shop-api',
          'capabilitiesAdded',
          'spec.template.spec.containers[0].securityContext.capabilities.add[0]',
        ],
      ],
    );
  });
});
