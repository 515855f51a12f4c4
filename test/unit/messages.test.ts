/**
 * The words, tested once: for every rule, what each kind of violation it finds says is wrong and
 * how to fix it; how admission frames violations (the denial `kubectl apply` prints, kubectl's
 * `Warning:` lines, the audit annotations) within their bounds; and what the mutation says it
 * did or left alone. The rule and mutation tests assert data and leave the wording to this file.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  auditList,
  auditViolations,
  denialMessage,
  noteWarnings,
  violationWarnings,
} from '../../src/admission/messages.ts';
import { mutatingAnswer } from '../../src/admission/mutating-answer.ts';
import { validatingAnswer } from '../../src/admission/validating-answer.ts';
import { mutatePod } from '../../src/policy/mutate.ts';
import type { PodUnderReview } from '../../src/policy/pod-under-review.ts';
import { RULE_ORDER, type Policy, type RuleId } from '../../src/policy/policy.ts';
import { evaluatePod } from '../../src/policy/registry.ts';
import type { Violation } from '../../src/policy/violation.ts';
import { clip, describeObject, violationLine } from '../../src/render/violation-text.ts';
import { pod, policy as reviewConfig, type Json } from '../helpers.ts';
import { ephemeralUpdate, podReview, policyOf, reviewOf } from './policy-helpers.ts';

const RD = { seccompProfile: { type: 'RuntimeDefault' } };
const WEB = { kind: 'Pod', name: 'web', namespace: 'team-a' };

interface WordingCase {
  /** The kind of violation, as the test's name. */
  kind: string;
  pod: PodUnderReview;
  policy?: Policy;
  /** The rule's violations on `pod`, as `violationLine` renders them. */
  lines: string[];
}

const withContainer = (securityContext: Json) =>
  podReview({
    securityContext: RD,
    containers: [{ name: 'app', image: 'nginx', securityContext }],
  });

const debugging = (podSecurityContext: Json) =>
  ephemeralUpdate(
    podReview({
      securityContext: podSecurityContext,
      containers: [{ name: 'app', image: 'nginx' }],
      ephemeralContainers: [{ name: 'debugger', image: 'busybox' }],
    }),
    'debugger',
  );

const localhost = (name: string | undefined) =>
  podReview({
    securityContext: {
      seccompProfile: {
        type: 'Localhost',
        ...(name === undefined ? {} : { localhostProfile: name }),
      },
    },
    containers: [{ name: 'app', image: 'nginx' }],
  });

const ALLOWLIST = policyOf({
  rules: { seccompLocalhostAllowlist: { profiles: ['profiles/*.json', 'vendor/**'] } },
});
const POD_LOCALHOST_FIX =
  'Fix: set spec.securityContext.seccompProfile.localhostProfile to an allowed profile, or spec.securityContext.seccompProfile.type: RuntimeDefault';
const ADD = 'spec.containers[0].securityContext.capabilities.add';

/** Every rule (the type requires each), and every branch of its message. */
const WORDING: Record<RuleId, WordingCase[]> = {
  privileged: [
    {
      kind: 'privileged container',
      pod: withContainer({ privileged: true }),
      lines: [
        'container "app": runs privileged (all capabilities, host devices, no seccomp). Fix: set spec.containers[0].securityContext.privileged: false',
      ],
    },
    {
      kind: 'HostProcess set on the pod and on a container',
      pod: podReview({
        os: { name: 'windows' },
        securityContext: { windowsOptions: { hostProcess: true } },
        containers: [
          { name: 'app', image: 'iis', securityContext: { windowsOptions: { hostProcess: true } } },
        ],
      }),
      lines: [
        'pod: runs as a Windows HostProcess container (on the node itself, with a host account). Fix: remove spec.securityContext.windowsOptions.hostProcess',
        'container "app": runs as a Windows HostProcess container (on the node itself, with a host account). Fix: remove spec.containers[0].securityContext.windowsOptions.hostProcess',
      ],
    },
    {
      kind: 'HostProcess inherited by a new ephemeral container',
      pod: debugging({ windowsOptions: { hostProcess: true } }),
      lines: [
        'ephemeral container "debugger": inherits Windows HostProcess from spec.securityContext.windowsOptions.hostProcess (runs on the node itself, with a host account). Fix: add no containers to a HostProcess pod: every container of it runs on the node; debug it on the node instead',
      ],
    },
  ],
  seccompUnconfined: [
    {
      kind: 'Unconfined set on the pod and on an init container',
      pod: podReview({
        securityContext: { seccompProfile: { type: 'Unconfined' } },
        initContainers: [
          {
            name: 'setup',
            image: 'busybox',
            securityContext: { seccompProfile: { type: 'Unconfined' } },
          },
        ],
        containers: [{ name: 'app', image: 'nginx', securityContext: RD }],
      }),
      lines: [
        'pod: sets seccomp profile Unconfined (no syscall filtering). Fix: set spec.securityContext.seccompProfile.type: RuntimeDefault',
        'init container "setup": sets seccomp profile Unconfined (no syscall filtering). Fix: set spec.initContainers[0].securityContext.seccompProfile.type: RuntimeDefault',
      ],
    },
    {
      kind: 'Unconfined inherited by a new ephemeral container',
      pod: debugging({ seccompProfile: { type: 'Unconfined' } }),
      lines: [
        'ephemeral container "debugger": inherits seccomp profile Unconfined from spec.securityContext.seccompProfile (no syscall filtering). Fix: set its own securityContext.seccompProfile.type: RuntimeDefault',
      ],
    },
  ],
  seccompRequired: [
    {
      kind: 'no profile: one pod-level fix for every container',
      pod: podReview({
        initContainers: [{ name: 'setup', image: 'busybox' }],
        containers: [{ name: 'app', image: 'nginx' }],
      }),
      lines: [
        'init container "setup": has no seccomp profile. Fix: set spec.securityContext.seccompProfile.type: RuntimeDefault',
        'container "app": has no seccomp profile. Fix: set spec.securityContext.seccompProfile.type: RuntimeDefault',
      ],
    },
    {
      kind: 'no profile, with the ignored legacy pod annotation',
      pod: podReview(
        { containers: [{ name: 'app', image: 'nginx' }] },
        { 'seccomp.security.alpha.kubernetes.io/pod': 'runtime/default' },
      ),
      lines: [
        'container "app": has no seccomp profile; its annotation metadata.annotations["seccomp.security.alpha.kubernetes.io/pod"]: runtime/default has been ignored since Kubernetes 1.27. Fix: set spec.securityContext.seccompProfile.type: RuntimeDefault',
      ],
    },
    {
      kind: 'no profile, with the container annotation, which wins over the pod one',
      pod: podReview(
        { containers: [{ name: 'app', image: 'nginx' }] },
        {
          'seccomp.security.alpha.kubernetes.io/pod': 'runtime/default',
          'container.seccomp.security.alpha.kubernetes.io/app': 'localhost/app.json',
        },
      ),
      lines: [
        'container "app": has no seccomp profile; its annotation metadata.annotations["container.seccomp.security.alpha.kubernetes.io/app"]: localhost/app.json has been ignored since Kubernetes 1.27. Fix: set spec.securityContext.seccompProfile.type: RuntimeDefault',
      ],
    },
    {
      kind: 'no profile in a pod template, paths from the workload root',
      pod: reviewOf({
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'web', namespace: 'shop' },
        spec: {
          template: {
            metadata: {
              annotations: { 'seccomp.security.alpha.kubernetes.io/pod': 'runtime/default' },
            },
            spec: { containers: [{ name: 'app', image: 'nginx' }] },
          },
        },
      }),
      lines: [
        'container "app": has no seccomp profile; its annotation spec.template.metadata.annotations["seccomp.security.alpha.kubernetes.io/pod"]: runtime/default has been ignored since Kubernetes 1.27. Fix: set spec.template.spec.securityContext.seccompProfile.type: RuntimeDefault',
      ],
    },
    {
      kind: 'no profile on a new ephemeral container: the fix is its own field',
      pod: debugging({}),
      lines: [
        'ephemeral container "debugger": has no seccomp profile. Fix: set spec.ephemeralContainers[0].securityContext.seccompProfile.type: RuntimeDefault',
      ],
    },
    {
      kind: 'a container profile of another type',
      pod: podReview({
        containers: [
          {
            name: 'app',
            image: 'nginx',
            securityContext: { seccompProfile: { type: 'Permissive' } },
          },
        ],
      }),
      lines: [
        'container "app": runs seccomp profile type "Permissive", which is not RuntimeDefault or Localhost. Fix: set spec.containers[0].securityContext.seccompProfile.type: RuntimeDefault',
      ],
    },
    {
      kind: 'a pod-level Unconfined, when seccompUnconfined is off',
      pod: podReview({
        securityContext: { seccompProfile: { type: 'Unconfined' } },
        containers: [{ name: 'app', image: 'nginx' }],
      }),
      policy: policyOf({ rules: { seccompUnconfined: { enabled: false } } }),
      lines: [
        'container "app": runs seccomp profile type "Unconfined", which is not RuntimeDefault or Localhost. Fix: set spec.securityContext.seccompProfile.type: RuntimeDefault',
      ],
    },
  ],
  seccompLocalhostAllowlist: [
    {
      kind: 'a pod-level profile outside the list',
      pod: localhost('profiles/sub/nginx.json'),
      policy: ALLOWLIST,
      lines: [
        `pod: uses Localhost seccomp profile "profiles/sub/nginx.json", which is not in the allowed list (profiles/*.json, vendor/**). ${POD_LOCALHOST_FIX}`,
      ],
    },
    {
      kind: 'a container profile outside the list',
      pod: withContainer({
        seccompProfile: { type: 'Localhost', localhostProfile: 'anything.json' },
      }),
      policy: ALLOWLIST,
      lines: [
        'container "app": uses Localhost seccomp profile "anything.json", which is not in the allowed list (profiles/*.json, vendor/**). Fix: set spec.containers[0].securityContext.seccompProfile.localhostProfile to an allowed profile, or spec.containers[0].securityContext.seccompProfile.type: RuntimeDefault',
      ],
    },
    {
      kind: 'a profile inherited by a new ephemeral container',
      pod: debugging({ seccompProfile: { type: 'Localhost', localhostProfile: 'old.json' } }),
      policy: ALLOWLIST,
      lines: [
        'ephemeral container "debugger": inherits Localhost seccomp profile "old.json", which is not in the allowed list (profiles/*.json, vendor/**). Fix: set its own securityContext.seccompProfile to an allowed Localhost profile, or its type to RuntimeDefault',
      ],
    },
    ...(
      [
        [undefined, '', 'it is empty'],
        ['/vendor/x.json', '/vendor/x.json', 'it is absolute'],
        ['vendor/../x.json', 'vendor/../x.json', 'it has a ".." segment'],
        ['vendor/./x.json', 'vendor/./x.json', 'it has a "." segment'],
        ['vendor//x.json', 'vendor//x.json', 'it has an empty segment'],
        // Names over 120 characters are cut in the message.
        [
          `vendor/${'a'.repeat(4090)}`,
          `vendor/${'a'.repeat(113)}…`,
          'it is longer than 4096 characters',
        ],
      ] as const
    ).map(([name, shown, why]) => ({
      kind: `an unclean name: ${why}`,
      pod: localhost(name),
      policy: ALLOWLIST,
      lines: [
        `pod: uses Localhost seccomp profile "${shown}", which is not a clean relative path (${why}). ${POD_LOCALHOST_FIX}`,
      ],
    })),
  ],
  capabilitiesAdded: [
    {
      kind: 'forbidden, forbidden misspelt, unknown, ALL, all, and an allowed one misspelt',
      pod: withContainer({
        capabilities: { add: ['NET_ADMIN', 'cap_net_raw', 'NOT_A_CAP', 'ALL', 'all', 'chown'] },
      }),
      lines: [
        `container "app": adds capability NET_ADMIN, which the baseline policy does not allow. Fix: remove "NET_ADMIN" from ${ADD}`,
        `container "app": adds capability "cap_net_raw" (NET_RAW), which the baseline policy does not allow. Fix: remove "cap_net_raw" from ${ADD}`,
        `container "app": adds "NOT_A_CAP", which is not a Linux capability. Fix: remove "NOT_A_CAP" from ${ADD}`,
        `container "app": adds ALL: every Linux capability. Fix: remove "ALL" from ${ADD}`,
        `container "app": adds "all" (ALL): every Linux capability. Fix: remove "all" from ${ADD}`,
        `container "app": spells capability "chown" in a form Kubernetes does not document. Fix: write CHOWN at ${ADD}[5]`,
      ],
    },
    {
      kind: 'every spelling of SYS_ADMIN names what the runtime grants',
      pod: withContainer({
        capabilities: {
          add: ['SYS_ADMIN', 'sys_admin', 'CAP_SYS_ADMIN', 'cap_sys_admin', ' Sys_Admin '],
        },
      }),
      lines: [
        `container "app": adds capability SYS_ADMIN, which the baseline policy does not allow. Fix: remove "SYS_ADMIN" from ${ADD}`,
        `container "app": adds capability "sys_admin" (SYS_ADMIN), which the baseline policy does not allow. Fix: remove "sys_admin" from ${ADD}`,
        `container "app": adds capability "CAP_SYS_ADMIN" (SYS_ADMIN), which the baseline policy does not allow. Fix: remove "CAP_SYS_ADMIN" from ${ADD}`,
        `container "app": adds capability "cap_sys_admin" (SYS_ADMIN), which the baseline policy does not allow. Fix: remove "cap_sys_admin" from ${ADD}`,
        `container "app": adds capability " Sys_Admin " (SYS_ADMIN), which the baseline policy does not allow. Fix: remove " Sys_Admin " from ${ADD}`,
      ],
    },
    {
      kind: 'the preset named is the policy in force',
      pod: withContainer({ capabilities: { add: ['CHOWN'], drop: ['ALL'] } }),
      policy: policyOf({ preset: 'restricted' }),
      lines: [
        `container "app": adds capability CHOWN, which the restricted policy does not allow. Fix: remove "CHOWN" from ${ADD}`,
      ],
    },
  ],
  capabilitiesDropAll: [
    {
      kind: 'ALL not dropped',
      pod: withContainer({ capabilities: { drop: ['NET_RAW'] } }),
      policy: policyOf({ preset: 'restricted' }),
      lines: [
        'container "app": does not drop ALL capabilities. Fix: add "ALL" to spec.containers[0].securityContext.capabilities.drop',
      ],
    },
  ],
  appArmor: [
    {
      kind: 'Unconfined set on the pod and on a container',
      pod: podReview({
        securityContext: { ...RD, appArmorProfile: { type: 'Unconfined' } },
        containers: [
          {
            name: 'app',
            image: 'nginx',
            securityContext: { appArmorProfile: { type: 'Unconfined' } },
          },
        ],
      }),
      lines: [
        'pod: sets AppArmor profile Unconfined. Fix: set spec.securityContext.appArmorProfile.type: RuntimeDefault',
        'container "app": sets AppArmor profile Unconfined. Fix: set spec.containers[0].securityContext.appArmorProfile.type: RuntimeDefault',
      ],
    },
    {
      kind: 'Unconfined inherited by a new ephemeral container',
      pod: debugging({ ...RD, appArmorProfile: { type: 'Unconfined' } }),
      lines: [
        'ephemeral container "debugger": inherits AppArmor profile Unconfined. Fix: set its own securityContext.appArmorProfile.type: RuntimeDefault',
      ],
    },
    {
      kind: 'the legacy annotation unconfined',
      pod: podReview(
        { securityContext: RD, containers: [{ name: 'app', image: 'nginx' }] },
        { 'container.apparmor.security.beta.kubernetes.io/app': 'unconfined' },
      ),
      lines: [
        'container "app": is AppArmor-unconfined by annotation metadata.annotations["container.apparmor.security.beta.kubernetes.io/app"]. Fix: remove that annotation and set spec.containers[0].securityContext.appArmorProfile.type: RuntimeDefault',
      ],
    },
  ],
};

describe('violation wording, rule by rule', () => {
  for (const rule of RULE_ORDER) {
    describe(rule, () => {
      for (const wording of WORDING[rule]) {
        it(wording.kind, () => {
          const found = evaluatePod(wording.pod, wording.policy ?? policyOf());
          assert.deepEqual(found.filter((v) => v.rule === rule).map(violationLine), wording.lines);
        });
      }
    });
  }
});

/** A violation for the framing tests, which are about counts and lengths, not rules. */
function violation(n: number, problem = 'runs privileged'): Violation {
  return {
    rule: 'privileged',
    subject: `container "c${n}"`,
    order: n,
    field: `spec.containers[${n}].securityContext.privileged`,
    problem,
    fix: `set spec.containers[${n}].securityContext.privileged: false`,
  };
}
const many = (count: number) => Array.from({ length: count }, (_, i) => violation(i));

describe('text shared by every reader (src/render/violation-text.ts)', () => {
  it('names an object with its namespace when it has one', () => {
    assert.equal(describeObject(WEB), 'Pod "web" in namespace "team-a"');
    assert.equal(describeObject({ kind: 'ClusterThing', name: 'x' }), 'ClusterThing "x"');
  });

  it('writes a violation as subject, problem and fix', () => {
    assert.equal(
      violationLine(violation(0)),
      'container "c0": runs privileged. Fix: set spec.containers[0].securityContext.privileged: false',
    );
  });

  it('clips to a length, marking the cut with an ellipsis', () => {
    assert.equal(clip('abc', 3), 'abc');
    assert.equal(clip('abcd', 3), 'ab…');
  });
});

describe('the denial message', () => {
  it('opens with the object, the policy, the mode and the count, then one line per violation', () => {
    assert.equal(
      denialMessage(WEB, 'baseline', 'enforce', [violation(0)]),
      [
        'runtime-guard: Pod "web" in namespace "team-a" violates the baseline policy (mode: enforce), 1 violation:',
        '- container "c0": runs privileged. Fix: set spec.containers[0].securityContext.privileged: false',
      ].join('\n'),
    );
    assert.equal(
      denialMessage({ kind: 'Deployment', name: 'web' }, 'restricted', 'enforce', many(2)).split(
        '\n',
      )[0],
      'runtime-guard: Deployment "web" violates the restricted policy (mode: enforce), 2 violations:',
    );
  });

  it('shows 20 lines, then says how many more there are', () => {
    const twenty = denialMessage(WEB, 'baseline', 'enforce', many(20)).split('\n');
    assert.equal(twenty.length, 21);
    assert.equal(twenty.at(-1), `- ${violationLine(violation(19))}`);
    const lines = denialMessage(WEB, 'baseline', 'enforce', many(23)).split('\n');
    assert.equal(lines.length, 22);
    assert.match(lines[0] as string, /, 23 violations:$/);
    assert.equal(lines[20], `- ${violationLine(violation(19))}`);
    assert.equal(lines[21], '- … and 3 more; fix the ones above and apply again to see them');
  });

  it('cuts a line at 400 characters', () => {
    const long = violation(0, `adds ${'x'.repeat(500)}`);
    const line = denialMessage(WEB, 'baseline', 'enforce', [long]).split('\n')[1] as string;
    assert.equal(line.length, 2 + 400);
    assert.ok(line.startsWith('- container "c0": adds xxx'));
    assert.ok(line.endsWith('x…'));
  });
});

describe('the warning lines', () => {
  it('say the mode and that enforce mode would refuse, then one line per violation', () => {
    assert.deepEqual(violationWarnings(WEB, 'baseline', 'warn', [violation(0)]), [
      'runtime-guard (warn mode): Pod "web" in namespace "team-a" violates the baseline policy and would be refused in enforce mode',
      'runtime-guard: container "c0": runs privileged. Fix: set spec.containers[0].securityContext.privileged: false',
    ]);
  });

  it('keep every line within 255 characters, the header too', () => {
    const name = 'n'.repeat(253);
    const warnings = violationWarnings({ kind: 'Pod', name }, 'baseline', 'warn', [
      violation(0, `adds ${'x'.repeat(300)}`),
      violation(1),
    ]);
    assert.deepEqual(
      warnings.map((w) => w.length),
      [255, 255, violationLine(violation(1)).length + 'runtime-guard: '.length],
    );
    assert.ok(warnings[0]?.startsWith(`runtime-guard (warn mode): Pod "${'n'.repeat(20)}`));
    assert.ok(warnings[0]?.endsWith('…') && warnings[1]?.endsWith('…'));
  });

  it('show 12 violations, then say how many more there are', () => {
    const warnings = violationWarnings(WEB, 'baseline', 'warn', many(15));
    assert.equal(warnings.length, 1 + 12 + 1);
    assert.equal(warnings[12], `runtime-guard: ${violationLine(violation(11))}`);
    assert.equal(warnings[13], 'runtime-guard: … and 3 more violations');
    assert.equal(violationWarnings(WEB, 'baseline', 'warn', many(12)).length, 13);
  });

  it("carry the mutation's notes the same way: prefixed, cut at 255, 12 at most", () => {
    assert.deepEqual(noteWarnings(['a note']), ['runtime-guard: a note']);
    const notes = Array.from({ length: 14 }, (_, i) => `note ${i} ${'y'.repeat(300)}`);
    const warnings = noteWarnings(notes);
    assert.equal(warnings.length, 13);
    for (const w of warnings.slice(0, 12)) assert.equal(w.length, 255);
    assert.equal(warnings[12], 'runtime-guard: … and 2 more notes');
  });
});

describe('the audit annotations', () => {
  it('list violations as rule@field pairs, cut at 4000 characters', () => {
    assert.equal(
      auditViolations([violation(0), { ...violation(1), rule: 'capabilitiesAdded' }]),
      'privileged@spec.containers[0].securityContext.privileged; capabilitiesAdded@spec.containers[1].securityContext.privileged',
    );
    const long = auditViolations(many(200));
    assert.equal(long.length, 4000);
    assert.ok(long.endsWith('…'));
    assert.equal(auditList(['one', 'two']), 'one; two');
    assert.equal(auditList(Array.from({ length: 1000 }, () => 'change')).length, 4000);
  });

  it('record mode, policy, decision and violations; enforce denies with 403 Forbidden', () => {
    const config = reviewConfig();
    const pod = podReview({
      initContainers: [{ name: 'setup', image: 'busybox' }],
      containers: [{ name: 'app', image: 'nginx' }],
    });
    const violations =
      'seccompRequired@spec.initContainers[0].securityContext.seccompProfile; seccompRequired@spec.containers[0].securityContext.seccompProfile';
    assert.deepEqual(validatingAnswer(pod, WEB, config, 'enforce').response, {
      allowed: false,
      status: {
        code: 403,
        reason: 'Forbidden',
        message: [
          'runtime-guard: Pod "web" in namespace "team-a" violates the baseline policy (mode: enforce), 2 violations:',
          '- init container "setup": has no seccomp profile. Fix: set spec.securityContext.seccompProfile.type: RuntimeDefault',
          '- container "app": has no seccomp profile. Fix: set spec.securityContext.seccompProfile.type: RuntimeDefault',
        ].join('\n'),
      },
      auditAnnotations: { mode: 'enforce', policy: 'baseline', decision: 'denied', violations },
    });
    assert.deepEqual(validatingAnswer(pod, WEB, config, 'audit').response, {
      allowed: true,
      auditAnnotations: { mode: 'audit', policy: 'baseline', decision: 'allowed', violations },
    });
  });

  it("record the mutation's changes and notes, and pass the notes on as warnings", () => {
    const ghost = 'container.seccomp.security.alpha.kubernetes.io/ghost';
    const app = 'container.seccomp.security.alpha.kubernetes.io/app';
    const object = pod(
      { containers: [{ name: 'app', image: 'nginx' }] },
      { annotations: { [ghost]: 'runtime/default', [app]: 'localhost/' } },
    );
    const { response } = mutatingAnswer(reviewOf(object), object, reviewConfig(), 'enforce');
    const notes = [
      `annotation ${ghost} names no container of this pod; left as is (Kubernetes ignores it)`,
      `annotation ${app}: "localhost/" maps to no seccomp profile; left as is (Kubernetes ignores it)`,
    ];
    assert.deepEqual(response.warnings, [
      `runtime-guard: ${notes[0]}`,
      `runtime-guard: ${notes[1]}`,
    ]);
    assert.deepEqual(response.auditAnnotations, {
      mode: 'enforce',
      policy: 'baseline',
      mutation: 'set spec.securityContext.seccompProfile to RuntimeDefault',
      notes: notes.join('; '),
    });
  });
});

describe('what the mutation says it did', () => {
  const said = (object: Json, policy: Policy = policyOf()) => {
    const { changes, notes } = mutatePod(reviewOf(object), policy);
    return { changes, notes };
  };
  const SECCOMP_POD = 'seccomp.security.alpha.kubernetes.io/pod';
  const seccompFor = (name: string) => `container.seccomp.security.alpha.kubernetes.io/${name}`;
  const appArmorFor = (name: string) => `container.apparmor.security.beta.kubernetes.io/${name}`;

  it('the default seccomp profile, at the pod level or on a new ephemeral container', () => {
    assert.deepEqual(said(pod({ containers: [{ name: 'app', image: 'nginx' }] })), {
      changes: ['set spec.securityContext.seccompProfile to RuntimeDefault'],
      notes: [],
    });
    const localhostDefault = policyOf({
      mutation: {
        defaultSeccompProfile: { profile: { type: 'Localhost', localhostProfile: 'd.json' } },
      },
    });
    assert.deepEqual(
      said(pod({ containers: [{ name: 'app', image: 'nginx' }] }), localhostDefault),
      {
        changes: ['set spec.securityContext.seccompProfile to Localhost'],
        notes: [],
      },
    );
    const debug = mutatePod(debugging({}), policyOf());
    assert.deepEqual(debug.changes, [
      'set ephemeral container "debugger" seccompProfile to RuntimeDefault',
    ]);
  });

  it('the dropped capabilities', () => {
    const object = pod({
      securityContext: RD,
      containers: [
        { name: 'app', image: 'nginx', securityContext: { capabilities: { drop: ['NET_RAW'] } } },
      ],
    });
    assert.deepEqual(said(object, policyOf({ preset: 'restricted' })).changes, [
      'added ALL to container "app" capabilities.drop',
    ]);
    const p = policyOf({
      mutation: { dropCapabilities: { drop: ['NET_RAW', 'SYS_ADMIN', 'BPF'] } },
    });
    assert.deepEqual(said(object, p).changes, [
      'added SYS_ADMIN, BPF to container "app" capabilities.drop',
    ]);
  });

  it('the legacy seccomp annotations: translated, kept over, left alone', () => {
    const translated = pod(
      {
        initContainers: [{ name: 'setup', image: 'busybox' }],
        containers: [{ name: 'app', image: 'nginx' }],
      },
      {
        annotations: {
          [SECCOMP_POD]: 'docker/default',
          [seccompFor('app')]: 'localhost/profiles/nginx.json',
          [seccompFor('setup')]: 'unconfined',
        },
      },
    );
    assert.deepEqual(said(translated), {
      changes: [
        `set spec.securityContext.seccompProfile to RuntimeDefault from annotation ${SECCOMP_POD}`,
        `set container "app" seccompProfile to Localhost profiles/nginx.json from annotation ${seccompFor('app')}`,
        `set init container "setup" seccompProfile to Unconfined from annotation ${seccompFor('setup')}`,
      ],
      notes: [],
    });
    const kept = pod(
      {
        securityContext: RD,
        containers: [{ name: 'app', image: 'nginx', securityContext: RD }],
      },
      { annotations: { [SECCOMP_POD]: 'unconfined', [seccompFor('app')]: 'unconfined' } },
    );
    assert.deepEqual(said(kept).changes, [
      `kept existing spec.securityContext.seccompProfile over annotation ${SECCOMP_POD}`,
      `kept existing container "app" seccompProfile over annotation ${seccompFor('app')}`,
    ]);
    const unknown = pod(
      { securityContext: RD, containers: [{ name: 'app', image: 'nginx' }] },
      { annotations: { [SECCOMP_POD]: 'complain' } },
    );
    assert.deepEqual(said(unknown).notes, [
      `annotation ${SECCOMP_POD}: "complain" maps to no seccomp profile; left as is (Kubernetes ignores it)`,
    ]);
  });

  it('the legacy AppArmor annotations: translated, kept over, left alone', () => {
    const object = pod(
      {
        securityContext: RD,
        containers: [
          { name: 'app', image: 'nginx' },
          {
            name: 'side',
            image: 'envoy',
            securityContext: { appArmorProfile: { type: 'RuntimeDefault' } },
          },
          { name: 'log', image: 'fluent-bit' },
        ],
      },
      {
        annotations: {
          [appArmorFor('app')]: 'localhost/k8s-nginx',
          [appArmorFor('side')]: 'unconfined',
          [appArmorFor('log')]: 'complain',
          [appArmorFor('ghost')]: 'runtime/default',
        },
      },
    );
    const p = policyOf({ mutation: { legacyAppArmorAnnotations: { enabled: true } } });
    assert.deepEqual(said(object, p), {
      changes: [
        `set appArmorProfile of container "app" to Localhost from annotation ${appArmorFor('app')}`,
        `kept existing appArmorProfile of container "side" over annotation ${appArmorFor('side')}`,
      ],
      notes: [
        `annotation ${appArmorFor('log')}: "complain" maps to no AppArmor profile; left as is`,
        `annotation ${appArmorFor('ghost')} names no container of this pod; left as is`,
      ],
    });
  });
});
