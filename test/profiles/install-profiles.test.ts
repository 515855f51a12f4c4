// `runtime-guard profile install`, what the chart's DaemonSet runs on every node, against a
// directory laid out as the kubelet lays out a ConfigMap volume: <key> -> ..data/<key>, with
// ..data a link to a timestamped directory that an update replaces in one rename.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import {
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  rename,
  rm,
  symlink,
  writeFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { syncProfiles } from '../../src/profiles/install-profiles.ts';
import { CLI, runCli } from './oci-runtime.ts';

const root = await mkdtemp(join(tmpdir(), 'runtime-guard-install-'));
after(() => rm(root, { recursive: true, force: true }));

const profile = (names: string[]) =>
  JSON.stringify({
    defaultAction: 'SCMP_ACT_ERRNO',
    defaultErrnoRet: 1,
    architectures: ['SCMP_ARCH_X86_64'],
    syscalls: [{ names, action: 'SCMP_ACT_ALLOW' }],
  });

let generation = 0;

/** A ConfigMap volume with these keys; called again, it swaps ..data as the kubelet does. */
async function configMapVolume(directory: string, files: Record<string, string>): Promise<void> {
  generation += 1;
  await mkdir(directory, { recursive: true });
  const version = `..2026_12_02_00_00_0${generation}`;
  await mkdir(join(directory, version));
  for (const [name, text] of Object.entries(files))
    await writeFile(join(directory, version, name), text);
  await symlink(version, join(directory, '..data_tmp'));
  await rename(join(directory, '..data_tmp'), join(directory, '..data'));
  for (const name of await readdir(directory)) {
    if (!name.startsWith('.') && !(name in files)) await rm(join(directory, name));
  }
  for (const name of Object.keys(files)) {
    await symlink(join('..data', name), join(directory, name)).catch(
      (error: NodeJS.ErrnoException) => {
        if (error.code !== 'EEXIST') throw error;
      },
    );
  }
}

describe('runtime-guard profile install', () => {
  it('writes the valid profiles, keeps the installed one when the new one is broken, removes dropped ones', async () => {
    const from = join(root, 'one', 'configmap');
    const to = join(root, 'one', 'seccomp');
    await mkdir(to, { recursive: true });
    await configMapVolume(from, {
      'web.json': profile(['read', 'write']),
      'db.json': profile(['read']),
    });
    const first = await syncProfiles(from, to);
    assert.deepEqual(first.written, ['db.json', 'web.json']);
    assert.deepEqual(JSON.parse(await readFile(join(to, 'web.json'), 'utf8')).syscalls[0].names, [
      'read',
      'write',
    ]);

    await configMapVolume(from, {
      'web.json': '{"defaultAction": ',
      'cache.json': profile(['reed']),
    });
    const second = await syncProfiles(from, to);
    assert.deepEqual(second.removed, ['db.json']);
    assert.deepEqual(
      second.refused.map((r) => r.file),
      ['cache.json', 'web.json'],
    );
    assert.match(second.refused[0]?.reason ?? '', /names no syscall: reed/);
    assert.match(second.refused[1]?.reason ?? '', /not JSON/);
    assert.deepEqual(
      JSON.parse(await readFile(join(to, 'web.json'), 'utf8')).syscalls[0].names,
      ['read', 'write'],
      'the last good web.json stays',
    );
    assert.deepEqual((await readdir(to)).sort(), ['web.json'], 'no temporary file left');

    const cli = await runCli(['profile', 'install', '--from', from, '--to', to]);
    assert.equal(cli.code, 2, 'a refused profile is an error in one-shot mode');
    assert.match(cli.stderr, /refused web\.json \(the installed one, if any, stays\): not JSON/);
    const missing = await runCli(['profile', 'install', '--from', join(root, 'nope'), '--to', to]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /cannot read .*nope: ENOENT/);
  });

  it('--watch installs a ConfigMap update, and stops on SIGTERM', { timeout: 60_000 }, async () => {
    const from = join(root, 'two', 'configmap');
    const to = join(root, 'two', 'seccomp');
    await mkdir(to, { recursive: true });
    await configMapVolume(from, { 'web.json': profile(['read']) });
    const child = spawn(
      process.execPath,
      [CLI, 'profile', 'install', '--watch', '--from', from, '--to', to],
      {
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const installed = async (names: string[]) => {
      // Waits for the agent (no assertion on how long it takes; the test timeout bounds it).
      for (;;) {
        const text = await readFile(join(to, 'web.json'), 'utf8').catch(() => '');
        if (text && JSON.parse(text).syscalls[0].names.join() === names.join()) return;
        await delay(50);
      }
    };
    await installed(['read']);
    await configMapVolume(from, { 'web.json': profile(['read', 'write']) });
    await installed(['read', 'write']);
    child.kill('SIGTERM');
    const [code] = await once(child, 'exit');
    assert.equal(code, 0, stderr);
    assert.match(stderr, /wrote web\.json[\s\S]*wrote web\.json[\s\S]*stopped/);
  });
});
