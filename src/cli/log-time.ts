/**
 * pino's `timestamp` option for our JSON log lines: `,"time":"2026-12-02T07:55:16.123Z"`, the
 * same text as pino.stdTimeFunctions.isoTime. That one builds a Date and formats it for every
 * line, about 4 µs per review under load (BENCHMARKS.md); here the text up to the seconds is
 * formatted once a second and only the milliseconds are added per line.
 */
let second = Number.NaN;
let prefix = '';

export function isoTime(): string {
  const now = Date.now();
  const thisSecond = Math.floor(now / 1000);
  if (thisSecond !== second) {
    second = thisSecond;
    prefix = `,"time":"${new Date(thisSecond * 1000).toISOString().slice(0, 20)}`;
  }
  const ms = now - thisSecond * 1000;
  return `${prefix}${ms < 10 ? '00' : ms < 100 ? '0' : ''}${ms}Z"`;
}
