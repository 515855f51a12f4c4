import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { compileProfileGlob } from '../../src/policy/profile-glob.ts';

/** The glob's meaning written as a regular expression: right, but it backtracks on long names. */
function referenceRegExp(pattern: string): RegExp {
  let source = '';
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i] as string;
    if (ch === '*' && pattern[i + 1] === '*') {
      source += '.*';
      i++;
      while (pattern[i + 1] === '*') i++;
    } else if (ch === '*') source += '[^/]*';
    else if (ch === '?') source += '[^/]';
    else source += ch.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${source}$`, 's');
}

describe('Localhost profile globs', () => {
  const cases: [string, string, boolean][] = [
    ['profiles/*.json', 'profiles/a.json', true],
    ['profiles/*.json', 'profiles/a/b.json', false],
    ['profiles/**.json', 'profiles/a/b.json', true],
    ['profiles/**/strict.json', 'profiles/team/x/strict.json', true],
    ['profiles/**/strict.json', 'profiles/strict.json', false],
    ['profiles/?.json', 'profiles/a.json', true],
    ['profiles/?.json', 'profiles//.json', false],
    ['profiles/?.json', 'profiles/ab.json', false],
    ['exact.json', 'exact.json', true],
    ['exact.json', 'exactXjson', false],
    ['a.b+c(d)', 'a.b+c(d)', true],
    ['*', '', true],
    ['**', 'any/thing/at/all', true],
  ];
  for (const [pattern, name, expected] of cases) {
    it(`${pattern} ${expected ? 'matches' : 'does not match'} ${JSON.stringify(name)}`, () => {
      assert.equal(compileProfileGlob(pattern).test(name), expected);
    });
  }

  it('means what the regular expression means, on any pattern and name', () => {
    const alphabet = fc.constantFrom('a', 'b', '/', '.', '*', '?', '+');
    const text = (maxLength: number) =>
      fc.array(alphabet, { maxLength }).map((characters) => characters.join(''));
    fc.assert(
      fc.property(text(8), text(12), (pattern, name) => {
        const nameWithoutMeta = name.replace(/[*?]/g, 'c');
        assert.equal(
          compileProfileGlob(pattern).test(nameWithoutMeta),
          referenceRegExp(pattern).test(nameWithoutMeta),
          `${pattern} on ${nameWithoutMeta}`,
        );
      }),
      { numRuns: 3000 },
    );
  });

  it(
    'answers on a name of 20,000 slashes against several **, where a regular expression backtracks for hours',
    // Not a speed claim: a backtracking matcher would hang here, and the timeout turns that into a failure.
    { timeout: 120_000 },
    () => {
      // Reviews run on the event loop: a backtracking matcher here would stall every review.
      const name = `${'/'.repeat(20_000)}x`;
      assert.equal(compileProfileGlob('**/**/**/*.json').test(name), false);
      assert.equal(compileProfileGlob('**/**/**/x').test(name), true);
    },
  );
});
