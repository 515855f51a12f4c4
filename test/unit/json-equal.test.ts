import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import { jsonEqual } from '../../src/json/json-equal.ts';

describe('jsonEqual', () => {
  it('agrees with isDeepStrictEqual on parsed JSON, equal or not', () => {
    const value = fc
      .jsonValue({ maxDepth: 4 })
      .map((v) => JSON.parse(JSON.stringify(v)) as unknown);
    fc.assert(
      fc.property(value, value, (a, b) => {
        assert.equal(jsonEqual(a, b), isDeepStrictEqual(a, b));
        const copy = JSON.parse(JSON.stringify(a)) as unknown;
        assert.equal(jsonEqual(a, copy), true);
      }),
      { numRuns: 2000 },
    );
  });

  it('ignores key order, not array order', () => {
    assert.equal(jsonEqual({ a: 1, b: [1, 2] }, { b: [1, 2], a: 1 }), true);
    assert.equal(jsonEqual({ a: [1, 2] }, { a: [2, 1] }), false);
    assert.equal(jsonEqual({ a: undefined }, {}), false);
    assert.equal(jsonEqual([], {}), false);
    assert.equal(jsonEqual(null, {}), false);
  });

  it('compares values nested 100,000 levels deep, where a recursive comparison overflows the stack', () => {
    const nest = (leaf: unknown) => {
      let value: unknown = leaf;
      for (let i = 0; i < 100_000; i++) value = { v: [value] };
      return value;
    };
    assert.throws(() => isDeepStrictEqual(nest(1), nest(1)), RangeError);
    assert.equal(jsonEqual(nest(1), nest(1)), true);
    assert.equal(jsonEqual(nest(1), nest(2)), false);
  });
});
