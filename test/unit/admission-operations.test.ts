import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  admissionReview,
  compliantSpec,
  decodePatch,
  messageLines,
  mutate,
  patched,
  pod,
  policy,
  validate,
  type Json,
} from '../helpers.ts';

const badPod = pod({
  containers: [{ name: 'app', image: 'nginx', securityContext: { privileged: true } }],
});

describe('operations and subresources', () => {
  it('allows DELETE and CONNECT unevaluated', () => {
    for (const operation of ['DELETE', 'CONNECT'] as const) {
      const { response, outcome } = validate(admissionReview(badPod, { operation }));
      assert.equal(response.allowed, true);
      assert.equal(outcome.decision, 'skipped');
    }
  });

  it('allows subresources other than ephemeralcontainers', () => {
    for (const subResource of ['status', 'binding', 'exec', 'resize']) {
      assert.equal(
        validate(admissionReview(badPod, { operation: 'UPDATE', oldObject: badPod, subResource }))
          .response.allowed,
        true,
        subResource,
      );
    }
    const scale = {
      apiVersion: 'autoscaling/v1',
      kind: 'Scale',
      metadata: { name: 'web' },
      spec: { replicas: 3 },
    };
    assert.equal(
      validate(
        admissionReview(scale, {
          operation: 'UPDATE',
          subResource: 'scale',
          kind: 'Scale',
          group: 'autoscaling',
        }),
      ).response.allowed,
      true,
    );
  });

  it('allows an UPDATE that changes only labels, even of a violating pod', () => {
    const labelled = {
      ...badPod,
      metadata: { ...(badPod.metadata as Json), labels: { tier: 'web' } },
    };
    const { response, outcome } = validate(
      admissionReview(labelled, { operation: 'UPDATE', oldObject: badPod }),
    );
    assert.equal(response.allowed, true);
    assert.equal(outcome.reason, 'no security-relevant change');
  });

  it('judges an UPDATE that changes an image or adds a legacy annotation', () => {
    const old = pod(
      compliantSpec({
        containers: [{ name: 'app', image: 'nginx:1', securityContext: { privileged: true } }],
      }),
    );
    const newer = pod(
      compliantSpec({
        containers: [{ name: 'app', image: 'nginx:2', securityContext: { privileged: true } }],
      }),
    );
    assert.equal(
      validate(admissionReview(newer, { operation: 'UPDATE', oldObject: old })).response.allowed,
      false,
    );
    const annotated = pod(
      { containers: [{ name: 'app', image: 'nginx' }] },
      { annotations: { 'seccomp.security.alpha.kubernetes.io/pod': 'unconfined' } },
    );
    const plain = pod({ containers: [{ name: 'app', image: 'nginx' }] });
    assert.equal(
      validate(admissionReview(annotated, { operation: 'UPDATE', oldObject: plain })).response
        .allowed,
      false,
    );
  });

  it('judges a workload UPDATE only when its template changed, and then mutates it', () => {
    const deployment = (replicas: number, image: string) => ({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web' },
      spec: { replicas, template: { spec: { containers: [{ name: 'app', image }] } } },
    });
    const scaled = admissionReview(deployment(5, 'nginx:1'), {
      operation: 'UPDATE',
      oldObject: deployment(3, 'nginx:1'),
    });
    assert.equal(validate(scaled).response.allowed, true);
    assert.equal(mutate(scaled).response.patch, undefined, 'scaling never starts a rollout');
    const bumped = admissionReview(deployment(3, 'nginx:2'), {
      operation: 'UPDATE',
      oldObject: deployment(3, 'nginx:1'),
    });
    assert.equal(validate(bumped).response.allowed, false);
    assert.deepEqual(decodePatch(mutate(bumped).response), [
      {
        op: 'add',
        path: '/spec/template/spec/securityContext',
        value: { seccompProfile: { type: 'RuntimeDefault' } },
      },
    ]);
  });

  it('never mutates a pod on a plain UPDATE', () => {
    const before = pod({ containers: [{ name: 'app', image: 'nginx:1' }] });
    const after = pod({ containers: [{ name: 'app', image: 'nginx:2' }] });
    assert.equal(
      mutate(admissionReview(after, { operation: 'UPDATE', oldObject: before })).response.patch,
      undefined,
    );
  });
});

describe('the ephemeralcontainers subresource (kubectl debug)', () => {
  // A pod created before runtime-guard: no profile, a privileged container.
  const legacyPod = pod({
    containers: [{ name: 'app', image: 'nginx', securityContext: { privileged: true } }],
  });
  const withDebugger = (debuggerContainer: Json) => ({
    ...legacyPod,
    spec: { ...(legacyPod.spec as Json), ephemeralContainers: [debuggerContainer] },
  });
  const review = (debuggerContainer: Json) =>
    admissionReview(withDebugger(debuggerContainer), {
      operation: 'UPDATE',
      oldObject: legacyPod,
      subResource: 'ephemeralcontainers',
    });

  it('judges only the added ephemeral container, with the pod profile as its context', () => {
    const compliant = {
      name: 'debugger',
      image: 'busybox',
      securityContext: { seccompProfile: { type: 'RuntimeDefault' } },
    };
    assert.equal(validate(review(compliant)).response.allowed, true);
    assert.deepEqual(
      messageLines(
        validate(
          review({
            name: 'debugger',
            image: 'busybox',
            securityContext: { capabilities: { add: ['SYS_PTRACE'] } },
          }),
        ).response,
      ),
      [
        '- ephemeral container "debugger": has no seccomp profile. Fix: set spec.ephemeralContainers[0].securityContext.seccompProfile.type: RuntimeDefault',
        '- ephemeral container "debugger": adds capability SYS_PTRACE, which the baseline policy does not allow. Fix: remove "SYS_PTRACE" from spec.ephemeralContainers[0].securityContext.capabilities.add',
      ],
    );
  });

  it('refuses a debug container that would inherit a pod-level Unconfined', () => {
    const unconfinedPod = pod({
      securityContext: { seccompProfile: { type: 'Unconfined' } },
      containers: [{ name: 'app', image: 'nginx' }],
    });
    const object = {
      ...unconfinedPod,
      spec: {
        ...(unconfinedPod.spec as Json),
        ephemeralContainers: [{ name: 'dbg', image: 'busybox' }],
      },
    };
    const { response } = validate(
      admissionReview(object, {
        operation: 'UPDATE',
        oldObject: unconfinedPod,
        subResource: 'ephemeralcontainers',
      }),
    );
    assert.deepEqual(messageLines(response), [
      '- ephemeral container "dbg": inherits seccomp profile Unconfined from spec.securityContext.seccompProfile (no syscall filtering). Fix: set its own securityContext.seccompProfile.type: RuntimeDefault',
    ]);
  });

  it('mutates only the new ephemeral container, never the pod level or older containers', () => {
    const object = withDebugger({ name: 'debugger', image: 'busybox' });
    const ops = decodePatch(
      mutate(
        admissionReview(object, {
          operation: 'UPDATE',
          oldObject: legacyPod,
          subResource: 'ephemeralcontainers',
        }),
        policy({ preset: 'restricted' }),
      ).response,
    );
    assert.ok(ops.length > 0);
    for (const op of ops) assert.match(op.path, /^\/spec\/ephemeralContainers\/0\//);
    const result = patched(
      object,
      mutate(
        admissionReview(object, {
          operation: 'UPDATE',
          oldObject: legacyPod,
          subResource: 'ephemeralcontainers',
        }),
        policy({ preset: 'restricted' }),
      ).response,
    );
    assert.deepEqual(
      (result.spec as { ephemeralContainers: Json[] }).ephemeralContainers[0]?.securityContext,
      {
        seccompProfile: { type: 'RuntimeDefault' },
        capabilities: { drop: ['ALL'] },
      },
    );
  });

  it('leaves alone a second debug session that keeps the first container', () => {
    const first = {
      name: 'debugger',
      image: 'busybox',
      securityContext: { capabilities: { add: ['SYS_PTRACE'] } },
    };
    const second = {
      name: 'debugger-2',
      image: 'busybox',
      securityContext: { seccompProfile: { type: 'RuntimeDefault' } },
    };
    const old = withDebugger(first);
    const object = {
      ...old,
      spec: { ...(old.spec as Json), ephemeralContainers: [first, second] },
    };
    assert.equal(
      validate(
        admissionReview(object, {
          operation: 'UPDATE',
          oldObject: old,
          subResource: 'ephemeralcontainers',
        }),
      ).response.allowed,
      true,
    );
  });
});
