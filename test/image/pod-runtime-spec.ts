// What the kubelet and containerd make of one container of a pod spec: the OCI runtime
// configuration runc is given. Only what a pod of the chart uses is covered (bind-mounted
// volumes, security contexts, resources); anything else is refused rather than ignored, so the
// image test cannot silently run the container more leniently than a cluster would.

import type { Container, PodSpec } from 'kubernetes-types/core/v1.js';
import {
  seccompForContainer,
  type ContainersSeccompProfile,
  type OciSeccomp,
} from './seccomp-profile.ts';

/** The `config` of an OCI image configuration (what the Dockerfile's instructions set). */
export interface ImageConfig {
  User?: string;
  Env?: string[];
  Entrypoint?: string[] | null;
  Cmd?: string[] | null;
  WorkingDir?: string;
  ExposedPorts?: Record<string, object>;
}

export interface OciMount {
  destination: string;
  type: string;
  source: string;
  options: string[];
}

export interface OciRuntimeConfig {
  ociVersion: string;
  process: {
    terminal: boolean;
    user: { uid: number; gid: number; additionalGids?: number[] };
    args: string[];
    env: string[];
    cwd: string;
    capabilities: Record<
      'bounding' | 'effective' | 'permitted' | 'inheritable' | 'ambient',
      string[]
    >;
    rlimits?: { type: string; soft: number; hard: number }[];
    noNewPrivileges: boolean;
  };
  root: { path: string; readonly: boolean };
  hostname: string;
  mounts: OciMount[];
  linux: {
    namespaces: { type: string }[];
    resources: {
      devices: { allow: boolean; access: string }[];
      memory?: { limit: number };
      cpu?: { quota: number; period: number };
    };
    cgroupsPath: string;
    seccomp?: OciSeccomp;
    maskedPaths: string[];
    readonlyPaths: string[];
  };
}

/** Where the kubelet's files for the container are on the host. */
export interface PodHostFiles {
  /** Host directory of each volume, by volume name. */
  volumes: ReadonlyMap<string, string>;
  etcHosts: string;
  etcHostname: string;
  resolvConf: string;
  terminationLog: string;
}

export interface RuntimeSpecInput {
  image: ImageConfig;
  pod: PodSpec;
  container: Container;
  podName: string;
  /** The rootfs directory, relative to the bundle. */
  rootfs: string;
  files: PodHostFiles;
  /** The runtime's default seccomp profile, and what it depends on besides capabilities. */
  runtimeDefault: { profile: ContainersSeccompProfile; arch: string; kernel: string };
  /** Variables the kubelet adds, e.g. KUBERNETES_SERVICE_HOST. */
  kubeletEnv: Readonly<Record<string, string>>;
  cgroupsPath: string;
}

/** containerd's default capabilities (what a container holds unless dropped). */
const DEFAULT_CAPABILITIES = [
  'CHOWN',
  'DAC_OVERRIDE',
  'FSETID',
  'FOWNER',
  'MKNOD',
  'NET_RAW',
  'SETGID',
  'SETUID',
  'SETFCAP',
  'SETPCAP',
  'NET_BIND_SERVICE',
  'SYS_CHROOT',
  'KILL',
  'AUDIT_WRITE',
];

/** containerd's defaults: kernel interfaces a container must not read or change. */
const MASKED_PATHS = [
  '/proc/acpi',
  '/proc/asound',
  '/proc/kcore',
  '/proc/keys',
  '/proc/latency_stats',
  '/proc/timer_list',
  '/proc/timer_stats',
  '/proc/sched_debug',
  '/sys/firmware',
  '/sys/devices/virtual/powercap',
  '/proc/scsi',
];
const READONLY_PATHS = ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'];

/** What runc sets up in every container: /proc, /dev, /sys. */
const SYSTEM_MOUNTS: OciMount[] = [
  { destination: '/proc', type: 'proc', source: 'proc', options: ['nosuid', 'noexec', 'nodev'] },
  {
    destination: '/dev',
    type: 'tmpfs',
    source: 'tmpfs',
    options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'],
  },
  {
    destination: '/dev/pts',
    type: 'devpts',
    source: 'devpts',
    options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'],
  },
  {
    destination: '/dev/shm',
    type: 'tmpfs',
    source: 'shm',
    options: ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=65536k'],
  },
  {
    destination: '/dev/mqueue',
    type: 'mqueue',
    source: 'mqueue',
    options: ['nosuid', 'noexec', 'nodev'],
  },
  {
    destination: '/sys',
    type: 'sysfs',
    source: 'sysfs',
    options: ['nosuid', 'noexec', 'nodev', 'ro'],
  },
  {
    destination: '/sys/fs/cgroup',
    type: 'cgroup',
    source: 'cgroup',
    options: ['nosuid', 'noexec', 'nodev', 'relatime', 'ro'],
  },
];

function bind(source: string, destination: string, readOnly: boolean): OciMount {
  return {
    destination,
    type: 'bind',
    source,
    options: ['rbind', 'rprivate', 'nosuid', 'nodev', readOnly ? 'ro' : 'rw'],
  };
}

/** Kubernetes' quantities as the kubelet reads them: bytes, or millicores for CPU. */
export function parseQuantity(quantity: string | number, unit: 'bytes' | 'millicores'): number {
  const match = /^([0-9.]+)([a-zA-Z]*)$/.exec(String(quantity));
  if (!match) throw new Error(`not a quantity: ${quantity}`);
  const value = Number(match[1]);
  const suffix = match[2] ?? '';
  if (unit === 'millicores') return suffix === 'm' ? value : value * 1000;
  const factors: Record<string, number> = {
    '': 1,
    k: 1e3,
    M: 1e6,
    G: 1e9,
    Ki: 1024,
    Mi: 1024 ** 2,
    Gi: 1024 ** 3,
  };
  const factor = factors[suffix];
  if (factor === undefined) throw new Error(`unsupported quantity suffix in ${quantity}`);
  return Math.round(value * factor);
}

function numericImageUser(user: string | undefined): { uid?: number; gid?: number } {
  if (!user) return {};
  const [uid, gid] = user.split(':');
  const toNumber = (part: string | undefined) =>
    part !== undefined && /^[0-9]+$/.test(part) ? Number(part) : undefined;
  const result: { uid?: number; gid?: number } = {};
  const u = toNumber(uid);
  const g = toNumber(gid);
  if (u !== undefined) result.uid = u;
  if (g !== undefined) result.gid = g;
  return result;
}

/** Environment as a map, later entries winning, in the KEY=value form runc takes. */
function mergeEnv(...sources: Iterable<[string, string]>[]): string[] {
  const env = new Map<string, string>();
  for (const source of sources) for (const [key, value] of source) env.set(key, value);
  return [...env].map(([key, value]) => `${key}=${value}`);
}

function imageEnv(image: ImageConfig): [string, string][] {
  return (image.Env ?? []).map((entry) => {
    const eq = entry.indexOf('=');
    return [entry.slice(0, eq), entry.slice(eq + 1)];
  });
}

export function podRuntimeConfig(input: RuntimeSpecInput): OciRuntimeConfig {
  const { image, pod, container } = input;
  const podContext = pod.securityContext ?? {};
  const context = container.securityContext ?? {};
  const imageUser = numericImageUser(image.User);

  const uid = context.runAsUser ?? podContext.runAsUser ?? imageUser.uid;
  if (uid === undefined) throw new Error(`image user ${image.User ?? '(none)'} is not numeric`);
  if ((context.runAsNonRoot ?? podContext.runAsNonRoot) && uid === 0) {
    throw new Error('runAsNonRoot is set and the container would run as root');
  }
  const gid = context.runAsGroup ?? podContext.runAsGroup ?? imageUser.gid ?? 0;
  const additionalGids = [
    ...(podContext.fsGroup !== undefined ? [podContext.fsGroup] : []),
    ...(podContext.supplementalGroups ?? []),
  ];

  const command = container.command ?? image.Entrypoint ?? [];
  const args = container.command ? (container.args ?? []) : (container.args ?? image.Cmd ?? []);

  for (const from of container.env ?? []) {
    if (from.valueFrom) throw new Error(`env ${from.name}: valueFrom is not supported here`);
  }
  const env = mergeEnv(
    imageEnv(image),
    [['HOSTNAME', input.podName]],
    Object.entries(input.kubeletEnv),
    (container.env ?? []).map((e): [string, string] => [e.name, e.value ?? '']),
  );

  const dropped = new Set(context.capabilities?.drop ?? []);
  const held = dropped.has('ALL')
    ? []
    : DEFAULT_CAPABILITIES.filter((capability) => !dropped.has(capability));
  const capabilities = [...new Set([...held, ...(context.capabilities?.add ?? [])])].map(
    (name) => `CAP_${name}`,
  );
  if (context.privileged) throw new Error('privileged containers are not supported here');

  const seccompType = (context.seccompProfile ?? podContext.seccompProfile)?.type;
  if (
    seccompType !== undefined &&
    seccompType !== 'RuntimeDefault' &&
    seccompType !== 'Unconfined'
  ) {
    throw new Error(`seccompProfile ${seccompType} is not supported here`);
  }

  const mounts = [...SYSTEM_MOUNTS];
  // The kubelet's own files, writable even on a read-only root filesystem.
  mounts.push(bind(input.files.etcHosts, '/etc/hosts', false));
  mounts.push(bind(input.files.etcHostname, '/etc/hostname', false));
  mounts.push(bind(input.files.resolvConf, '/etc/resolv.conf', false));
  mounts.push(
    bind(
      input.files.terminationLog,
      container.terminationMessagePath ?? '/dev/termination-log',
      false,
    ),
  );
  for (const mount of container.volumeMounts ?? []) {
    if (mount.subPath || mount.subPathExpr) throw new Error('subPath is not supported here');
    const source = input.files.volumes.get(mount.name);
    if (!source) throw new Error(`no host directory for volume ${mount.name}`);
    mounts.push(bind(source, mount.mountPath, mount.readOnly === true));
  }

  const resources: OciRuntimeConfig['linux']['resources'] = {
    devices: [{ allow: false, access: 'rwm' }],
  };
  const memoryLimit = container.resources?.limits?.['memory'];
  if (memoryLimit !== undefined) resources.memory = { limit: parseQuantity(memoryLimit, 'bytes') };
  // The CPU request is left out: on a node its shares weigh against the other pods' in the
  // kubepods cgroup; here they would weigh against every process on the machine. A limit is
  // a hard bound and is kept (the kubelet's conversion: a quota per 100 ms period).
  const cpuLimit = container.resources?.limits?.['cpu'];
  if (cpuLimit !== undefined) {
    resources.cpu = {
      period: 100_000,
      quota: Math.floor(parseQuantity(cpuLimit, 'millicores') * 100),
    };
  }

  return {
    ociVersion: '1.0.2',
    process: {
      terminal: false,
      user: { uid, gid, ...(additionalGids.length > 0 ? { additionalGids } : {}) },
      args: [...command, ...args],
      env,
      cwd: container.workingDir ?? image.WorkingDir ?? '/',
      capabilities: {
        bounding: capabilities,
        effective: capabilities,
        permitted: capabilities,
        inheritable: [],
        ambient: [],
      },
      // No rlimits: the container keeps the runtime's own, as under the kubelet.
      noNewPrivileges: context.allowPrivilegeEscalation === false,
    },
    root: { path: input.rootfs, readonly: context.readOnlyRootFilesystem === true },
    hostname: input.podName,
    mounts,
    linux: {
      namespaces: [
        { type: 'pid' },
        { type: 'network' },
        { type: 'ipc' },
        { type: 'uts' },
        { type: 'mount' },
      ],
      resources,
      cgroupsPath: input.cgroupsPath,
      ...(seccompType === 'RuntimeDefault'
        ? {
            seccomp: seccompForContainer(input.runtimeDefault.profile, {
              arch: input.runtimeDefault.arch,
              kernel: input.runtimeDefault.kernel,
              capabilities,
            }),
          }
        : {}),
      maskedPaths: MASKED_PATHS,
      readonlyPaths: READONLY_PATHS,
    },
  };
}
