// Real containers for the profile tests: an OCI bundle whose root holds nothing but the host's
// /usr bind-mounted read-only (and the Node.js of the test, for the Node.js program), run by
// the Debian runc or crun with a seccomp profile as `linux.seccomp`.
//
// The tools come from scripts/profiles/install-tools.sh (run by .ci/run). When one is missing,
// or we are not root (runc needs it here), the tests fail under CI=true and are skipped with
// the reason otherwise.

import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runProgram, type RunResult } from '../build-scripts.ts';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const CLI = join(REPO_ROOT, 'bin', 'runtime-guard.js');

const TOOLS = ['strace', 'runc', 'crun', 'busybox', 'unshare'] as const;

function missingTools(): string[] {
  const missing: string[] = TOOLS.filter(
    (tool) => spawnSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' }).status !== 0,
  );
  if (!existsSync('/usr/bin/python3')) missing.push('python3');
  return missing;
}

/** false when the container tests can run; the reason otherwise (and a failure under CI). */
export function containerTestsSkip(): string | false {
  const missing = missingTools();
  const reasons: string[] = [];
  if (missing.length > 0) {
    reasons.push(`missing ${missing.join(', ')} (run scripts/profiles/install-tools.sh)`);
  }
  if (process.getuid?.() !== 0) reasons.push('not root (runc needs root here)');
  if (reasons.length === 0) return false;
  const reason = `container profile tests: ${reasons.join('; ')}`;
  if (process.env['CI']) throw new Error(`${reason}, and CI is set: these tests must run`);
  return reason;
}

export interface BundleOptions {
  args: string[];
  seccomp: unknown;
  noNewPrivileges: boolean;
  /** Extra host directories, bind-mounted read-only at the same path. */
  hostDirectories?: string[];
  env?: string[];
}

/** containerd's default capabilities, which a pod gets unless it drops them. */
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
].map((c) => `CAP_${c}`);

function bindReadOnly(path: string) {
  return { destination: path, type: 'bind', source: path, options: ['rbind', 'ro', 'nosuid'] };
}

export class Containers {
  readonly root: string;
  private count = 0;

  private constructor(root: string) {
    this.root = root;
  }

  static async create(): Promise<Containers> {
    return new Containers(await mkdtemp(join(tmpdir(), 'runtime-guard-containers-')));
  }

  async dispose(): Promise<void> {
    await rm(this.root, { recursive: true, force: true });
  }

  /** A bundle directory with config.json and a root of symlinks into the host's /usr. */
  async bundle(options: BundleOptions): Promise<string> {
    this.count += 1;
    const bundle = join(this.root, `bundle-${this.count}`);
    const rootfs = join(bundle, 'rootfs');
    await mkdir(rootfs, { recursive: true });
    for (const [link, target] of [
      ['bin', 'usr/bin'],
      ['sbin', 'usr/sbin'],
      ['lib', 'usr/lib'],
      ['lib64', 'usr/lib64'],
    ] as const) {
      await symlink(target, join(rootfs, link));
    }
    for (const dir of ['usr', 'proc', 'dev', 'tmp', 'etc']) await mkdir(join(rootfs, dir));
    await writeFile(join(rootfs, 'etc', 'passwd'), 'root:x:0:0:root:/:/bin/sh\n');
    const config = {
      ociVersion: '1.0.2',
      process: {
        terminal: false,
        user: { uid: 0, gid: 0 },
        args: options.args,
        env: options.env ?? ['PATH=/usr/bin:/bin', 'HOME=/tmp', 'LANG=C.UTF-8'],
        cwd: '/',
        capabilities: {
          bounding: DEFAULT_CAPABILITIES,
          effective: DEFAULT_CAPABILITIES,
          permitted: DEFAULT_CAPABILITIES,
        },
        noNewPrivileges: options.noNewPrivileges,
      },
      root: { path: 'rootfs', readonly: true },
      hostname: 'profile-test',
      mounts: [
        { destination: '/proc', type: 'proc', source: 'proc' },
        {
          destination: '/dev',
          type: 'tmpfs',
          source: 'tmpfs',
          options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'],
        },
        { destination: '/tmp', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'nodev'] },
        bindReadOnly('/usr'),
        ...(options.hostDirectories ?? []).map(bindReadOnly),
      ],
      linux: {
        namespaces: [
          { type: 'pid' },
          { type: 'ipc' },
          { type: 'uts' },
          { type: 'mount' },
          { type: 'network' },
        ],
        maskedPaths: ['/proc/kcore', '/proc/keys', '/proc/timer_list', '/sys/firmware'],
        readonlyPaths: ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'],
        seccomp: options.seccomp,
      },
    };
    await writeFile(join(bundle, 'config.json'), JSON.stringify(config, null, 2));
    return bundle;
  }

  /** Runs the bundle's container to its end with runc or crun. */
  async run(runtime: 'runc' | 'crun', bundle: string): Promise<RunResult> {
    const id = `rg-profile-${process.pid}-${this.count}-${Date.now()}`;
    const state = join(this.root, `state-${runtime}`);
    await mkdir(state, { recursive: true });
    if (runtime === 'runc') {
      return runProgram('runc', ['--root', state, 'run', '--bundle', bundle, id]);
    }
    // crun refuses a hybrid cgroup layout (v1 controllers beside a v2 mount, as here); in a
    // private mount namespace with a pure cgroup2 mount and no cgroup manager it runs alike.
    if (existsSync('/sys/fs/cgroup/unified')) {
      return runProgram('unshare', [
        '-m',
        'sh',
        '-c',
        'mount -t cgroup2 none /sys/fs/cgroup && exec "$@"',
        'sh',
        'crun',
        '--cgroup-manager=disabled',
        '--root',
        state,
        'run',
        '--bundle',
        bundle,
        id,
      ]);
    }
    return runProgram('crun', ['--root', state, 'run', '--bundle', bundle, id]);
  }
}

/** Runs the CLI (bin/runtime-guard.js) with the Node.js running the tests. */
export function runCli(
  args: readonly string[],
  options: { input?: string } = {},
): Promise<RunResult> {
  return runProgram(process.execPath, [CLI, ...args], { ...options, cwd: REPO_ROOT });
}
