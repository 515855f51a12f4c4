import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { handleAdmissionReview } from '../../src/admission/review-request.ts';
import { admissionReview, mutate, pod, policy, validate, type Json } from '../helpers.ts';

const envelopeError = (body: unknown) => {
  const result = handleAdmissionReview('validate', body, policy());
  assert.equal(result.ok, false, 'refused as unusable');
  return result.ok ? '' : result.message;
};

describe('bad AdmissionReviews are refused with a precise message', () => {
  it('names what is missing from the envelope', () => {
    assert.equal(envelopeError(null), 'the body must be an AdmissionReview object, got null');
    assert.equal(envelopeError([]), 'the body must be an AdmissionReview object, got an array');
    assert.equal(
      envelopeError({ apiVersion: 'admission.k8s.io/v2', kind: 'AdmissionReview' }),
      'apiVersion must be admission.k8s.io/v1 or admission.k8s.io/v1beta1, got a string "admission.k8s.io/v2"',
    );
    assert.equal(
      envelopeError({ apiVersion: 'admission.k8s.io/v1', kind: 'Pod' }),
      'kind must be AdmissionReview, got a string "Pod"',
    );
    assert.equal(
      envelopeError({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview' }),
      'request must be an object, got nothing',
    );
    const noUid = admissionReview(pod({ containers: [] }));
    delete (noUid.request as Json).uid;
    assert.equal(envelopeError(noUid), 'request.uid must be a non-empty string');
    const badOp = admissionReview(pod({ containers: [] }), {});
    (badOp.request as Json).operation = 'PATCH';
    assert.equal(
      envelopeError(badOp),
      'request.operation must be one of CREATE, UPDATE, DELETE, CONNECT, got a string "PATCH"',
    );
    const badKind = admissionReview(pod({ containers: [] }));
    (badKind.request as Json).kind = 'Pod';
    assert.equal(
      envelopeError(badKind),
      'request.kind must be an object with string group, version and kind',
    );
  });
});

describe('malformed objects are denied with the path of the bad field, never allowed', () => {
  const cases: [string, unknown, string][] = [
    [
      'an object that is not an object',
      'a string',
      'the object: expected request.object to be a Pod object, got a string "a string"',
    ],
    [
      'a pod without spec',
      { metadata: { name: 'web' } },
      'spec: expected a pod spec object, got nothing',
    ],
    [
      'containers not a list',
      { spec: { containers: { name: 'app' } } },
      'spec.containers: expected a list of containers, got an object',
    ],
    [
      'a container that is not an object',
      { spec: { containers: ['nginx'] } },
      'spec.containers[0]: expected a container object, got a string "nginx"',
    ],
    [
      'a container without a name',
      { spec: { containers: [{ image: 'nginx' }] } },
      'spec.containers[0].name: expected a string, got nothing',
    ],
    [
      'a non-string capability',
      {
        spec: {
          containers: [{ name: 'a', securityContext: { capabilities: { add: ['CHOWN', 7] } } }],
        },
      },
      'spec.containers[0].securityContext.capabilities.add[1]: expected a string, got a number',
    ],
    [
      'capabilities.add not a list',
      {
        spec: {
          containers: [{ name: 'a', securityContext: { capabilities: { add: 'SYS_ADMIN' } } }],
        },
      },
      'spec.containers[0].securityContext.capabilities.add: expected a list of strings, got a string "SYS_ADMIN"',
    ],
    [
      'privileged as a string',
      { spec: { containers: [{ name: 'a', securityContext: { privileged: 'true' } }] } },
      'spec.containers[0].securityContext.privileged: expected a boolean, got a string "true"',
    ],
    [
      'a profile type that is not a string',
      { spec: { securityContext: { seccompProfile: { type: 1 } }, containers: [] } },
      'spec.securityContext.seccompProfile.type: expected a string, got a number',
    ],
    [
      'an annotation value that is not a string',
      { metadata: { annotations: { a: 1 } }, spec: { containers: [] } },
      'metadata.annotations.a: expected a string, got a number',
    ],
    [
      'ephemeralContainers not a list',
      { spec: { containers: [], ephemeralContainers: 5 } },
      'spec.ephemeralContainers: expected a list of containers, got a number',
    ],
  ];
  for (const [name, object, message] of cases) {
    it(name, () => {
      for (const answer of [
        validate(admissionReview(object, { kind: 'Pod', group: '' })),
        mutate(admissionReview(object, { kind: 'Pod', group: '' })),
      ]) {
        assert.equal(answer.response.allowed, false);
        assert.equal(answer.response.status?.code, 400);
        assert.equal(answer.response.status?.message, `runtime-guard: malformed Pod: ${message}`);
        assert.equal(answer.outcome.decision, 'malformed');
      }
    });
  }

  it('a malformed template of a Deployment names the template path', () => {
    const deployment = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'x' },
      spec: { template: { spec: { initContainers: 'oops', containers: [] } } },
    };
    assert.equal(
      validate(admissionReview(deployment)).response.status?.message,
      'runtime-guard: malformed Deployment: spec.template.spec.initContainers: expected a list of containers, got a string "oops"',
    );
  });

  it('a malformed oldObject on UPDATE is refused too', () => {
    const good = pod({ containers: [{ name: 'a', image: 'x' }] });
    const { response } = validate(
      admissionReview(good, { operation: 'UPDATE', oldObject: { spec: { containers: 3 } } }),
    );
    assert.equal(response.status?.code, 400);
  });
});

describe('null means absent, as Kubernetes serialises it', () => {
  it('accepts nulls in every optional field', () => {
    const object = pod(
      {
        securityContext: {
          seccompProfile: { type: 'RuntimeDefault', localhostProfile: null },
          appArmorProfile: null,
        },
        os: null,
        runtimeClassName: null,
        initContainers: null,
        ephemeralContainers: null,
        containers: [
          {
            name: 'app',
            image: 'nginx',
            securityContext: {
              privileged: null,
              capabilities: { add: null, drop: null },
              seccompProfile: null,
            },
          },
        ],
      },
      { annotations: null },
    );
    assert.equal(validate(admissionReview(object)).response.allowed, true);
    assert.equal(mutate(admissionReview(object)).response.allowed, true);
  });
});
