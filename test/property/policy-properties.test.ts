import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { handleAdmissionReview } from '../../src/admission/review-request.ts';
import {
  admissionReview,
  decodePatch,
  mutate,
  patched,
  policy,
  validate,
  type Json,
} from '../helpers.ts';
import { readWorkloadPod } from '../../src/workloads/read-workload-pod.ts';
import { podCarrier, preset } from './arbitraries.ts';

const RUNS = { numRuns: 400 };

/** The pod spec a generated object carries, found by the one reader admission uses. */
function podSpecOf(object: Json): Json {
  const apiVersion = object.apiVersion as string;
  const group = apiVersion.includes('/') ? (apiVersion.split('/')[0] ?? '') : '';
  const pod = readWorkloadPod(object, { group, kind: object.kind as string }, new Map());
  assert.ok(pod, `${object.kind as string} carries a pod`);
  return pod.spec as unknown as Json;
}

describe('properties of validation and mutation over generated pods and templates', () => {
  it('never throws, for either endpoint, and always answers the request uid', () => {
    fc.assert(
      fc.property(
        podCarrier,
        preset,
        fc.constantFrom('enforce', 'warn', 'audit'),
        (object, p, mode) => {
          for (const endpoint of ['validate', 'mutate'] as const) {
            const result = handleAdmissionReview(
              endpoint,
              admissionReview(object, { uid: 'u-1' }),
              policy({ preset: p, mode }),
            );
            assert.ok(result.ok);
            assert.equal(result.review.response.uid, 'u-1');
          }
        },
      ),
      RUNS,
    );
  });

  it('every patch applies cleanly to the object received', () => {
    fc.assert(
      fc.property(podCarrier, preset, (object, p) => {
        patched(object, mutate(admissionReview(object), policy({ preset: p })).response);
      }),
      RUNS,
    );
  });

  it('mutation is idempotent: mutating the mutated object gives no patch', () => {
    fc.assert(
      fc.property(podCarrier, preset, (object, p) => {
        const once = patched(
          object,
          mutate(admissionReview(object), policy({ preset: p })).response,
        );
        assert.equal(
          mutate(admissionReview(once), policy({ preset: p })).response.patch,
          undefined,
        );
      }),
      RUNS,
    );
  });

  it('after mutation no container is left without a seccomp profile', () => {
    fc.assert(
      fc.property(podCarrier, preset, (object, p) => {
        const once = patched(
          object,
          mutate(admissionReview(object), policy({ preset: p })).response,
        );
        const missing = validate(
          admissionReview(once),
          policy({ preset: p }),
        ).outcome.violations.filter((v) => v.problem.startsWith('has no seccomp profile'));
        assert.deepEqual(missing, []);
      }),
      RUNS,
    );
  });

  it('after restricted mutation every Linux container drops ALL', () => {
    fc.assert(
      fc.property(podCarrier, (object) => {
        const once = patched(
          object,
          mutate(admissionReview(object), policy({ preset: 'restricted' })).response,
        );
        const rules = validate(
          admissionReview(once),
          policy({ preset: 'restricted' }),
        ).outcome.violations.map((v) => v.rule);
        assert.ok(!rules.includes('capabilitiesDropAll'));
      }),
      RUNS,
    );
  });

  it('Windows pods never get Linux-only fields', () => {
    fc.assert(
      fc.property(podCarrier, preset, (object, p) => {
        fc.pre((podSpecOf(object).os as Json | undefined)?.name === 'windows');
        const ops = decodePatch(
          mutate(
            admissionReview(object),
            policy({ preset: p, mutation: { legacyAppArmorAnnotations: { enabled: true } } }),
          ).response,
        );
        assert.deepEqual(
          ops.filter((op) =>
            /seccompProfile|appArmorProfile|capabilities/.test(
              op.path + JSON.stringify('value' in op ? op.value : ''),
            ),
          ),
          [],
        );
      }),
      { numRuns: 200 },
    );
  });

  it('a container injected by a later webhook is patched on reinvocation', () => {
    fc.assert(
      fc.property(podCarrier, (object) => {
        fc.pre((podSpecOf(object).os as Json | undefined)?.name !== 'windows');
        const restricted = policy({ preset: 'restricted' });
        const once = patched(object, mutate(admissionReview(object), restricted).response);
        (podSpecOf(once).containers as Json[]).push({ name: 'injected-sidecar', image: 'proxy' });
        const twice = patched(once, mutate(admissionReview(once), restricted).response);
        const sidecar = (podSpecOf(twice).containers as Json[]).find(
          (c) => c.name === 'injected-sidecar',
        );
        assert.deepEqual((sidecar?.securityContext as Json).capabilities, { drop: ['ALL'] });
        assert.equal(mutate(admissionReview(twice), restricted).response.patch, undefined);
      }),
      { numRuns: 200 },
    );
  });

  it('arbitrary JSON bodies never throw: they get a precise error or an answer', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.jsonValue(), (body, object) => {
        for (const candidate of [
          body,
          { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request: body },
          admissionReview(object, { kind: 'Pod', group: '' }),
        ]) {
          for (const endpoint of ['validate', 'mutate'] as const) {
            const result = handleAdmissionReview(endpoint, candidate, policy());
            if (!result.ok) assert.ok(result.message.length > 0);
            else if (!result.review.response.allowed)
              assert.ok(result.review.response.status?.message);
          }
        }
      }),
      RUNS,
    );
  });
});
