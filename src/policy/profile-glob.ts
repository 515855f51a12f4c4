/**
 * Globs for Localhost seccomp profile names: `*` matches within one path segment, `**` across
 * segments, `?` one character other than `/`; anchored at both ends. Matched by a simulation of
 * the pattern over the name, linear in the name's length: a regular expression with two `**`
 * backtracks, and `localhostProfile` is a string of any length that any tenant can write.
 */

export interface ProfileMatcher {
  test(name: string): boolean;
}

type Token =
  | { kind: 'anything' } // **
  | { kind: 'withinSegment' } // *
  | { kind: 'oneCharacter' } // ?
  | { kind: 'literal'; character: string };

function tokenize(pattern: string): Token[] {
  const tokens: Token[] = [];
  for (let i = 0; i < pattern.length; i++) {
    const character = pattern[i] as string;
    if (character === '*' && pattern[i + 1] === '*') {
      i++;
      // `***` or `****` means no more than `**`.
      while (pattern[i + 1] === '*') i++;
      tokens.push({ kind: 'anything' });
    } else if (character === '*') tokens.push({ kind: 'withinSegment' });
    else if (character === '?') tokens.push({ kind: 'oneCharacter' });
    else tokens.push({ kind: 'literal', character });
  }
  return tokens;
}

export function compileProfileGlob(pattern: string): ProfileMatcher {
  const tokens = tokenize(pattern);
  const end = tokens.length;
  /** Adds state `t` and every state reachable from it without reading a character. */
  const enter = (states: Uint8Array, t: number): void => {
    while (t <= end && !states[t]) {
      states[t] = 1;
      const token = tokens[t];
      if (token?.kind !== 'anything' && token?.kind !== 'withinSegment') return;
      t++;
    }
  };
  return {
    test(name: string): boolean {
      let current = new Uint8Array(end + 1);
      let next = new Uint8Array(end + 1);
      enter(current, 0);
      for (const character of name) {
        next.fill(0);
        let alive = false;
        for (let t = 0; t < end; t++) {
          if (!current[t]) continue;
          const token = tokens[t] as Token;
          const slash = character === '/';
          if (token.kind === 'anything' || (token.kind === 'withinSegment' && !slash)) {
            enter(next, t);
            alive = true;
          } else if (
            (token.kind === 'oneCharacter' && !slash) ||
            (token.kind === 'literal' && token.character === character)
          ) {
            enter(next, t + 1);
            alive = true;
          }
        }
        if (!alive) return false;
        [current, next] = [next, current];
      }
      return current[end] === 1;
    },
  };
}
