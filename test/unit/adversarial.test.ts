/**
 * Adversarial review: an attacker who can create workloads in a namespace wants a container to
 * run without seccomp, with SYS_ADMIN / NET_ADMIN / ALL, or privileged, while runtime-guard is in
 * enforce mode. Each test states what a secure webhook must do; those marked "was a bypass"
 * failed before the fix that came with them.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RuleId } from '../../src/policy/policy.ts';
import {
  admissionReview,
  mutate,
  patched,
  pod,
  policy,
  validate,
  type Json,
  type ReviewOptions,
} from '../helpers.ts';

const baseline = policy();
const restricted = policy({ preset: 'restricted' });
const PRESETS = [
  ['baseline', baseline],
  ['restricted', restricted],
] as const;

const RD = { seccompProfile: { type: 'RuntimeDefault' } };
const APPARMOR = 'container.apparmor.security.beta.kubernetes.io/';

/** A container that is fine under both presets unless `securityContext` says otherwise. */
function container(name: string, securityContext: Json = {}): Json {
  return {
    name,
    image: 'registry.example/app:1',
    securityContext: { capabilities: { drop: ['ALL'] }, ...securityContext },
  };
}

function rulesOf(review: Json, p = baseline): Set<RuleId> {
  return new Set(validate(review, p).outcome.violations.map((v) => v.rule));
}

function assertDenied(review: Json, p: typeof baseline, rule: RuleId, label: string): void {
  const { response, outcome } = validate(review, p);
  assert.equal(response.allowed, false, `${label}: denied`);
  assert.ok(
    outcome.violations.some((v) => v.rule === rule),
    `${label}: denied by ${rule}; got ${outcome.violations.map((v) => v.rule).join(', ') || 'nothing'}`,
  );
}

/** Where an attacker can put a container: each list, sidecar init containers included. */
const PLACEMENTS: { label: string; place: (c: Json) => Json }[] = [
  { label: 'container', place: (c) => ({ containers: [c] }) },
  {
    label: 'init container',
    place: (c) => ({ initContainers: [c], containers: [container('main')] }),
  },
  {
    label: 'sidecar (init container with restartPolicy Always)',
    place: (c) => ({
      initContainers: [{ ...c, restartPolicy: 'Always' }],
      containers: [container('main')],
    }),
  },
  {
    label: 'ephemeral container on CREATE',
    place: (c) => ({ containers: [container('main')], ephemeralContainers: [c] }),
  },
];

/** Attacks on one container named `x`; the pod level is RuntimeDefault. */
const ATTACKS: { label: string; rule: RuleId; sc: Json; annotations?: Json }[] = [
  { label: 'privileged', rule: 'privileged', sc: { privileged: true } },
  {
    label: 'adds SYS_ADMIN',
    rule: 'capabilitiesAdded',
    sc: { capabilities: { add: ['SYS_ADMIN'], drop: ['ALL'] } },
  },
  {
    label: 'adds net_admin',
    rule: 'capabilitiesAdded',
    sc: { capabilities: { add: ['net_admin'], drop: ['ALL'] } },
  },
  {
    label: 'adds ALL',
    rule: 'capabilitiesAdded',
    sc: { capabilities: { add: ['ALL'], drop: ['ALL'] } },
  },
  {
    label: 'own Unconfined over a pod RuntimeDefault',
    rule: 'seccompUnconfined',
    sc: { seccompProfile: { type: 'Unconfined' } },
  },
  {
    label: 'own AppArmor Unconfined',
    rule: 'appArmor',
    sc: { appArmorProfile: { type: 'Unconfined' } },
  },
  {
    // The kubelet reads this annotation before the pod-level field (apparmor.GetProfile).
    label: 'AppArmor annotation unconfined over a pod-level RuntimeDefault field',
    rule: 'appArmor',
    sc: {},
    annotations: { [`${APPARMOR}x`]: 'unconfined' },
  },
];

describe('adversarial: every container list, every attack, both presets', () => {
  for (const placement of PLACEMENTS) {
    it(`${placement.label}: no attack gets through`, () => {
      for (const attack of ATTACKS) {
        const object = pod(
          {
            securityContext: { ...RD, appArmorProfile: { type: 'RuntimeDefault' } },
            ...placement.place(container('x', attack.sc)),
          },
          attack.annotations ? { annotations: attack.annotations } : {},
        );
        for (const [name, p] of PRESETS)
          assertDenied(admissionReview(object), p, attack.rule, `${attack.label} (${name})`);
      }
    });
  }
});

describe('adversarial: capability spellings', () => {
  const adding = (add: string[]) =>
    admissionReview(
      pod({
        securityContext: RD,
        containers: [container('x', { capabilities: { add, drop: ['ALL'] } })],
      }),
    );

  it('denies every non-canonical or unknown spelling, whatever it normalises to', () => {
    for (const spelling of [
      'CAP_ALL',
      'cap_all',
      ' All ',
      '',
      '   ',
      'SYS_ADMIN\n',
      'SYS_ADMIN\u0000',
      'SYS-ADMIN',
      'CAP_CAP_SYS_ADMIN',
      '\u017Fys_admin', // long s: JavaScript and Go both upper-case it to S
      'sys_adm\u0131n', // dotless i upper-cases to I
      'NET_ADMIN',
      'Net_Admin',
      'BPF',
      'PERFMON',
      'SYS_MODULE',
      'SYS_PTRACE',
      'DAC_READ_SEARCH',
      // Allowed capabilities, but not as Kubernetes spells them: never admitted as is.
      'CHOWN ',
      '\tCHOWN',
      'CAP_CHOWN',
      'chown',
    ]) {
      for (const [name, p] of PRESETS) {
        const { response } = validate(adding([spelling]), p);
        assert.equal(response.allowed, false, `${JSON.stringify(spelling)} (${name})`);
      }
    }
  });

  it('judges every entry: a forbidden one after allowed ones or duplicates is still found', () => {
    const { outcome } = validate(adding(['CHOWN', 'CHOWN', 'KILL', 'cap_sys_admin']));
    assert.deepEqual(
      outcome.violations.map((v) => v.field),
      ['spec.containers[0].securityContext.capabilities.add[3]'],
    );
  });

  it('restricted allows no baseline capability but NET_BIND_SERVICE, even when ALL is dropped', () => {
    for (const cap of ['CHOWN', 'SETUID', 'SYS_CHROOT', 'KILL'])
      assert.equal(validate(adding([cap]), restricted).response.allowed, false, cap);
    assert.equal(validate(adding(['NET_BIND_SERVICE']), restricted).response.allowed, true);
  });
});

describe('adversarial: seccomp precedence and Localhost profiles', () => {
  const withContainerProfile = (podProfile: Json | undefined, own: Json) =>
    admissionReview(
      pod({
        ...(podProfile ? { securityContext: { seccompProfile: podProfile } } : {}),
        containers: [container('ok'), container('x', { seccompProfile: own })],
      }),
    );

  it('a container Unconfined overrides any pod-level profile and is denied', () => {
    for (const podProfile of [
      { type: 'RuntimeDefault' },
      { type: 'Localhost', localhostProfile: 'profiles/strict.json' },
      undefined,
    ]) {
      for (const [name, p] of PRESETS)
        assertDenied(
          withContainerProfile(podProfile, { type: 'Unconfined' }),
          p,
          'seccompUnconfined',
          `pod ${podProfile?.type ?? 'none'} (${name})`,
        );
    }
  });

  it('an allowlist refuses absolute paths, backsteps, subdirectories and an empty name', () => {
    const p = policy({ rules: { seccompLocalhostAllowlist: { profiles: ['profiles/*.json'] } } });
    for (const name of [
      '/profiles/strict.json',
      '/var/lib/kubelet/seccomp/profiles/strict.json',
      'profiles/../permissive.json',
      '../profiles/strict.json',
      'profiles/sub/strict.json',
      'profiles/strict.json/..',
      'profiles/strict.json\n',
      '',
    ]) {
      assertDenied(
        withContainerProfile(
          { type: 'RuntimeDefault' },
          { type: 'Localhost', localhostProfile: name },
        ),
        p,
        'seccompLocalhostAllowlist',
        JSON.stringify(name),
      );
    }
  });

  // Was a bypass (with a pattern holding a whole-segment `*`). The kubelet loads
  // filepath.Join(seccompRoot, localhostProfile), which cleans the path; the API server only
  // refuses absolute paths and `..` (validateLocalDescendingPath). `*` matches an empty segment
  // and `.`, so the webhook approved a name whose cleaned path is outside every pattern.
  it('was a bypass: an allowlisted glob is matched against the path the kubelet loads, not the raw string', () => {
    const p = policy({
      rules: { seccompLocalhostAllowlist: { profiles: ['teams/*/strict.json', '*/audited.json'] } },
    });
    for (const [name, loads] of [
      ['teams//strict.json', 'teams/strict.json'],
      ['teams/./strict.json', 'teams/strict.json'],
      ['./audited.json', 'audited.json'],
    ] as const) {
      assertDenied(
        withContainerProfile(
          { type: 'RuntimeDefault' },
          { type: 'Localhost', localhostProfile: name },
        ),
        p,
        'seccompLocalhostAllowlist',
        `${JSON.stringify(name)} loads ${loads}`,
      );
    }
  });

  it('`*` and `**` never match a `..` segment (the API server refuses it too)', () => {
    const p = policy({
      rules: { seccompLocalhostAllowlist: { profiles: ['teams/*/strict.json', 'vendor/**'] } },
    });
    for (const name of ['teams/../strict.json', 'vendor/../../etc/permissive.json'])
      assertDenied(
        withContainerProfile(
          { type: 'RuntimeDefault' },
          { type: 'Localhost', localhostProfile: name },
        ),
        p,
        'seccompLocalhostAllowlist',
        name,
      );
  });
});

describe('adversarial: Windows', () => {
  // A HostProcess container runs as a process on the Windows host (SYSTEM, host network, host
  // filesystem): the Windows form of `privileged: true`. Pod Security baseline forbids it.
  const hostProcessPod = (os: Json | undefined, extra: Json = {}) =>
    pod({
      ...(os ? { os } : {}),
      hostNetwork: true,
      securityContext: {
        windowsOptions: { hostProcess: true, runAsUserName: 'NT AUTHORITY\\SYSTEM' },
        ...extra,
      },
      containers: [{ name: 'x', image: 'registry.example/app:1' }],
    });

  it('was a bypass: a Windows pod with HostProcess containers is denied as privileged', () => {
    for (const [name, p] of PRESETS) {
      const { response } = validate(admissionReview(hostProcessPod({ name: 'windows' })), p);
      assert.equal(response.allowed, false, name);
    }
  });

  it('was a bypass: a pod without spec.os that asks for HostProcess (scheduled to a Windows node) is denied', () => {
    // The API server accepts windowsOptions when spec.os is unset (test/e2e/adversarial.test.ts);
    // with a seccomp profile it passes every Linux rule, and a Windows kubelet ignores seccomp.
    for (const [name, p] of PRESETS) {
      const object = hostProcessPod(undefined, RD);
      (object.spec as Json).nodeSelector = { 'kubernetes.io/os': 'windows' };
      const { response } = validate(admissionReview(object), p);
      assert.equal(response.allowed, false, name);
    }
  });

  it('was a bypass: an ephemeral container added to a HostProcess pod is denied as privileged', () => {
    // The pod was admitted before runtime-guard, by an exempt user or in a warn/audit/off
    // namespace; `kubectl debug` then adds a container that inherits the pod's HostProcess.
    for (const os of [{ name: 'windows' }, undefined]) {
      const stored = hostProcessPod(os, os ? {} : RD);
      const debugged = structuredClone(stored);
      (debugged.spec as Json).ephemeralContainers = [
        {
          name: 'debugger',
          image: 'registry.example/debug:1',
          ...(os ? {} : { securityContext: { capabilities: { drop: ['ALL'] } } }),
        },
      ];
      for (const apiVersion of ['admission.k8s.io/v1', 'admission.k8s.io/v1beta1'] as const) {
        for (const [name, p] of PRESETS) {
          const { response, outcome } = validate(
            admissionReview(debugged, {
              operation: 'UPDATE',
              oldObject: stored,
              subResource: 'ephemeralcontainers',
              apiVersion,
            }),
            p,
          );
          const where = `${name}, ${apiVersion}, os ${JSON.stringify(os)}`;
          assert.equal(response.allowed, false, where);
          assert.deepEqual(
            outcome.violations.map((v) => [v.rule, v.subject, v.field]),
            [
              [
                'privileged',
                'ephemeral container "debugger"',
                'spec.securityContext.windowsOptions.hostProcess',
              ],
            ],
            where,
          );
        }
      }
    }
  });

  it('only os.name exactly "windows" exempts a pod', () => {
    for (const os of [
      { name: 'Windows' },
      { name: 'WINDOWS' },
      { name: 'linux' },
      { name: ' windows' },
      {},
    ]) {
      const object = pod({ os, containers: [container('x', { privileged: true })] });
      assert.equal(rulesOf(admissionReview(object)).has('privileged'), true, JSON.stringify(os));
    }
  });
});

describe('adversarial: operations, subresources and the UPDATE shortcut', () => {
  const evil = container('x', { privileged: true });

  it('dryRun changes nothing: the request is still denied', () => {
    const review = admissionReview(pod({ securityContext: RD, containers: [evil] }));
    (review.request as Json).dryRun = true;
    assert.equal(validate(review).response.allowed, false);
  });

  it('an UPDATE without oldObject (null) is judged in full', () => {
    const object = pod({ securityContext: RD, containers: [evil] });
    const review = admissionReview(object, { operation: 'UPDATE' });
    (review.request as Json).oldObject = null;
    assert.equal(validate(review).response.allowed, false);
    const deployment = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web' },
      spec: { template: { spec: { securityContext: RD, containers: [evil] } } },
    };
    const workload = admissionReview(deployment, { operation: 'UPDATE' });
    (workload.request as Json).oldObject = null;
    assert.equal(validate(workload).response.allowed, false);
  });

  it('a workload UPDATE that only adds an AppArmor annotation to the template is judged', () => {
    const cronJob = (annotations: Json) => ({
      apiVersion: 'batch/v1',
      kind: 'CronJob',
      metadata: { name: 'nightly' },
      spec: {
        schedule: '@daily',
        jobTemplate: {
          spec: {
            template: {
              metadata: { annotations },
              spec: { securityContext: RD, containers: [container('x')], restartPolicy: 'Never' },
            },
          },
        },
      },
    });
    const opts: ReviewOptions = { operation: 'UPDATE', oldObject: cronJob({}) };
    assertDenied(
      admissionReview(cronJob({ [`${APPARMOR}x`]: 'unconfined' }), opts),
      baseline,
      'appArmor',
      'template annotation',
    );
  });

  it('ephemeralcontainers: a new debug container cannot be privileged, Unconfined or AppArmor-unconfined', () => {
    const running = pod({ securityContext: RD, containers: [container('app')] });
    const debug = (dbg: Json, annotations: Json = {}) => {
      const before = { ...running, metadata: { ...(running.metadata as Json), annotations } };
      return admissionReview(
        { ...before, spec: { ...(running.spec as Json), ephemeralContainers: [dbg] } },
        { operation: 'UPDATE', oldObject: before, subResource: 'ephemeralcontainers' },
      );
    };
    assertDenied(
      debug(container('dbg', { privileged: true })),
      baseline,
      'privileged',
      'privileged',
    );
    assertDenied(
      debug(container('dbg', { seccompProfile: { type: 'Unconfined' } })),
      baseline,
      'seccompUnconfined',
      'own Unconfined',
    );
    assertDenied(
      debug(container('dbg', { capabilities: { add: ['CAP_SYS_ADMIN'] } })),
      baseline,
      'capabilitiesAdded',
      'CAP_SYS_ADMIN',
    );
    assertDenied(
      debug(container('dbg'), { [`${APPARMOR}dbg`]: 'unconfined' }),
      baseline,
      'appArmor',
      'annotation naming the debug container',
    );
  });

  it('ephemeralcontainers without oldObject judges every ephemeral container', () => {
    const object = pod({
      securityContext: RD,
      containers: [container('app')],
      ephemeralContainers: [container('dbg', { privileged: true })],
    });
    const review = admissionReview(object, {
      operation: 'UPDATE',
      subResource: 'ephemeralcontainers',
    });
    assert.equal(validate(review).response.allowed, false);
  });
});

describe('adversarial: exemptions match exactly', () => {
  const p = policy({
    exemptions: {
      namespaces: ['team-*', 'ops'],
      usernames: ['ci-bot', 'system:serviceaccount:ops:*'],
      runtimeClassNames: ['gvisor'],
    },
  });
  const evil = pod({ securityContext: RD, containers: [container('x', { privileged: true })] });

  it('no glob, prefix, case or whitespace variant of an exempt name is exempt', () => {
    for (const namespace of ['team-a', 'ops-2', 'Ops', 'op'])
      assert.equal(
        validate(admissionReview(evil, { namespace }), p).response.allowed,
        false,
        namespace,
      );
    for (const username of [
      'ci-bot ',
      'CI-BOT',
      'ci-bot2',
      'system:serviceaccount:ops:deployer',
      'x:ci-bot',
    ])
      assert.equal(
        validate(admissionReview(evil, { username }), p).response.allowed,
        false,
        username,
      );
    for (const runtimeClassName of ['gvisor-runc', 'GVISOR', 'gvisor '])
      assert.equal(
        validate(admissionReview(pod({ ...(evil.spec as Json), runtimeClassName })), p).response
          .allowed,
        false,
        runtimeClassName,
      );
  });
});

describe('adversarial: malformed input is never an allow, not even a would-be exemption', () => {
  const shapes: [string, Json][] = [
    ['os as a string', { os: 'windows', containers: [container('x', { privileged: true })] }],
    [
      'os.name not a string',
      { os: { name: ['windows'] }, containers: [container('x', { privileged: true })] },
    ],
    [
      'runtimeClassName as a list',
      { runtimeClassName: ['gvisor'], containers: [container('x', { privileged: true })] },
    ],
    ['securityContext as a list', { containers: [{ name: 'x', securityContext: [] }] }],
    [
      'capabilities as a string',
      { containers: [{ name: 'x', securityContext: { capabilities: 'ALL' } }] },
    ],
    [
      'seccompProfile as a string',
      { securityContext: { seccompProfile: 'Unconfined' }, containers: [container('x')] },
    ],
    ['appArmorProfile without type', { containers: [container('x', { appArmorProfile: {} })] }],
  ];
  const p = policy({ exemptions: { runtimeClassNames: ['gvisor'] } });

  for (const [label, spec] of shapes) {
    it(label, () => {
      for (const answer of [
        validate(admissionReview(pod(spec)), p),
        mutate(admissionReview(pod(spec)), p),
      ]) {
        assert.equal(answer.response.allowed, false);
        assert.equal(answer.outcome.decision, 'malformed');
      }
    });
  }

  it('a CREATE without an object is denied', () => {
    const review = admissionReview(undefined, { kind: 'Pod', group: '' });
    assert.equal(validate(review).response.allowed, false);
  });
});

describe('adversarial: mutation never launders an attack', () => {
  // Mutation runs first (failurePolicy Ignore). Whatever it does, the validating webhook must
  // still deny these, both on the original object (mutation down) and on the patched one.
  const attacks: [string, Json, Json][] = [
    ['privileged', { containers: [container('x', { privileged: true })] }, {}],
    ['SYS_ADMIN', { containers: [container('x', { capabilities: { add: ['SYS_ADMIN'] } })] }, {}],
    [
      'cap_net_admin',
      { containers: [container('x', { capabilities: { add: ['cap_net_admin'] } })] },
      {},
    ],
    [
      'container Unconfined',
      { containers: [container('x', { seccompProfile: { type: 'Unconfined' } })] },
      {},
    ],
    [
      'pod Unconfined',
      { securityContext: { seccompProfile: { type: 'Unconfined' } }, containers: [container('x')] },
      {},
    ],
    [
      'legacy pod annotation unconfined',
      { containers: [container('x')] },
      { 'seccomp.security.alpha.kubernetes.io/pod': 'unconfined' },
    ],
    [
      'legacy container annotation unconfined',
      { containers: [container('x')] },
      { 'container.seccomp.security.alpha.kubernetes.io/x': 'unconfined' },
    ],
    [
      'AppArmor annotation unconfined',
      { securityContext: RD, containers: [container('x')] },
      { [`${APPARMOR}x`]: 'unconfined' },
    ],
  ];
  const withAppArmorTranslation = (preset: 'baseline' | 'restricted') =>
    policy({ preset, mutation: { legacyAppArmorAnnotations: { enabled: true } } });

  for (const [label, spec, annotations] of attacks) {
    it(label, () => {
      for (const p of [
        baseline,
        restricted,
        withAppArmorTranslation('baseline'),
        withAppArmorTranslation('restricted'),
      ]) {
        const object = pod(spec, { annotations });
        assert.equal(
          validate(admissionReview(object), p).response.allowed,
          false,
          'without mutation',
        );
        const after = patched(object, mutate(admissionReview(object), p).response);
        assert.equal(validate(admissionReview(after), p).response.allowed, false, 'after mutation');
      }
    });
  }
});
