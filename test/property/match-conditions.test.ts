// The chart's matchConditions against runtime-guard's own answers. For each configuration below,
// helm renders the webhook configurations and config.yaml; the CEL of every matchCondition is
// evaluated by @bufbuild/cel (Buf's CEL for ECMAScript, run against the CEL conformance suite,
// with RE2 semantics as in the apiserver's cel-go) on generated requests, and whenever the
// conditions leave a call out, the webhook given the same request must have had nothing to say:
// no patch and no warning on /mutate, a skip on /validate. No expression may fail to evaluate
// (the apiserver would then fail the request or drop the call). On objects as the apiserver
// sends them (no null fields), the UPDATEs runtime-guard skips anyway are left out exactly.

import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { celEnv, isCelError, parse, plan, type CelInput } from '@bufbuild/cel';
import fc from 'fast-check';
import type { ConfigMap } from 'kubernetes-types/core/v1.js';
import { handleAdmissionReview, type Endpoint } from '../../src/admission/review-request.ts';
import type { ReviewConfig } from '../../src/admission/settings.ts';
import { parseConfigText } from '../../src/config/load-config.ts';
import { valueAt } from '../../src/json/values.ts';
import { locatePod } from '../../src/workloads/kinds.ts';
import {
  BUILD_TIMEOUT_MS,
  ensureTools,
  FAKE_CA_BUNDLE,
  helmTemplate,
  parseManifests,
  single,
  skip,
  type Manifest,
} from '../chart/helm.ts';
import { admissionReview, patched, type Json } from '../helpers.ts';
import { podCarrier } from './arbitraries.ts';

const RUNS = { numRuns: 300 };

/** Chart values, each a configuration whose conditions are checked on their own. */
const CONFIGURATIONS: Record<string, Json> = {
  'the defaults (baseline)': {},
  restricted: { preset: 'restricted' },
  'restricted, AppArmor annotations, own drop list in other spellings': {
    preset: 'restricted',
    mutation: {
      legacyAppArmorAnnotations: { enabled: true },
      dropCapabilities: { drop: ['NET_RAW', 'cap_sys_admin'] },
    },
  },
  'baseline with a drop list, annotations kept, Localhost default': {
    mutation: {
      legacySeccompAnnotations: { removeAnnotations: false },
      defaultSeccompProfile: { profile: { type: 'Localhost', localhostProfile: 'p.json' } },
      dropCapabilities: { drop: ['ALL'] },
    },
  },
  'restricted, no default profile, no annotation translation': {
    preset: 'restricted',
    mutation: {
      defaultSeccompProfile: { enabled: false },
      legacySeccompAnnotations: { enabled: false },
    },
  },
  'mutation switched off': { preset: 'restricted', mutation: { enabled: false } },
};

interface Condition {
  name: string;
  expression: string;
}

interface CompiledCondition extends Condition {
  evaluate(activation: Activation): boolean;
}

interface Activation {
  object: unknown;
  oldObject: unknown;
  request: Json;
}

/** JSON as CEL values: objects become maps (the evaluator reads plain objects as messages). */
function celValue(value: unknown): CelInput {
  if (Array.isArray(value)) return value.map(celValue);
  if (value !== null && typeof value === 'object')
    return new Map(Object.entries(value).map(([key, item]) => [key, celValue(item)]));
  return value as CelInput;
}

function compile(condition: Condition): CompiledCondition {
  const run = plan(celEnv(), parse(condition.expression));
  return {
    ...condition,
    evaluate(activation) {
      const result = run({
        object: celValue(activation.object),
        oldObject: celValue(activation.oldObject ?? null),
        request: celValue(activation.request),
      });
      if (isCelError(result))
        throw new Error(`matchCondition ${condition.name} failed: ${String(result.message)}`);
      assert.equal(typeof result, 'boolean', `matchCondition ${condition.name} is not a boolean`);
      return result as boolean;
    },
  };
}

interface Rendered {
  config: ReviewConfig;
  conditions: Record<Endpoint, CompiledCondition[]>;
}

async function render(values: Json): Promise<Rendered> {
  const args = [
    '--set',
    'webhook.url=https://127.0.0.1:8443',
    '--set-string',
    `webhook.caBundle=${FAKE_CA_BUNDLE}`,
    '--set-json',
    `config=${JSON.stringify(values)}`,
  ];
  const objects = parseManifests(
    await helmTemplate([
      ...args,
      '--show-only',
      'templates/webhooks.yaml',
      '--show-only',
      'templates/configmap.yaml',
    ]),
  );
  const configMap = single<ConfigMap>(objects, 'ConfigMap');
  const config = parseConfigText(configMap.data?.['config.yaml'] ?? '', 'the chart’s config.yaml');
  const conditionsOf = (kind: string): CompiledCondition[] => {
    const webhooks = (single(objects, kind) as Manifest & { webhooks: Json[] }).webhooks;
    assert.equal(webhooks.length, 1);
    return ((webhooks[0]?.['matchConditions'] ?? []) as Condition[]).map(compile);
  };
  return {
    config,
    conditions: {
      validate: conditionsOf('ValidatingWebhookConfiguration'),
      mutate: conditionsOf('MutatingWebhookConfiguration'),
    },
  };
}

/** Objects as the apiserver sends them: typed Go structs have no null fields. */
function withoutNulls(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutNulls);
  if (value !== null && typeof value === 'object')
    return Object.fromEntries(
      Object.entries(value)
        .filter(([, item]) => item !== null)
        .map(([key, item]) => [key, withoutNulls(item)]),
    );
  return value;
}

const groupOf = (object: Json): string => {
  const apiVersion = object['apiVersion'] as string;
  return apiVersion.includes('/') ? (apiVersion.split('/')[0] ?? '') : '';
};

/** The stored object an UPDATE starts from, made from the new one by one kind of change. */
type OldObjectChange =
  | 'none'
  | 'labels only'
  | 'an ephemeral container fewer'
  | 'another image'
  | 'pod security context removed'
  | 'legacy annotation added'
  | 'legacy annotation removed';

function oldObjectFor(object: Json, change: OldObjectChange): Json {
  const old = structuredClone(object);
  const location = locatePod({ group: groupOf(object), kind: object['kind'] as string }, new Map());
  assert.ok(location);
  const spec = valueAt(old, location.specPath) as Json;
  const metadata = valueAt(old, location.metadataPath) as Json;
  switch (change) {
    case 'none':
      break;
    case 'labels only':
      (old['metadata'] as Json)['labels'] = { team: 'earlier' };
      break;
    case 'an ephemeral container fewer': {
      const ephemeral = spec['ephemeralContainers'] as Json[] | undefined;
      if (ephemeral?.length) spec['ephemeralContainers'] = ephemeral.slice(0, -1);
      break;
    }
    case 'another image': {
      const first = (spec['containers'] as Json[])[0];
      if (first) first['image'] = 'registry.example/earlier:0';
      break;
    }
    case 'pod security context removed':
      delete spec['securityContext'];
      break;
    case 'legacy annotation added':
      metadata['annotations'] = {
        ...((metadata['annotations'] as Json | undefined) ?? {}),
        'seccomp.security.alpha.kubernetes.io/pod': 'runtime/default',
      };
      break;
    case 'legacy annotation removed':
      if (metadata['annotations']) {
        const annotations = { ...(metadata['annotations'] as Json) };
        for (const key of Object.keys(annotations))
          if (key.includes('.security.')) delete annotations[key];
        metadata['annotations'] = annotations;
      }
      break;
  }
  return old;
}

const requestShape = fc.record({
  operation: fc.constantFrom('CREATE', 'UPDATE', 'UPDATE'),
  ephemeralSubresource: fc.boolean(),
  change: fc.constantFrom<OldObjectChange>(
    'none',
    'none',
    'labels only',
    'an ephemeral container fewer',
    'another image',
    'pod security context removed',
    'legacy annotation added',
    'legacy annotation removed',
  ),
  // The apiserver always sends oldObject with an UPDATE; runtime-guard copes without.
  withoutOldObject: fc.constantFrom(false, false, false, true),
});

/**
 * How far from compliant the object is: as generated (mostly far), as runtime-guard's own patch
 * left it (nothing more to change), or that with one thing undone, so the conditions meet the
 * objects at the edge of what they leave out.
 */
type Nearness = 'as generated' | 'mutated' | 'mutated, one thing undone';
const nearness = fc.constantFrom<Nearness>('as generated', 'mutated', 'mutated, one thing undone');

const UNDO = [
  'pod-level seccomp profile removed',
  'a drop list emptied',
  'legacy seccomp annotation added',
  'legacy container seccomp annotation added',
  'legacy AppArmor annotation added',
  'a container added',
] as const;

function nearCompliant(generated: Json, near: Nearness, undo: number, config: ReviewConfig): Json {
  const object = JSON.parse(JSON.stringify(generated)) as Json;
  if (near === 'as generated') return object;
  const result = handleAdmissionReview('mutate', admissionReview(object), config);
  assert.ok(result.ok);
  const mutated = patched(object, result.review.response);
  if (near === 'mutated') return mutated;
  const location = locatePod(
    { group: groupOf(mutated), kind: mutated['kind'] as string },
    new Map(),
  );
  assert.ok(location);
  const spec = valueAt(mutated, location.specPath) as Json;
  const metadata = valueAt(mutated, location.metadataPath) as Json;
  const annotate = (key: string, value: string): void => {
    metadata['annotations'] = { ...((metadata['annotations'] as Json | null) ?? {}), [key]: value };
  };
  const containers = (spec['containers'] as Json[] | undefined) ?? [];
  const first = containers[0];
  switch (UNDO[undo % UNDO.length]) {
    case 'pod-level seccomp profile removed':
      if (spec['securityContext']) delete (spec['securityContext'] as Json)['seccompProfile'];
      break;
    case 'a drop list emptied':
      if (first) first['securityContext'] = { capabilities: { drop: [] } };
      break;
    case 'legacy seccomp annotation added':
      annotate('seccomp.security.alpha.kubernetes.io/pod', 'runtime/default');
      break;
    case 'legacy container seccomp annotation added':
      annotate(
        `container.seccomp.security.alpha.kubernetes.io/${String(first?.['name'])}`,
        'unconfined',
      );
      break;
    case 'legacy AppArmor annotation added':
      annotate(
        `container.apparmor.security.beta.kubernetes.io/${String(first?.['name'])}`,
        'runtime/default',
      );
      break;
    case 'a container added':
      spec['containers'] = [
        ...containers,
        { name: 'added-later', image: 'registry.example/added:1' },
      ];
      break;
  }
  return mutated;
}

type RequestShape = typeof requestShape extends fc.Arbitrary<infer T> ? T : never;

interface Case {
  review: Json;
  activation: Activation;
}

function caseOf(generated: Json, shape: RequestShape): Case {
  // As the apiserver sends it: JSON, with no undefined members.
  const object = JSON.parse(JSON.stringify(generated)) as Json;
  const kind = object['kind'] as string;
  const operation = shape.operation as 'CREATE' | 'UPDATE';
  const subResource =
    kind === 'Pod' && operation === 'UPDATE' && shape.ephemeralSubresource
      ? 'ephemeralcontainers'
      : '';
  const oldObject =
    operation === 'UPDATE' && !shape.withoutOldObject
      ? oldObjectFor(object, shape.change)
      : undefined;
  const review = admissionReview(object, {
    operation,
    namespace: 'dev',
    username: 'developer',
    ...(subResource ? { subResource } : {}),
    ...(oldObject ? { oldObject } : {}),
  });
  const request = { ...(review['request'] as Json) };
  delete request['object'];
  delete request['oldObject'];
  // The apiserver's `request` leaves empty fields out: no subResource when there is none.
  return {
    review,
    activation: { object, oldObject: oldObject ?? null, request },
  };
}

/** The conditions that are false (each one alone keeps the apiserver from calling). */
function leftOutBy(conditions: readonly CompiledCondition[], activation: Activation): string[] {
  return conditions.filter((c) => !c.evaluate(activation)).map((c) => c.name);
}

/** What runtime-guard answers to a call the apiserver leaves out: must be nothing. */
function assertNothingToSay(endpoint: Endpoint, review: Json, config: ReviewConfig, why: string[]) {
  const result = handleAdmissionReview(endpoint, review, config);
  assert.ok(result.ok);
  const { response } = result.review;
  const context = `left out by ${why.join(', ')}, but runtime-guard answers ${JSON.stringify(response)} (${result.outcome.decision}: ${result.outcome.reason ?? ''})`;
  assert.equal(response.allowed, true, context);
  assert.equal(response.patch, undefined, context);
  assert.equal(response.warnings, undefined, context);
  if (endpoint === 'validate')
    assert.ok(['skipped', 'exempt'].includes(result.outcome.decision), context);
  else assert.ok(['allowed', 'skipped', 'exempt'].includes(result.outcome.decision), context);
}

/** The skips the conditions must leave out exactly (src/admission/request-scope.ts). */
const EXACT_SKIPS = new Set([
  'no security-relevant change',
  'pod template unchanged',
  'no ephemeral container added',
  "a pod's spec is only mutated through the ephemeralcontainers subresource",
]);

describe(
  'matchConditions rendered by the chart, against the webhook',
  { timeout: BUILD_TIMEOUT_MS },
  () => {
    const rendered = new Map<string, Rendered>();

    before(async () => {
      if (skip) return;
      await ensureTools();
      for (const [name, values] of Object.entries(CONFIGURATIONS))
        rendered.set(name, await render(values));
    });

    test('every webhook carries conditions, and every name is unique', { skip }, () => {
      for (const [name, { conditions }] of rendered) {
        for (const endpoint of ['validate', 'mutate'] as const) {
          const names = conditions[endpoint].map((c) => c.name);
          assert.ok(names.length > 0, `${name}: ${endpoint} has matchConditions`);
          assert.equal(new Set(names).size, names.length, `${name}: ${endpoint} names unique`);
          assert.ok(names.length <= 64, 'the apiserver allows 64');
        }
      }
    });

    for (const name of Object.keys(CONFIGURATIONS)) {
      test(
        `${name}: a call left out would have changed nothing, and no condition fails`,
        { skip },
        () => {
          const { config, conditions } = rendered.get(name)!;
          const leftOut: Record<Endpoint, number> = { validate: 0, mutate: 0 };
          fc.assert(
            fc.property(
              podCarrier,
              nearness,
              fc.nat(),
              requestShape,
              fc.boolean(),
              (generated, near, undo, shape, typed) => {
                const object = nearCompliant(
                  (typed ? withoutNulls(generated) : generated) as Json,
                  near,
                  undo,
                  config,
                );
                const { review, activation } = caseOf(object, shape);
                for (const endpoint of ['validate', 'mutate'] as const) {
                  const why = leftOutBy(conditions[endpoint], activation);
                  if (why.length === 0) continue;
                  leftOut[endpoint]++;
                  assertNothingToSay(endpoint, review, config, why);
                }
              },
            ),
            RUNS,
          );
          // Not vacuous: the generated requests include calls that are left out.
          assert.ok(leftOut.validate > 0, `${name}: some validating calls left out`);
          assert.ok(leftOut.mutate > 0, `${name}: some mutating calls left out`);
        },
      );

      test(`${name}: the UPDATEs runtime-guard skips anyway are left out exactly`, { skip }, () => {
        const { config, conditions } = rendered.get(name)!;
        fc.assert(
          fc.property(
            podCarrier,
            nearness,
            fc.nat(),
            requestShape,
            (generated, near, undo, shape) => {
              const object = nearCompliant(withoutNulls(generated) as Json, near, undo, config);
              const { review, activation } = caseOf(object, shape);
              for (const endpoint of ['validate', 'mutate'] as const) {
                const result = handleAdmissionReview(endpoint, review, config);
                assert.ok(result.ok);
                const { decision, reason } = result.outcome;
                if (decision !== 'skipped' || !EXACT_SKIPS.has(reason ?? '')) continue;
                assert.notDeepEqual(
                  leftOutBy(conditions[endpoint], activation),
                  [],
                  `${endpoint} skips (${reason}) but the apiserver would call`,
                );
              }
            },
          ),
          RUNS,
        );
      });
    }

    test('the mutating webhook is still called for what it would change', { skip }, () => {
      // A pod without any securityContext under the default configuration.
      const { conditions } = rendered.get('the defaults (baseline)')!;
      const object = {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'p' },
        spec: { containers: [{ name: 'a', image: 'i' }] },
      };
      const { activation } = caseOf(object, {
        operation: 'CREATE',
        ephemeralSubresource: false,
        change: 'none',
        withoutOldObject: false,
      });
      assert.deepEqual(leftOutBy(conditions.mutate, activation), []);
      assert.deepEqual(leftOutBy(conditions.validate, activation), []);
    });
  },
);
