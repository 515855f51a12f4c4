import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  admissionReview,
  messageLines,
  mutate,
  patched,
  policy,
  validate,
  type Json,
} from '../helpers.ts';

const badSpec = {
  containers: [
    { name: 'app', image: 'nginx', securityContext: { capabilities: { add: ['SYS_ADMIN'] } } },
  ],
};
const template = { metadata: { labels: { app: 'web' } }, spec: badSpec };

/** Every kind that carries pods, with its pod spec's path. */
const WORKLOADS: { kind: string; apiVersion: string; object: Json; specPath: string }[] = [
  { kind: 'PodTemplate', apiVersion: 'v1', object: { template }, specPath: 'template.spec' },
  {
    kind: 'ReplicationController',
    apiVersion: 'v1',
    object: { spec: { template } },
    specPath: 'spec.template.spec',
  },
  {
    kind: 'ReplicaSet',
    apiVersion: 'apps/v1',
    object: { spec: { template } },
    specPath: 'spec.template.spec',
  },
  {
    kind: 'Deployment',
    apiVersion: 'apps/v1',
    object: { spec: { template } },
    specPath: 'spec.template.spec',
  },
  {
    kind: 'StatefulSet',
    apiVersion: 'apps/v1',
    object: { spec: { template } },
    specPath: 'spec.template.spec',
  },
  {
    kind: 'DaemonSet',
    apiVersion: 'apps/v1',
    object: { spec: { template } },
    specPath: 'spec.template.spec',
  },
  {
    kind: 'Job',
    apiVersion: 'batch/v1',
    object: { spec: { template } },
    specPath: 'spec.template.spec',
  },
  {
    kind: 'CronJob',
    apiVersion: 'batch/v1',
    object: { spec: { schedule: '* * * * *', jobTemplate: { spec: { template } } } },
    specPath: 'spec.jobTemplate.spec.template.spec',
  },
];

describe('kinds that carry pods', () => {
  for (const w of WORKLOADS) {
    it(`${w.kind}: refused with the pod template's field paths, and mutated`, () => {
      const object = {
        apiVersion: w.apiVersion,
        kind: w.kind,
        metadata: { name: 'web' },
        ...w.object,
      };
      const { response } = validate(admissionReview(object));
      assert.deepEqual(messageLines(response), [
        `- container "app": has no seccomp profile. Fix: set ${w.specPath}.securityContext.seccompProfile.type: RuntimeDefault`,
        `- container "app": adds capability SYS_ADMIN, which the baseline policy does not allow. Fix: remove "SYS_ADMIN" from ${w.specPath}.containers[0].securityContext.capabilities.add`,
      ]);
      assert.match(
        response.status?.message ?? '',
        new RegExp(`^runtime-guard: ${w.kind} "web" in namespace "team-a"`),
      );

      const result = patched(
        object,
        mutate(admissionReview(object), policy({ preset: 'restricted' })).response,
      );
      let spec: unknown = result;
      for (const key of w.specPath.split('.')) spec = (spec as Json)[key];
      assert.deepEqual((spec as Json).securityContext, {
        seccompProfile: { type: 'RuntimeDefault' },
      });
      assert.deepEqual(((spec as Json).containers as Json[])[0]?.securityContext, {
        capabilities: { add: ['SYS_ADMIN'], drop: ['ALL'] },
      });
    });
  }

  it('judges a configured extra kind (Argo Rollout) by its template path', () => {
    const p = policy({
      extraKinds: [{ group: 'argoproj.io', kind: 'Rollout', podTemplatePath: 'spec.template' }],
    });
    const rollout = {
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'Rollout',
      metadata: { name: 'web' },
      spec: { template },
    };
    assert.equal(validate(admissionReview(rollout), p).response.allowed, false);
    assert.equal(
      validate(admissionReview(rollout)).response.allowed,
      true,
      'not judged unless configured',
    );
  });

  it('allows kinds that carry no pods without looking at them', () => {
    const { response, outcome } = validate(
      admissionReview({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'c' },
        data: { containers: 'x' },
      }),
    );
    assert.equal(response.allowed, true);
    assert.equal(outcome.decision, 'skipped');
  });

  it('does not confuse a same-named kind of another group', () => {
    const object = {
      apiVersion: 'example.com/v1',
      kind: 'Deployment',
      metadata: { name: 'x' },
      spec: { template },
    };
    assert.equal(validate(admissionReview(object)).response.allowed, true);
  });
});
