// The image on this machine's runc, as containerd would run it: unpacked once with umoci, one
// bundle (config.json) per container over the shared root filesystem, `runc run` in the
// foreground so its exit status is the container's, and a unix-socket door into the
// container's network namespace for the test's HTTPS requests.

import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { lstat, mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { runProgram } from '../build-scripts.ts';
import type { ImageConfig, OciMount, OciRuntimeConfig } from './pod-runtime-spec.ts';

const FORWARDER = join(dirname(fileURLToPath(import.meta.url)), 'netns-forwarder.ts');

async function mustRun(command: string, args: readonly string[]): Promise<string> {
  const result = await runProgram(command, args);
  if (result.code !== 0) {
    throw new Error(`${command} ${args.join(' ')} failed (${result.code}): ${result.stderr}`);
  }
  return result.stdout;
}

export interface UnpackedImage {
  rootfs: string;
  config: ImageConfig;
}

/** Unpacks an OCI archive's image `ref` into `directory`/rootfs (owners and modes kept). */
export async function unpackImage(
  archive: string,
  ref: string,
  directory: string,
): Promise<UnpackedImage> {
  const layout = join(directory, 'layout');
  await mkdir(layout, { recursive: true });
  await mustRun('tar', ['-xf', archive, '-C', layout]);
  const blob = (digest: string) => join(layout, 'blobs', ...digest.split(':'));
  const index = JSON.parse(await readFile(join(layout, 'index.json'), 'utf8')) as {
    manifests: { digest: string; annotations?: Record<string, string> }[];
  };
  const entry = index.manifests.find(
    (m) => m.annotations?.['org.opencontainers.image.ref.name'] === ref,
  );
  if (!entry) throw new Error(`${archive} has no image ${ref}`);
  const manifest = JSON.parse(await readFile(blob(entry.digest), 'utf8')) as {
    config: { digest: string };
  };
  const imageConfig = JSON.parse(await readFile(blob(manifest.config.digest), 'utf8')) as {
    config: ImageConfig;
  };
  const unpacked = join(directory, 'unpacked');
  await mustRun('umoci', ['unpack', '--image', `${layout}:${ref}`, unpacked]);
  return { rootfs: join(unpacked, 'rootfs'), config: imageConfig.config };
}

/**
 * Creates what a mount needs in the root filesystem before the container starts, as the
 * runtime does in its snapshot: a directory, or an empty file for a file bind mount. Mounts
 * nested in an earlier mount (/dev/pts in /dev) need nothing there.
 */
export async function createMountpoints(
  rootfs: string,
  mounts: readonly OciMount[],
): Promise<void> {
  const destinations: string[] = [];
  for (const mount of mounts) {
    const nested = destinations.some((d) => mount.destination.startsWith(`${d}/`));
    destinations.push(mount.destination);
    if (nested) continue;
    const target = join(rootfs, mount.destination);
    if (existsSync(target)) continue;
    const isFile = mount.type === 'bind' && (await stat(mount.source)).isFile();
    await mkdir(isFile ? dirname(target) : target, { recursive: true });
    if (isFile) await writeFile(target, '');
  }
}

/** Every path under `root` with its type, owner, mode, size and change time. */
export async function snapshotTree(root: string): Promise<Map<string, string>> {
  const entries = new Map<string, string>();
  for (const name of await readdir(root, { recursive: true })) {
    const info = await lstat(join(root, name));
    entries.set(
      name,
      `${info.mode.toString(8)} ${info.uid}:${info.gid} ${info.size} ${info.ctimeMs} ${info.mtimeMs}`,
    );
  }
  return entries;
}

/** Paths added, removed or changed between two snapshots. */
export function treeChanges(before: Map<string, string>, after: Map<string, string>): string[] {
  const changes: string[] = [];
  for (const [path, state] of after) {
    const old = before.get(path);
    if (old === undefined) changes.push(`added ${path}`);
    else if (old !== state) changes.push(`changed ${path}: ${old} -> ${state}`);
  }
  for (const path of before.keys()) if (!after.has(path)) changes.push(`removed ${path}`);
  return changes.sort();
}

export interface ContainerExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** What a container wrote on its standard output and error so far. */
interface Output {
  stdout: string;
  stderr: string;
}

export class Container {
  readonly id: string;
  /** The container's first process, as the host sees it. */
  readonly pid: number;
  readonly exited: Promise<ContainerExit>;
  private readonly runc: ChildProcess;
  private readonly output: Output;
  private forwarder: ChildProcess | undefined;

  private constructor(
    id: string,
    pid: number,
    runc: ChildProcess,
    output: Output,
    exited: Promise<ContainerExit>,
  ) {
    this.id = id;
    this.pid = pid;
    this.runc = runc;
    this.output = output;
    this.exited = exited;
  }

  get stdout(): string {
    return this.output.stdout;
  }

  get stderr(): string {
    return this.output.stderr;
  }

  /** Starts `runc run` for the bundle in `bundleDir` and waits until the process exists. */
  static async run(id: string, bundleDir: string, config: OciRuntimeConfig): Promise<Container> {
    await mkdir(bundleDir, { recursive: true });
    await writeFile(join(bundleDir, 'config.json'), JSON.stringify(config, null, 2));
    const pidFile = join(bundleDir, 'pid');
    const runc = spawn('runc', ['run', '--bundle', bundleDir, '--pid-file', pidFile, id], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const output: Output = { stdout: '', stderr: '' };
    runc.stdout.on('data', (chunk: Buffer) => (output.stdout += chunk.toString()));
    runc.stderr.on('data', (chunk: Buffer) => (output.stderr += chunk.toString()));
    let finished: ContainerExit | undefined;
    const exited = once(runc, 'close').then(([code, signal]) => {
      finished = { code: code as number | null, signal: signal as NodeJS.Signals | null };
      return finished;
    });
    for (let waited = 0; !existsSync(pidFile); waited += 20) {
      if (finished || waited > 30_000) {
        throw new Error(
          `runc run ${id} did not start (${JSON.stringify(finished)}): ${output.stderr}`,
        );
      }
      await sleep(20);
    }
    const pid = Number(await readFile(pidFile, 'utf8'));
    return new Container(id, pid, runc, output, exited);
  }

  /** Sends a signal to the container's first process, as the kubelet does through containerd. */
  async kill(signal: 'TERM' | 'KILL'): Promise<void> {
    await mustRun('runc', ['kill', this.id, signal]);
  }

  /** Resident memory of the container's first process, in bytes. */
  async residentBytes(): Promise<number> {
    const status = await readFile(`/proc/${this.pid}/status`, 'utf8');
    const kib = /^VmRSS:\s+(\d+) kB$/m.exec(status)?.[1];
    if (!kib) throw new Error(`no VmRSS for ${this.pid}`);
    return Number(kib) * 1024;
  }

  /**
   * A unix socket at `socketPath` whose connections reach 127.0.0.1:`port` inside the
   * container's network namespace (which has only its loopback, like a pod without its CNI).
   */
  async openDoor(socketPath: string, port: number): Promise<void> {
    const node = process.execPath;
    this.forwarder = spawn(
      'nsenter',
      [`--net=/proc/${this.pid}/ns/net`, '--', node, FORWARDER, socketPath, String(port)],
      { stdio: ['ignore', 'ignore', 'inherit'] },
    );
    for (let waited = 0; !existsSync(socketPath); waited += 20) {
      if (this.forwarder.exitCode !== null || waited > 10_000) {
        throw new Error(`the forwarder into ${this.id}'s network namespace did not start`);
      }
      await sleep(20);
    }
  }

  /** Stops the forwarder and removes the container, whatever state it is in. */
  async remove(): Promise<void> {
    this.forwarder?.kill();
    if (this.runc.exitCode === null && this.runc.signalCode === null) {
      await runProgram('runc', ['kill', this.id, 'KILL']);
      await this.exited;
    }
    await runProgram('runc', ['delete', '--force', this.id]);
  }
}
