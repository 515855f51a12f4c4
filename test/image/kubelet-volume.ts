// A projected (Secret, ConfigMap) volume laid out as the kubelet's atomic writer does, so the
// server meets the same files, links and modes as in a pod:
//
//   ..2026_01_31_12_00_00.123456789/config.yaml, tls/tls.crt, tls/tls.key   (this version)
//   ..data -> ..2026_01_31_12_00_00.123456789
//   config.yaml -> ..data/config.yaml,  tls -> ..data/tls
//
// An update writes a new version directory and renames a new `..data` link over the old one,
// so a reader sees the old files or the new ones, never a mix; then the old version goes.

import {
  chmod,
  chown,
  lstat,
  mkdir,
  readlink,
  rename,
  rm,
  symlink,
  writeFile,
} from 'node:fs/promises';
import { dirname, join } from 'node:path';

export interface ProjectedVolumeOptions {
  /** defaultMode of the volume, e.g. 0o440. */
  mode: number;
  /** The pod's fsGroup: owner group of every file and directory. */
  fsGroup: number;
}

let versions = 0;

function versionName(): string {
  const now = new Date();
  const pad = (n: number) => String(n).padStart(2, '0');
  const stamp = `${now.getUTCFullYear()}_${pad(now.getUTCMonth() + 1)}_${pad(now.getUTCDate())}_${pad(now.getUTCHours())}_${pad(now.getUTCMinutes())}_${pad(now.getUTCSeconds())}`;
  versions += 1;
  return `..${stamp}.${process.pid}${versions}`;
}

/** Writes `files` (path relative to the volume → content) as the volume's new version. */
export async function writeProjectedVolume(
  root: string,
  files: Readonly<Record<string, string>>,
  options: ProjectedVolumeOptions,
): Promise<void> {
  // The kubelet's ownership pass: group fsGroup, group-readable, directories set-group-ID.
  const ownDirectory = async (path: string) => {
    await chown(path, 0, options.fsGroup);
    await chmod(path, 0o2755);
  };
  await mkdir(root, { recursive: true });
  await ownDirectory(root);

  const version = versionName();
  const versionDir = join(root, version);
  await mkdir(versionDir);
  await ownDirectory(versionDir);
  for (const [path, content] of Object.entries(files)) {
    const file = join(versionDir, path);
    for (let dir = dirname(file); dir !== versionDir; dir = dirname(dir)) {
      await mkdir(dir, { recursive: true });
      await ownDirectory(dir);
    }
    await writeFile(file, content);
    await chown(file, 0, options.fsGroup);
    await chmod(file, options.mode);
  }

  const previous = await readlink(join(root, '..data')).catch(() => undefined);
  await symlink(version, join(root, '..data_tmp'));
  await rename(join(root, '..data_tmp'), join(root, '..data'));

  const topLevel = new Set(Object.keys(files).map((path) => path.split('/')[0] ?? path));
  for (const name of topLevel) {
    const link = join(root, name);
    const exists = await lstat(link).then(
      () => true,
      () => false,
    );
    if (!exists) await symlink(join('..data', name), link);
  }
  if (previous && previous !== version) await rm(join(root, previous), { recursive: true });
}
