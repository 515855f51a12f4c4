/**
 * runtime-guard's own fixture corpus, as data: each case is a plain manifest and, per preset, the
 * violations the policy core must find in it as written and after the mutating webhook's changes
 * (`rule field` pairs). `npm run testdata` writes them out as
 * `test/testdata/<preset>/<pass|fail>/<rule>N.yaml`, the expectations in each file's header, the
 * way Pod Security Admission keeps its fixtures; test/unit/corpus.test.ts holds the files to them.
 * The expectations are written here by hand: nothing in this file is computed by the code it tests.
 */
import type { RuleId } from '../../src/policy/policy.ts';

export type Json = Record<string, unknown>;
export type CorpusPreset = 'baseline' | 'restricted';

export interface Expectation {
  /** `rule field`, e.g. `privileged spec.containers[0].securityContext.privileged`. */
  violations: readonly string[];
  /** What the validating webhook still finds once the mutating webhook has patched the object. */
  afterMutation: readonly string[];
  /**
   * For a pod with ephemeral containers: what a `pods/ephemeralcontainers` update that adds them
   * to the pod as it stands (`kubectl debug`) is refused for, the pod level admitted long ago.
   */
  ephemeralUpdate?: readonly string[];
}

export interface CorpusCase {
  /** The rule the case is about: the file name's stem. */
  rule: RuleId;
  description: string;
  object: Json;
  /** A preset left out does not list the case. */
  expect: Partial<Record<CorpusPreset, Expectation>>;
}

const HOST_PROCESS = { hostProcess: true, runAsUserName: 'NT AUTHORITY\\SYSTEM' };
const RD = { seccompProfile: { type: 'RuntimeDefault' } };
const DROP_ALL = { capabilities: { drop: ['ALL'] } };
const SECCOMP_POD = 'seccomp.security.alpha.kubernetes.io/pod';
const SECCOMP_CONTAINER = 'container.seccomp.security.alpha.kubernetes.io/';
const APPARMOR_CONTAINER = 'container.apparmor.security.beta.kubernetes.io/';

function container(name: string, securityContext?: Json): Json {
  return {
    name,
    image: `registry.example/${name}:1.0`,
    ...(securityContext ? { securityContext } : {}),
  };
}

function pod(spec: Json, annotations?: Json, name = 'web'): Json {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'shop', ...(annotations ? { annotations } : {}) },
    spec,
  };
}

/** A Windows HostProcess pod: its containers run on the node itself, with a host account. */
function hostProcessPod(extra: Json = {}): Json {
  return pod({
    os: { name: 'windows' },
    hostNetwork: true,
    securityContext: { windowsOptions: HOST_PROCESS },
    containers: [container('agent')],
    ...extra,
  });
}

/** A pod template inside a workload of `kind`, at the path the kind keeps it. */
function workload(kind: string, spec: Json, annotations?: Json): Json {
  const template = {
    metadata: { labels: { app: 'web' }, ...(annotations ? { annotations } : {}) },
    spec,
  };
  const metadata = { name: 'web', namespace: 'shop' };
  const selector = { matchLabels: { app: 'web' } };
  switch (kind) {
    case 'Deployment':
    case 'ReplicaSet':
    case 'DaemonSet':
      return { apiVersion: 'apps/v1', kind, metadata, spec: { selector, template } };
    case 'StatefulSet':
      return {
        apiVersion: 'apps/v1',
        kind,
        metadata,
        spec: { selector, serviceName: 'web', template },
      };
    case 'ReplicationController':
      return { apiVersion: 'v1', kind, metadata, spec: { selector: { app: 'web' }, template } };
    case 'Job':
      return {
        apiVersion: 'batch/v1',
        kind,
        metadata,
        spec: { template: { ...template, spec: { restartPolicy: 'Never', ...spec } } },
      };
    case 'CronJob':
      return {
        apiVersion: 'batch/v1',
        kind,
        metadata,
        spec: {
          schedule: '0 3 * * *',
          jobTemplate: {
            spec: { template: { ...template, spec: { restartPolicy: 'Never', ...spec } } },
          },
        },
      };
    case 'PodTemplate':
      return { apiVersion: 'v1', kind, metadata, template };
    default:
      throw new Error(`no workload builder for ${kind}`);
  }
}

/** Where each kind's pod spec starts, as field paths print it. */
const SPEC_AT: Record<string, string> = {
  Pod: 'spec',
  Deployment: 'spec.template.spec',
  ReplicaSet: 'spec.template.spec',
  DaemonSet: 'spec.template.spec',
  StatefulSet: 'spec.template.spec',
  ReplicationController: 'spec.template.spec',
  Job: 'spec.template.spec',
  CronJob: 'spec.jobTemplate.spec.template.spec',
  PodTemplate: 'template.spec',
};
const WORKLOAD_KINDS = Object.keys(SPEC_AT).filter((kind) => kind !== 'Pod');

const both = (e: Expectation) => ({ baseline: e, restricted: e });
const none: Expectation = { violations: [], afterMutation: [] };
/** Restricted also wants `drop: [ALL]`, which the mutation adds. */
const dropAll = (at: string) => `capabilitiesDropAll ${at}.securityContext.capabilities.drop`;

export const CASES: readonly CorpusCase[] = [
  // privileged
  {
    rule: 'privileged',
    description: 'A privileged container: every capability, host devices, no seccomp.',
    object: pod({
      securityContext: RD,
      containers: [container('app', { ...DROP_ALL, privileged: true })],
    }),
    expect: both({
      violations: ['privileged spec.containers[0].securityContext.privileged'],
      afterMutation: ['privileged spec.containers[0].securityContext.privileged'],
    }),
  },
  {
    rule: 'privileged',
    description: 'A privileged init container is as dangerous as a privileged app container.',
    object: pod({
      securityContext: RD,
      initContainers: [container('setup', { ...DROP_ALL, privileged: true })],
      containers: [container('app', DROP_ALL)],
    }),
    expect: both({
      violations: ['privileged spec.initContainers[0].securityContext.privileged'],
      afterMutation: ['privileged spec.initContainers[0].securityContext.privileged'],
    }),
  },
  {
    rule: 'privileged',
    description: 'A Windows HostProcess pod runs its containers on the node with a host account.',
    object: hostProcessPod(),
    expect: both({
      violations: ['privileged spec.securityContext.windowsOptions.hostProcess'],
      afterMutation: ['privileged spec.securityContext.windowsOptions.hostProcess'],
    }),
  },
  {
    rule: 'privileged',
    description:
      'A HostProcess container without spec.os: with a seccomp profile it passes every Linux rule, and a Windows node ignores seccomp.',
    object: pod({
      hostNetwork: true,
      nodeSelector: { 'kubernetes.io/os': 'windows' },
      securityContext: RD,
      containers: [
        container('agent', {
          ...DROP_ALL,
          windowsOptions: HOST_PROCESS,
        }),
      ],
    }),
    expect: both({
      violations: ['privileged spec.containers[0].securityContext.windowsOptions.hostProcess'],
      afterMutation: ['privileged spec.containers[0].securityContext.windowsOptions.hostProcess'],
    }),
  },
  {
    rule: 'privileged',
    description:
      'A debug container in a HostProcess pod: the pod was admitted before runtime-guard or in a warn namespace, and `kubectl debug` adds a container that inherits hostProcess.',
    object: hostProcessPod({ ephemeralContainers: [container('debugger')] }),
    expect: both({
      violations: ['privileged spec.securityContext.windowsOptions.hostProcess'],
      afterMutation: ['privileged spec.securityContext.windowsOptions.hostProcess'],
      ephemeralUpdate: ['privileged spec.securityContext.windowsOptions.hostProcess'],
    }),
  },
  {
    rule: 'seccompUnconfined',
    description:
      'A debug container added to a pod whose pod-level profile is Unconfined inherits it, though the app container overrides it.',
    object: pod({
      securityContext: { seccompProfile: { type: 'Unconfined' } },
      containers: [container('app', { ...DROP_ALL, ...RD })],
      ephemeralContainers: [container('debugger', DROP_ALL)],
    }),
    expect: both({
      violations: ['seccompUnconfined spec.securityContext.seccompProfile.type'],
      afterMutation: ['seccompUnconfined spec.securityContext.seccompProfile.type'],
      ephemeralUpdate: ['seccompUnconfined spec.securityContext.seccompProfile.type'],
    }),
  },
  {
    rule: 'privileged',
    description: 'privileged: false is fine.',
    object: pod({
      securityContext: RD,
      containers: [container('app', { ...DROP_ALL, privileged: false })],
    }),
    expect: both(none),
  },
  // seccompRequired, on every kind
  {
    rule: 'seccompRequired',
    description:
      'No seccomp profile anywhere: the container runs without a syscall filter on most nodes.',
    object: pod({ containers: [container('app')] }),
    expect: {
      baseline: {
        violations: ['seccompRequired spec.containers[0].securityContext.seccompProfile'],
        afterMutation: [],
      },
      restricted: {
        violations: [
          'seccompRequired spec.containers[0].securityContext.seccompProfile',
          dropAll('spec.containers[0]'),
        ],
        afterMutation: [],
      },
    },
  },
  ...WORKLOAD_KINDS.map((kind): CorpusCase => ({
    rule: 'seccompRequired',
    description: `A ${kind} whose pod template has no seccomp profile; the mutation sets RuntimeDefault in the template.`,
    object: workload(kind, { containers: [container('app', DROP_ALL)] }),
    expect: both({
      violations: [`seccompRequired ${SPEC_AT[kind]}.containers[0].securityContext.seccompProfile`],
      afterMutation: [],
    }),
  })),
  ...WORKLOAD_KINDS.map((kind): CorpusCase => ({
    rule: 'seccompRequired',
    description: `A compliant ${kind}.`,
    object: workload(kind, { securityContext: RD, containers: [container('app', DROP_ALL)] }),
    expect: both(none),
  })),
  {
    rule: 'seccompRequired',
    description:
      'Only the legacy pod annotation: ignored since Kubernetes 1.27, so the pod runs unconfined; the mutation turns it into the field.',
    object: pod({ containers: [container('app', DROP_ALL)] }, { [SECCOMP_POD]: 'runtime/default' }),
    expect: both({
      violations: ['seccompRequired spec.containers[0].securityContext.seccompProfile'],
      afterMutation: [],
    }),
  },
  {
    rule: 'seccompRequired',
    description:
      'A legacy container annotation in a Deployment template names a Localhost profile.',
    object: workload(
      'Deployment',
      { containers: [container('app', DROP_ALL)] },
      { [`${SECCOMP_CONTAINER}app`]: 'localhost/runtime-guard/app.json' },
    ),
    expect: both({
      violations: [
        'seccompRequired spec.template.spec.containers[0].securityContext.seccompProfile',
      ],
      afterMutation: [],
    }),
  },
  {
    rule: 'seccompRequired',
    description: 'An ephemeral container without a profile in a pod that has none either.',
    object: pod({
      containers: [container('app', { ...DROP_ALL, ...RD })],
      ephemeralContainers: [container('debugger', DROP_ALL)],
    }),
    expect: both({
      violations: ['seccompRequired spec.ephemeralContainers[0].securityContext.seccompProfile'],
      afterMutation: [],
      ephemeralUpdate: [
        'seccompRequired spec.ephemeralContainers[0].securityContext.seccompProfile',
      ],
    }),
  },
  {
    rule: 'seccompRequired',
    description: 'Every container sets its own RuntimeDefault profile.',
    object: pod({
      initContainers: [container('setup', { ...DROP_ALL, ...RD })],
      containers: [container('app', { ...DROP_ALL, ...RD })],
    }),
    expect: both(none),
  },
  {
    rule: 'seccompRequired',
    description: 'A Windows pod: seccomp does not exist there, and the Linux rules do not apply.',
    object: pod({ os: { name: 'windows' }, containers: [container('iis')] }),
    expect: both(none),
  },
  // seccompUnconfined
  {
    rule: 'seccompUnconfined',
    description:
      'Unconfined at the pod level, even though the container overrides it: a container added later would inherit it. Mutation never overwrites it.',
    object: pod({
      securityContext: { seccompProfile: { type: 'Unconfined' } },
      containers: [container('app', { ...DROP_ALL, ...RD })],
    }),
    expect: both({
      violations: ['seccompUnconfined spec.securityContext.seccompProfile.type'],
      afterMutation: ['seccompUnconfined spec.securityContext.seccompProfile.type'],
    }),
  },
  {
    rule: 'seccompUnconfined',
    description: 'Unconfined on one container of a StatefulSet.',
    object: workload('StatefulSet', {
      securityContext: RD,
      containers: [container('db', { ...DROP_ALL, seccompProfile: { type: 'Unconfined' } })],
    }),
    expect: both({
      violations: [
        'seccompUnconfined spec.template.spec.containers[0].securityContext.seccompProfile.type',
      ],
      afterMutation: [
        'seccompUnconfined spec.template.spec.containers[0].securityContext.seccompProfile.type',
      ],
    }),
  },
  {
    rule: 'seccompUnconfined',
    description:
      'The legacy annotation says unconfined: as written the pod has no profile; translated, it asks for Unconfined in the field.',
    object: pod({ containers: [container('app', DROP_ALL)] }, { [SECCOMP_POD]: 'unconfined' }),
    expect: both({
      violations: ['seccompRequired spec.containers[0].securityContext.seccompProfile'],
      afterMutation: ['seccompUnconfined spec.securityContext.seccompProfile.type'],
    }),
  },
  // seccompLocalhostAllowlist (config.yaml allows runtime-guard/*.json)
  {
    rule: 'seccompLocalhostAllowlist',
    description: 'A Localhost profile outside the allowed list.',
    object: pod({
      securityContext: {
        seccompProfile: { type: 'Localhost', localhostProfile: 'permissive/all.json' },
      },
      containers: [container('app', DROP_ALL)],
    }),
    expect: both({
      violations: [
        'seccompLocalhostAllowlist spec.securityContext.seccompProfile.localhostProfile',
      ],
      afterMutation: [
        'seccompLocalhostAllowlist spec.securityContext.seccompProfile.localhostProfile',
      ],
    }),
  },
  {
    rule: 'seccompLocalhostAllowlist',
    description:
      'runtime-guard//app.json is not a clean path: the kubelet cleans it before loading, so a glob tested on the raw name would judge another file. Unclean names are refused.',
    object: pod({
      containers: [
        container('app', {
          ...DROP_ALL,
          seccompProfile: { type: 'Localhost', localhostProfile: 'runtime-guard//app.json' },
        }),
      ],
    }),
    expect: both({
      violations: [
        'seccompLocalhostAllowlist spec.containers[0].securityContext.seccompProfile.localhostProfile',
      ],
      afterMutation: [
        'seccompLocalhostAllowlist spec.containers[0].securityContext.seccompProfile.localhostProfile',
      ],
    }),
  },
  {
    rule: 'seccompLocalhostAllowlist',
    description: 'A Localhost profile the allowed list names.',
    object: pod({
      securityContext: {
        seccompProfile: { type: 'Localhost', localhostProfile: 'runtime-guard/web.json' },
      },
      containers: [container('app', DROP_ALL)],
    }),
    expect: both(none),
  },
  // capabilitiesAdded
  {
    rule: 'capabilitiesAdded',
    description: 'SYS_ADMIN: nearly root.',
    object: pod({
      securityContext: RD,
      containers: [container('app', { capabilities: { drop: ['ALL'], add: ['SYS_ADMIN'] } })],
    }),
    expect: both({
      violations: ['capabilitiesAdded spec.containers[0].securityContext.capabilities.add[0]'],
      afterMutation: ['capabilitiesAdded spec.containers[0].securityContext.capabilities.add[0]'],
    }),
  },
  {
    rule: 'capabilitiesAdded',
    description: 'sys_admin in lower case: container runtimes grant it as SYS_ADMIN.',
    object: workload('DaemonSet', {
      securityContext: RD,
      containers: [
        container('agent', {
          capabilities: { drop: ['ALL'], add: ['NET_BIND_SERVICE', 'sys_admin'] },
        }),
      ],
    }),
    expect: both({
      violations: [
        'capabilitiesAdded spec.template.spec.containers[0].securityContext.capabilities.add[1]',
      ],
      afterMutation: [
        'capabilitiesAdded spec.template.spec.containers[0].securityContext.capabilities.add[1]',
      ],
    }),
  },
  {
    rule: 'capabilitiesAdded',
    description: 'ALL: every Linux capability.',
    object: pod({
      securityContext: RD,
      containers: [container('app', { capabilities: { drop: ['ALL'], add: ['ALL'] } })],
    }),
    expect: both({
      violations: ['capabilitiesAdded spec.containers[0].securityContext.capabilities.add[0]'],
      afterMutation: ['capabilitiesAdded spec.containers[0].securityContext.capabilities.add[0]'],
    }),
  },
  {
    rule: 'capabilitiesAdded',
    description:
      'CAP_CHOWN: allowed by baseline, but spelled in a form Kubernetes does not document; not allowed by restricted at all.',
    object: pod({
      securityContext: RD,
      containers: [container('app', { capabilities: { drop: ['ALL'], add: ['CAP_CHOWN'] } })],
    }),
    expect: both({
      violations: ['capabilitiesAdded spec.containers[0].securityContext.capabilities.add[0]'],
      afterMutation: ['capabilitiesAdded spec.containers[0].securityContext.capabilities.add[0]'],
    }),
  },
  {
    rule: 'capabilitiesAdded',
    description: 'CHOWN: on the baseline list, not on the restricted one.',
    object: pod({
      securityContext: RD,
      containers: [container('app', { capabilities: { drop: ['ALL'], add: ['CHOWN'] } })],
    }),
    expect: {
      baseline: none,
      restricted: {
        violations: ['capabilitiesAdded spec.containers[0].securityContext.capabilities.add[0]'],
        afterMutation: ['capabilitiesAdded spec.containers[0].securityContext.capabilities.add[0]'],
      },
    },
  },
  {
    rule: 'capabilitiesAdded',
    description: 'NET_BIND_SERVICE: the one capability restricted allows.',
    object: pod({
      securityContext: RD,
      containers: [
        container('app', { capabilities: { drop: ['ALL'], add: ['NET_BIND_SERVICE'] } }),
      ],
    }),
    expect: both(none),
  },
  // capabilitiesDropAll (restricted)
  {
    rule: 'capabilitiesDropAll',
    description: 'Dropping a list of names is not dropping ALL; the mutation adds ALL.',
    object: pod({
      securityContext: RD,
      containers: [container('app', { capabilities: { drop: ['NET_RAW'] } })],
    }),
    expect: {
      baseline: none,
      restricted: { violations: [dropAll('spec.containers[0]')], afterMutation: [] },
    },
  },
  {
    rule: 'capabilitiesDropAll',
    description: 'An init container of a Job that drops nothing.',
    object: workload('Job', {
      securityContext: RD,
      initContainers: [container('migrate')],
      containers: [container('app', DROP_ALL)],
    }),
    expect: {
      baseline: none,
      restricted: {
        violations: [dropAll('spec.template.spec.initContainers[0]')],
        afterMutation: [],
      },
    },
  },
  // appArmor
  {
    rule: 'appArmor',
    description: 'An Unconfined AppArmor profile on a container.',
    object: pod({
      securityContext: RD,
      containers: [container('app', { ...DROP_ALL, appArmorProfile: { type: 'Unconfined' } })],
    }),
    expect: both({
      violations: ['appArmor spec.containers[0].securityContext.appArmorProfile.type'],
      afterMutation: ['appArmor spec.containers[0].securityContext.appArmorProfile.type'],
    }),
  },
  {
    rule: 'appArmor',
    description: 'The legacy AppArmor annotation unconfined, which kubelets still honour.',
    object: pod(
      { securityContext: RD, containers: [container('app', DROP_ALL)] },
      { [`${APPARMOR_CONTAINER}app`]: 'unconfined' },
    ),
    expect: both({
      violations: [
        'appArmor metadata.annotations["container.apparmor.security.beta.kubernetes.io/app"]',
      ],
      afterMutation: [
        'appArmor metadata.annotations["container.apparmor.security.beta.kubernetes.io/app"]',
      ],
    }),
  },
  {
    rule: 'appArmor',
    description: 'RuntimeDefault AppArmor at the pod level.',
    object: pod({
      securityContext: { ...RD, appArmorProfile: { type: 'RuntimeDefault' } },
      containers: [container('app', DROP_ALL)],
    }),
    expect: both(none),
  },
];
