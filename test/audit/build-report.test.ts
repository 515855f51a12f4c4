/**
 * The report of one workload as the audit writes it: its scope and owner, a result per finding
 * in the words of every runtime-guard output, a fix that applies, a pass per rule kept, and the
 * bounds: identical pods grouped, results capped with a count, always under 1 MiB.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { PodSpec } from 'kubernetes-types/core/v1.js';
import { applyPatch, type Operation } from 'rfc6902';
import {
  HASH_ANNOTATION,
  OMITTED_ANNOTATION,
  type BuiltReport,
} from '../../src/audit/build-report.ts';
import { configFromObject } from '../../src/config/load-config.ts';
import { evaluatePod } from '../../src/policy/registry.ts';
import { violationLine } from '../../src/render/violation-text.ts';
import { deployment, podSpec, reportFor, stored, type Json } from './support.ts';

const MiB = 1024 * 1024;

function built(report: BuiltReport | undefined): BuiltReport {
  assert.ok(report, 'a report is built');
  return report;
}

describe('the report of a Deployment whose pods add SYS_ADMIN', () => {
  const objects = deployment('web', { capabilities: { add: ['SYS_ADMIN'] } }, 3);
  const [deploy] = objects;
  const report = built(reportFor(objects));
  const { object } = report;

  it('is a namespaced Report about the Deployment, owned by it', () => {
    assert.equal(object.apiVersion, 'openreports.io/v1alpha1');
    assert.equal(object.kind, 'Report');
    assert.equal(object.metadata.namespace, 'shop');
    assert.deepEqual(object.scope, {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      namespace: 'shop',
      name: 'web',
      uid: deploy?.uid,
    });
    assert.deepEqual(object.metadata.ownerReferences, [
      {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        name: 'web',
        uid: deploy?.uid,
        controller: false,
      },
    ]);
    assert.equal(object.source, 'runtime-guard');
  });

  it('has one result per finding, the three pods grouped in it, in the words of the webhook', () => {
    const failed = object.results.filter((r) => r.result === 'fail');
    assert.deepEqual(
      failed.map((r) => r.rule),
      ['capabilitiesAdded'],
    );
    const [capability] = failed;
    assert.equal(capability?.properties?.pods, '3');
    assert.equal(capability?.properties?.podNames, 'web-abc-0, web-abc-1, web-abc-2');
    assert.equal(capability?.properties?.container, 'c0');
    assert.equal(capability?.severity, 'high');
    const template = ((deploy?.object.spec as Json).template as Json).spec as unknown as PodSpec;
    const expected = evaluatePod(
      {
        specPath: ['spec', 'template', 'spec'],
        metadataPath: ['spec', 'template', 'metadata'],
        spec: template,
        annotations: {},
        judgePodLevel: true,
      },
      configFromObject({}).policy,
    ).find((v) => v.rule === 'capabilitiesAdded');
    assert.ok(expected);
    assert.equal(capability?.message, violationLine(expected));
  });

  it('hands over a JSON Patch that removes the capability from the Deployment', () => {
    const capability = object.results.find((r) => r.rule === 'capabilitiesAdded');
    const patch = JSON.parse(capability?.properties?.patch ?? 'null') as Operation[];
    const copy = structuredClone(deploy?.object) as Json;
    assert.deepEqual(
      applyPatch(copy, patch),
      patch.map(() => null),
    );
    const container = (
      (((copy.spec as Json).template as Json).spec as Json).containers as Json[]
    )[0];
    assert.deepEqual((container?.securityContext as Json).capabilities, { add: [] });
  });

  it('counts every result in the summary: a warn for what mutation fixes, a pass per rule kept', () => {
    assert.deepEqual(object.summary, { pass: 3, fail: 1, warn: 1, error: 0, skip: 0 });
    assert.deepEqual(
      object.results.filter((r) => r.result === 'pass').map((r) => r.rule),
      ['privileged', 'seccompUnconfined', 'appArmor'],
    );
    assert.equal(object.results.find((r) => r.result === 'warn')?.rule, 'seccompRequired');
  });

  it('hashes what it says, not when it was said', () => {
    const later = built(reportFor(objects, { now: new Date('2026-12-02T10:00:00Z') }));
    assert.notDeepEqual(later.object.results[0]?.timestamp, object.results[0]?.timestamp);
    assert.equal(later.hash, report.hash);
    assert.equal(object.metadata.annotations[HASH_ANNOTATION], report.hash);
    const fixed = deployment('web', { capabilities: { drop: ['ALL'] } }, 3).map((o, i) => ({
      ...o,
      uid: objects[i]?.uid ?? o.uid,
      object: { ...o.object, metadata: { ...(o.object.metadata as Json), uid: objects[i]?.uid } },
    }));
    assert.notEqual(built(reportFor(fixed)).hash, report.hash);
  });
});

describe('bounds', () => {
  it('5,000 identical pods are one result, named ten at a time, far under 1 MiB', () => {
    const report = built(reportFor(deployment('big', { privileged: true }, 5000)));
    const privileged = report.object.results.find((r) => r.rule === 'privileged');
    assert.equal(privileged?.properties?.pods, '5000');
    assert.match(privileged?.properties?.podNames ?? '', /, … \(4990 more\)$/);
    assert.ok(report.bytes < 64 * 1024, `${report.bytes} bytes`);
  });

  it('a pod with 3,000 privileged containers keeps maxResults results and counts the rest', () => {
    const pod = stored('Pod', 'many', { spec: podSpec({ privileged: true }, 3000) });
    const report = built(reportFor([pod], { maxResults: 200 }));
    assert.equal(report.object.results.length, 200);
    assert.ok(
      report.object.results.every((r) => r.result === 'fail'),
      'the most severe are kept',
    );
    assert.equal(report.object.summary.fail, 3000);
    assert.equal(Number(report.object.metadata.annotations[OMITTED_ANNOTATION]), report.omitted);
    assert.equal(
      report.omitted,
      report.object.summary.fail + report.object.summary.warn + report.object.summary.pass - 200,
    );
  });

  it('stays under 1 MiB even when maxResults would allow more', () => {
    const pod = stored('Pod', 'huge', {
      spec: podSpec({ privileged: true, capabilities: { add: ['SYS_ADMIN', 'NET_ADMIN'] } }, 3000),
    });
    const report = built(reportFor([pod], { maxResults: 5000 }));
    assert.ok(report.object.results.length < 5000);
    assert.ok(report.bytes < MiB, `${report.bytes} bytes`);
    assert.equal(report.bytes, Buffer.byteLength(JSON.stringify(report.object)));
    assert.ok(report.omitted > 0);
  });
});

describe('workloads not judged', () => {
  it('an exempt namespace gives one skip result with the reason', () => {
    const report = built(
      reportFor(deployment('web', { privileged: true }, 1), {
        config: { exemptions: { namespaces: ['shop'] } },
      }),
    );
    assert.deepEqual(report.object.summary, { pass: 0, fail: 0, warn: 0, error: 0, skip: 1 });
    assert.match(report.object.results[0]?.message ?? '', /namespace "shop" is exempt/);
  });

  it('a namespace labelled off gives a skip', () => {
    const namespace = {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'shop', labels: { 'runtime-guard.io/mode': 'off' } },
    };
    const report = built(reportFor(deployment('web', { privileged: true }, 1), { namespace }));
    assert.equal(report.object.results[0]?.result, 'skip');
  });

  it('a malformed template gives an error naming the field', () => {
    const deploy = stored('Deployment', 'bad', {
      spec: { template: { spec: { containers: 'nope' } } },
    });
    const report = built(reportFor([deploy]));
    assert.equal(report.object.results[0]?.result, 'error');
    assert.match(
      report.object.results[0]?.message ?? '',
      /spec\.template\.spec\.containers: expected a list of containers/,
    );
  });
});

describe('report kinds', () => {
  it('wgpolicyk8s.io/v1alpha2: a PolicyReport without source and configuration', () => {
    const report = built(reportFor(deployment('web', {}, 1), { api: 'wgpolicyk8s.io/v1alpha2' }));
    assert.equal(report.object.apiVersion, 'wgpolicyk8s.io/v1alpha2');
    assert.equal(report.object.kind, 'PolicyReport');
    assert.equal(report.object.source, undefined);
    assert.equal(report.object.configuration, undefined);
  });

  it('a bare pod is its own workload', () => {
    const pod = stored('Pod', 'solo', { spec: podSpec({}) });
    const report = built(reportFor([pod]));
    assert.equal(report.object.scope.kind, 'Pod');
    assert.equal(report.object.metadata.name, `runtime-guard-${pod.uid}`);
  });

  it('a finished pod is no workload: no report', () => {
    const pod = stored('Pod', 'done', {
      spec: podSpec({ privileged: true }),
      status: { phase: 'Succeeded' },
    });
    assert.equal(reportFor([pod]), undefined);
  });
});
