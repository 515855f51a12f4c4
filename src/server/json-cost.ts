/**
 * What parsing a JSON body will cost in memory, told from its bytes before JSON.parse runs.
 *
 * JSON.parse costs far more than the text for some shapes. Peak memory of reading and parsing
 * 8 MiB bodies (raw Buffer, decoded string and parsed value, Node.js 24, `--max-semi-space-size=8`):
 *
 *   | body                                   | bytes of memory per byte of body     |
 *   | -------------------------------------- | ------------------------------------ |
 *   | one long string                        | 3.1                                  |
 *   | real pods (bench/payloads.ts)          | 4.3–5.7                              |
 *   | `[0,0,…]`, `["a","a",…]`, `[1.5,…]`    | 6.8–8.8 (16–27 per value)            |
 *   | `["000001","000002",…]` (distinct)     | 11.5 (103 per string: V8 interns them) |
 *   | `{"k00001":0,…}` (one object)          | 16.6 (200 per key)                   |
 *   | `[{"a0001":0,"b0001":0,…},…]`          | 25.8 (215 per key: a hidden class each) |
 *   | `[{},{},…]`                            | 35.8 (100 per object)                |
 *   | `[[[[…]]]]`                            | 52.4 (105 per array)                 |
 *
 * So the estimate counts, besides the bytes, what V8 allocates per token: containers, strings,
 * keys and values, each at the dearest cost measured. It is above what each of the table's
 * bodies took, by 2–30 %, and 2.5–3.5 times what real pods take (13–16 bytes per byte
 * against 4–6): the price of never being below.
 *
 * Counting costs about 1.2 ns per byte, a third of JSON.parse on real pods; so review-body.ts
 * counts only bodies whose dearest possible cost is a large share of the budget, and charges
 * smaller ones that dearest cost (`unscannedParseBytes`).
 */

/**
 * Per byte of body: the Buffer it arrives in, the string it is decoded to (up to 2 bytes a
 * character) and string values copied out of that.
 */
const PER_BODY_BYTE = 4;
const PER_CONTAINER = 110;
const PER_STRING = 64;
/** On top of the key's string: its slot in a dictionary, or a hidden class of its own. */
const PER_KEY = 136;
const PER_VALUE = 16;

/**
 * The dearest any JSON text can be per byte under this estimate: an object nesting a one-character
 * key per level, `{"":{"":{"":…}}}`, five bytes a level for a container, a string and a key.
 */
export const WORST_BYTES_PER_BODY_BYTE = Math.ceil(
  (5 * PER_BODY_BYTE + PER_CONTAINER + PER_STRING + PER_KEY) / 5,
);

/**
 * The kube-apiserver decodes JSON with Go's encoding/json, which refuses more than 10,000 levels
 * of nesting, and a review puts the object two levels down (`request.object`).
 */
export const MAX_REVIEW_DEPTH = 10_002;

export interface JsonStructure {
  /** Objects and arrays. */
  containers: number;
  /** Strings, keys included. */
  strings: number;
  keys: number;
  /** Values after the first in each object or array (commas). */
  values: number;
  /** Deepest nesting seen; scanning stops once it passes the limit. */
  depth: number;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACE = 0x7d;
const CLOSE_BRACKET = 0x5d;
const COLON = 0x3a;
const COMMA = 0x2c;

/**
 * Counts the tokens of a JSON text without parsing it, chunk by chunk as it arrives. Invalid
 * JSON is counted as far as it goes (JSON.parse will refuse it, after allocating no more than
 * its valid start). Counting stops once the nesting passes `depthLimit`.
 */
export class JsonStructureCounter {
  readonly #depthLimit: number;
  #containers = 0;
  #strings = 0;
  #keys = 0;
  #values = 0;
  #depth = 0;
  #deepest = 0;
  /** Where the last chunk ended: inside a string, and right after a backslash in it. */
  #inString = false;
  #escaped = false;

  constructor(depthLimit: number) {
    this.#depthLimit = depthLimit;
  }

  get tooDeep(): boolean {
    return this.#deepest > this.#depthLimit;
  }

  get structure(): JsonStructure {
    return {
      containers: this.#containers,
      strings: this.#strings,
      keys: this.#keys,
      values: this.#values,
      depth: this.#deepest,
    };
  }

  add(bytes: Uint8Array): void {
    if (this.tooDeep) return;
    const length = bytes.length;
    let i = 0;
    // Past the closing quote of a string the last chunk left open.
    if (this.#inString) i = this.#skipString(bytes, this.#escaped ? 1 : 0) + 1;
    for (; i < length; i += 1) {
      const byte = bytes[i];
      if (byte === QUOTE) {
        this.#strings += 1;
        i = this.#skipString(bytes, i + 1);
      } else if (byte === OPEN_BRACE || byte === OPEN_BRACKET) {
        this.#containers += 1;
        this.#depth += 1;
        if (this.#depth > this.#deepest) {
          this.#deepest = this.#depth;
          if (this.#deepest > this.#depthLimit) return;
        }
      } else if (byte === CLOSE_BRACE || byte === CLOSE_BRACKET) {
        this.#depth -= 1;
      } else if (byte === COLON) {
        this.#keys += 1;
      } else if (byte === COMMA) {
        this.#values += 1;
      }
    }
  }

  /** From `start` (inside a string) to its closing quote; returns that quote's index, or the end. */
  #skipString(bytes: Uint8Array, start: number): number {
    const length = bytes.length;
    // Most bytes of a review are inside strings: this loop is the counter's cost.
    for (let i = start; i < length; i += 1) {
      const byte = bytes[i];
      if (byte === QUOTE) {
        this.#inString = false;
        this.#escaped = false;
        return i;
      }
      if (byte === BACKSLASH) i += 1;
    }
    this.#inString = true;
    // A backslash as the very last byte escapes the first byte of the next chunk.
    this.#escaped = endsWithOddBackslashes(bytes, start);
    return length;
  }
}

/** Whether the string part bytes[start..] ends in a backslash that escapes what follows. */
function endsWithOddBackslashes(bytes: Uint8Array, start: number): boolean {
  let count = 0;
  for (let i = bytes.length - 1; i >= start && bytes[i] === BACKSLASH; i -= 1) count += 1;
  return count % 2 === 1;
}

/** The structure of a whole text at once. */
export function scanJsonStructure(bytes: Uint8Array, depthLimit: number): JsonStructure {
  const counter = new JsonStructureCounter(depthLimit);
  counter.add(bytes);
  return counter.structure;
}

/** Bytes of memory a body of this size holds while it is read, before it is parsed. */
export function readingBytes(bodyBytes: number): number {
  return bodyBytes * PER_BODY_BYTE;
}

/** The estimate for a body that is not counted: the dearest any JSON of its size can be. */
export function unscannedParseBytes(bodyBytes: number): number {
  return bodyBytes * WORST_BYTES_PER_BODY_BYTE;
}

/** Bytes of memory reading and parsing a body of this size and structure may take at its peak. */
export function estimateParseBytes(bodyBytes: number, structure: JsonStructure): number {
  return (
    bodyBytes * PER_BODY_BYTE +
    structure.containers * PER_CONTAINER +
    structure.strings * PER_STRING +
    structure.keys * PER_KEY +
    structure.values * PER_VALUE
  );
}
