// The structure count that runs before JSON.parse, and the estimate made from it.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { largePod, review, typicalPod } from '../../bench/payloads.ts';
import {
  estimateParseBytes,
  JsonStructureCounter,
  MAX_REVIEW_DEPTH,
  scanJsonStructure,
  unscannedParseBytes,
  WORST_BYTES_PER_BODY_BYTE,
} from '../../src/server/json-cost.ts';

const scan = (text: string, limit = Infinity) => scanJsonStructure(Buffer.from(text), limit);

describe('scanJsonStructure', () => {
  test('counts objects, arrays, strings, keys and values outside strings only', () => {
    assert.deepEqual(scan('{"a":[1,2,{"b":"c"}],"d":null}'), {
      containers: 3,
      strings: 4,
      keys: 3,
      values: 3,
      depth: 3,
    });
    // Brackets, colons, commas and escaped quotes inside strings are text.
    assert.deepEqual(scan('["{[:,", "a\\"{", "\\\\", "]}"]'), {
      containers: 1,
      strings: 4,
      keys: 0,
      values: 3,
      depth: 1,
    });
  });

  test('agrees with JSON.parse on real reviews', () => {
    for (const body of [review(typicalPod()), review(largePod())]) {
      let containers = 0;
      let strings = 0;
      let keys = 0;
      const walk = (value: unknown): void => {
        if (typeof value === 'string') strings += 1;
        if (typeof value !== 'object' || value === null) return;
        containers += 1;
        if (!Array.isArray(value)) {
          keys += Object.keys(value).length;
          strings += Object.keys(value).length;
        }
        for (const inner of Object.values(value)) walk(inner);
      };
      walk(body);
      const counted = scan(JSON.stringify(body));
      assert.deepEqual(
        { containers: counted.containers, strings: counted.strings, keys: counted.keys },
        { containers, strings, keys },
      );
    }
  });

  test('stops at the depth limit', () => {
    const deep = '['.repeat(1_000_000) + ']'.repeat(1_000_000);
    const counted = scan(deep, MAX_REVIEW_DEPTH);
    assert.equal(counted.depth, MAX_REVIEW_DEPTH + 1);
    assert.equal(counted.containers, MAX_REVIEW_DEPTH + 1, 'no further than the limit');
    assert.equal(
      scan('['.repeat(MAX_REVIEW_DEPTH) + ']'.repeat(MAX_REVIEW_DEPTH)).depth,
      MAX_REVIEW_DEPTH,
    );
  });
});

describe('estimateParseBytes', () => {
  test('no JSON costs more per byte than an unscanned body is charged', () => {
    const dearest = [
      '{"":'.repeat(2000) + '0' + '}'.repeat(2000),
      '['.repeat(4000) + ']'.repeat(4000),
      `[${Array(3000).fill('{}').join(',')}]`,
      `[${Array(3000).fill('""').join(',')}]`,
      `{${Array.from({ length: 2000 }, (_, i) => `"${i}":0`).join(',')}}`,
    ];
    for (const text of dearest) {
      const bytes = Buffer.byteLength(text);
      const estimate = estimateParseBytes(bytes, scan(text));
      assert.ok(
        estimate <= unscannedParseBytes(bytes),
        `${text.slice(0, 12)}…: ${(estimate / bytes).toFixed(1)} bytes per byte, over ${WORST_BYTES_PER_BODY_BYTE}`,
      );
    }
  });

  test('real pods are estimated at 10-20 bytes per byte, empty objects at over 40', () => {
    const perByte = (text: string) =>
      estimateParseBytes(Buffer.byteLength(text), scan(text)) / Buffer.byteLength(text);
    const large = perByte(JSON.stringify(review(largePod())));
    assert.ok(large > 10 && large < 20, `large pod: ${large.toFixed(1)}`);
    const empty = perByte(`[${Array(30_000).fill('{}').join(',')}]`);
    assert.ok(empty > 40, `empty objects: ${empty.toFixed(1)}`);
  });
});

describe('JsonStructureCounter', () => {
  test('counts the same whatever the chunks, strings and escapes cut across them', () => {
    const text = JSON.stringify({
      a: ['x"y', 'back\\slash\\', '\\"', '{[', 1, { b: null }],
      'k\\': '\\\\"',
    });
    const whole = scan(text);
    const bytes = Buffer.from(text);
    for (let size = 1; size <= 7; size += 1) {
      const counter = new JsonStructureCounter(Infinity);
      for (let at = 0; at < bytes.length; at += size) counter.add(bytes.subarray(at, at + size));
      assert.deepEqual(counter.structure, whole, `chunks of ${size} bytes`);
    }
  });
});
