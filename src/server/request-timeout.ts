/**
 * The kube-apiserver tells a webhook how long it will wait: `?timeout=10s`, a Go duration.
 * We read it only to notice answers that came too late; a review is never cut short, since an
 * answer, even a late one, beats a timeout.
 */

const UNIT_SECONDS: Record<string, number> = {
  h: 3600,
  m: 60,
  s: 1,
  ms: 1e-3,
  us: 1e-6,
  µs: 1e-6,
  ns: 1e-9,
};
const GO_DURATION = /^(?:\d+(?:\.\d*)?|\.\d+)(?:ms|us|µs|ns|h|m|s)/;

/** Seconds in a Go duration such as `10s`, `1m30s` or `250ms`; undefined when it is not one. */
export function parseGoDuration(text: string): number | undefined {
  let rest = text.trim();
  if (rest === '') return undefined;
  let seconds = 0;
  while (rest !== '') {
    const match = GO_DURATION.exec(rest);
    if (!match) return undefined;
    const [token] = match;
    const unit = /[a-zµ]+$/.exec(token)?.[0] ?? '';
    seconds +=
      Number(token.slice(0, token.length - unit.length)) * (UNIT_SECONDS[unit] ?? Number.NaN);
    rest = rest.slice(token.length);
  }
  return Number.isFinite(seconds) ? seconds : undefined;
}

/** The apiserver sends the same `?timeout=` on every call of a webhook: parsed once, then looked up. */
let lastTimeout: { text: string; seconds: number | undefined } | undefined;

export function apiserverTimeoutSeconds(text: string): number | undefined {
  if (lastTimeout?.text !== text) lastTimeout = { text, seconds: parseGoDuration(text) };
  return lastTimeout.seconds;
}
