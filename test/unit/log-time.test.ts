import assert from 'node:assert/strict';
import { afterEach, describe, it, mock } from 'node:test';
import { isoTime } from '../../src/cli/log-time.ts';

describe('isoTime: the log lines’ timestamp', () => {
  afterEach(() => mock.timers.reset());

  it('is the text pino’s isoTime writes, at every millisecond, across second, day and year ends', () => {
    mock.timers.enable({ apis: ['Date'] });
    const starts = [
      Date.UTC(2026, 11, 2, 7, 55, 16, 0),
      Date.UTC(2026, 11, 31, 23, 59, 59, 990),
      Date.UTC(2027, 0, 1, 0, 0, 0, 5),
    ];
    for (const start of starts) {
      for (let ms = 0; ms < 1500; ms += 7) {
        mock.timers.setTime(start + ms);
        assert.equal(isoTime(), `,"time":"${new Date(start + ms).toISOString()}"`);
      }
    }
  });

  it('follows the clock backwards too (a clock set back keeps lines truthful)', () => {
    mock.timers.enable({ apis: ['Date'] });
    mock.timers.setTime(Date.UTC(2026, 11, 2, 8, 0, 1, 500));
    isoTime();
    mock.timers.setTime(Date.UTC(2026, 11, 2, 8, 0, 0, 42));
    assert.equal(isoTime(), ',"time":"2026-12-02T08:00:00.042Z"');
  });
});
