import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  admissionReview,
  compliantSpec,
  mutate,
  pod,
  policy,
  validate,
  type Json,
} from '../helpers.ts';
import { MAX_WARNING_LENGTH } from '../../src/admission/messages.ts';
import type { ReviewContext } from '../../src/admission/review-request.ts';
import type { NamespaceMode } from '../../src/admission/settings.ts';

/** The namespace's `runtime-guard.io/mode` label, as the server's informer would report it. */
const namespaceMode = (mode: NamespaceMode): ReviewContext => ({
  namespaceModes: { modeFor: (namespace) => (namespace === 'team-a' ? mode : undefined) },
});

const badPod = pod({
  containers: [
    { name: 'app', image: 'nginx', securityContext: { capabilities: { add: ['NET_ADMIN'] } } },
  ],
});

describe('modes', () => {
  it('enforce denies with 403 and records the violations for the audit log', () => {
    const { response } = validate(admissionReview(badPod));
    assert.equal(response.allowed, false);
    assert.equal(response.status?.reason, 'Forbidden');
    assert.deepEqual(response.auditAnnotations, {
      mode: 'enforce',
      policy: 'baseline',
      decision: 'denied',
      violations:
        'seccompRequired@spec.containers[0].securityContext.seccompProfile; capabilitiesAdded@spec.containers[0].securityContext.capabilities.add[0]',
    });
  });

  it('warn allows with kubectl warnings under 256 characters', () => {
    const { response, outcome } = validate(admissionReview(badPod), policy({ mode: 'warn' }));
    assert.equal(response.allowed, true);
    assert.equal(outcome.decision, 'warned');
    assert.deepEqual(response.warnings, [
      'runtime-guard (warn mode): Pod "web" in namespace "team-a" violates the baseline policy and would be refused in enforce mode',
      'runtime-guard: container "app": has no seccomp profile. Fix: set spec.securityContext.seccompProfile.type: RuntimeDefault',
      'runtime-guard: container "app": adds capability NET_ADMIN, which the baseline policy does not allow. Fix: remove "NET_ADMIN" from spec.containers[0].securityContext.capabilities.add',
    ]);
    assert.equal(response.auditAnnotations?.decision, 'allowed');
  });

  it('audit allows silently and records the violations', () => {
    const { response, outcome } = validate(admissionReview(badPod), policy({ mode: 'audit' }));
    assert.equal(response.allowed, true);
    assert.equal(response.warnings, undefined);
    assert.equal(outcome.decision, 'audited');
    assert.match(response.auditAnnotations?.violations ?? '', /capabilitiesAdded@/);
  });

  it('a namespace mode overrides the configured mode; off skips review and mutation', () => {
    assert.equal(
      validate(admissionReview(badPod), policy(), namespaceMode('warn')).response.allowed,
      true,
    );
    assert.equal(
      validate(admissionReview(badPod), policy({ mode: 'audit' }), namespaceMode('enforce'))
        .response.allowed,
      false,
    );
    const off = validate(admissionReview(badPod), policy(), namespaceMode('off'));
    assert.equal(off.response.allowed, true);
    assert.equal(off.outcome.decision, 'skipped');
    assert.equal(
      mutate(admissionReview(badPod), policy(), namespaceMode('off')).response.patch,
      undefined,
    );
  });

  it('keeps a message with hundreds of violations bounded and readable', () => {
    const containers = Array.from({ length: 300 }, (_, i) => ({
      name: `c${i}`,
      image: 'x',
      securityContext: { privileged: true, capabilities: { add: ['SYS_ADMIN', 'NET_ADMIN'] } },
    }));
    const { response } = validate(admissionReview(pod({ containers })));
    const message = response.status?.message ?? '';
    assert.ok(message.length < 10_000, `message has ${message.length} characters`);
    assert.match(message, /violates the baseline policy \(mode: enforce\), 1200 violations:/);
    assert.match(
      message.split('\n').at(-1) ?? '',
      /^- … and 1180 more; fix the ones above and apply again to see them$/,
    );
    const warned =
      validate(admissionReview(pod({ containers })), policy({ mode: 'warn' })).response.warnings ??
      [];
    assert.ok(warned.length <= 15);
    for (const w of warned) assert.ok(w.length <= MAX_WARNING_LENGTH, w);
    assert.ok((response.auditAnnotations?.violations ?? '').length <= 4000);
  });

  it('orders violations by container position, deterministically', () => {
    const spec = {
      initContainers: [{ name: 'z-init', image: 'x', securityContext: { privileged: true } }],
      containers: [
        { name: 'b', image: 'x', securityContext: { privileged: true } },
        { name: 'a', image: 'x', securityContext: { privileged: true } },
      ],
    };
    const first = validate(admissionReview(pod(spec))).response.status?.message;
    assert.equal(
      first,
      validate(admissionReview(pod(structuredClone(spec)))).response.status?.message,
    );
    const subjects = (first ?? '')
      .split('\n')
      .slice(1)
      .map((l) => l.split(':')[0]);
    assert.deepEqual(subjects, [
      '- init container "z-init"',
      '- init container "z-init"',
      '- container "b"',
      '- container "b"',
      '- container "a"',
      '- container "a"',
    ]);
  });
});

describe('exemptions', () => {
  const p = policy({
    exemptions: {
      namespaces: ['kube-system'],
      usernames: ['system:serviceaccount:kube-system:daemon-set-controller'],
      runtimeClassNames: ['gvisor'],
    },
  });

  it('allows exempt namespaces, users and runtime classes unevaluated, and says why', () => {
    const byNamespace = validate(admissionReview(badPod, { namespace: 'kube-system' }), p).response;
    assert.deepEqual(byNamespace, {
      uid: byNamespace.uid,
      allowed: true,
      auditAnnotations: { exempt: 'namespace "kube-system" is exempt' },
    });
    const byUser = validate(
      admissionReview(badPod, {
        username: 'system:serviceaccount:kube-system:daemon-set-controller',
      }),
      p,
    ).response;
    assert.equal(
      byUser.auditAnnotations?.exempt,
      'user "system:serviceaccount:kube-system:daemon-set-controller" is exempt',
    );
    const sandboxed = pod({ ...(badPod.spec as Json), runtimeClassName: 'gvisor' });
    assert.equal(
      validate(admissionReview(sandboxed), p).response.auditAnnotations?.exempt,
      'runtimeClassName "gvisor" is exempt',
    );
    assert.equal(mutate(admissionReview(sandboxed), p).response.patch, undefined);
  });

  it('does not exempt other namespaces or runtime classes', () => {
    assert.equal(
      validate(admissionReview(badPod, { namespace: 'kube-system-2' }), p).response.allowed,
      false,
    );
    assert.equal(
      validate(admissionReview(pod({ ...(badPod.spec as Json), runtimeClassName: 'kata' })), p)
        .response.allowed,
      false,
    );
  });
});

describe('AdmissionReview versions', () => {
  for (const apiVersion of ['admission.k8s.io/v1', 'admission.k8s.io/v1beta1'] as const) {
    it(`echoes ${apiVersion}, the kind and the uid`, () => {
      const { review } = validate(
        admissionReview(pod(compliantSpec()), { apiVersion, uid: 'abc-123' }),
      );
      assert.equal(review.apiVersion, apiVersion);
      assert.equal(review.kind, 'AdmissionReview');
      assert.deepEqual((review.response as Json).uid, 'abc-123');
    });
  }
});
