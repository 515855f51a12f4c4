/** Progress on stderr: a bar on a terminal, a plain line every few seconds elsewhere. */
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { createProgressReporter } from '../../src/inspect/progress.ts';

function stream(isTTY: boolean): NodeJS.WriteStream & { text: () => string } {
  const chunks: string[] = [];
  const s = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk.toString());
      done();
    },
  }) as unknown as NodeJS.WriteStream & { text: () => string };
  Object.assign(s, {
    isTTY,
    columns: 120,
    cursorTo: (x: number, cb?: () => void) => (s.write(`\u001b[${x}G`), cb?.(), true),
    clearLine: (_dir: number, cb?: () => void) => (s.write('\u001b[2K'), cb?.(), true),
    moveCursor: (_x: number, _y: number, cb?: () => void) => (cb?.(), true),
    text: () => chunks.join(''),
  });
  return s;
}

const at = (read: number, known: number, listing = 'pods') => ({
  listing,
  read,
  known,
  findings: 3,
});

describe('scan progress', () => {
  it('without a terminal: one plain line per interval, none for a quick scan', () => {
    const out = stream(false);
    let now = 0;
    const progress = createProgressReporter({ stream: out, intervalMs: 5000, now: () => now });
    progress.update(at(10, 100));
    now = 4999;
    progress.update(at(20, 100));
    assert.equal(out.text(), '', 'nothing before the first interval');
    now = 5000;
    progress.update(at(30, 200));
    now = 6000;
    progress.update(at(40, 200));
    now = 10_000;
    progress.update(at(50, 200, 'deployments.apps'));
    progress.stop();
    assert.equal(
      out.text(),
      'runtime-guard scan: 5 s, 30 of 200 objects read, 3 findings, listing pods\n' +
        'runtime-guard scan: 10 s, 50 of 200 objects read, 3 findings, listing deployments.apps\n',
    );
  });

  it('on a terminal: a bar that counts objects and findings, cleared at the end', async () => {
    const out = stream(true);
    const progress = createProgressReporter({ stream: out });
    progress.update(at(250, 1000));
    progress.update(at(500, 1000));
    await new Promise((r) => setTimeout(r, 150));
    progress.stop();
    assert.match(out.text(), /scan \[[█░]+\] \d+\/1000 objects \| 3 findings \| pods/);
  });
});
