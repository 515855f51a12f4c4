import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { watchFiles } from '../../src/server/watch-files.ts';

const root = mkdtempSync(join(tmpdir(), 'runtime-guard-watch-'));
after(() => rmSync(root, { recursive: true, force: true }));

/** Writes a new generation the way the kubelet's atomic writer does: new dir, then swap `..data`. */
function writeGeneration(volume: string, generation: number): void {
  const dir = `..gen_${generation}`;
  mkdirSync(join(volume, dir, 'tls'), { recursive: true });
  writeFileSync(join(volume, dir, 'config.yaml'), `generation: ${generation}\n`);
  writeFileSync(join(volume, dir, 'tls', 'tls.crt'), `certificate ${generation}\n`);
  symlinkSync(dir, join(volume, '..data_tmp'));
  renameSync(join(volume, '..data_tmp'), join(volume, '..data'));
  if (generation > 1) rmSync(join(volume, `..gen_${generation - 1}`), { recursive: true });
}

async function waitForCalls(calls: () => number, count: number): Promise<void> {
  for (let waited = 0; calls() < count; waited += 20) {
    if (waited > 5000) throw new Error(`expected ${count} calls, saw ${calls()}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('watchFiles on a projected volume', () => {
  it('notices every swap of a file in a sub-directory (tls/tls.crt), not just the first', async () => {
    const volume = join(root, 'projected');
    mkdirSync(volume);
    writeGeneration(volume, 1);
    symlinkSync('..data/tls', join(volume, 'tls'));
    symlinkSync('..data/config.yaml', join(volume, 'config.yaml'));

    let calls = 0;
    const watch = watchFiles([join(volume, 'tls', 'tls.crt')], () => calls++, {
      debounceMs: 50,
      pollMs: 0,
    });
    try {
      for (let generation = 2; generation <= 4; generation++) {
        writeGeneration(volume, generation);
        await waitForCalls(() => calls, generation - 1);
        // Let the debounced burst settle before the next swap.
        await new Promise((resolve) => setTimeout(resolve, 150));
      }
      assert.ok(calls >= 3, `saw ${calls} change calls for 3 swaps`);
    } finally {
      watch.close();
    }
  });
});
