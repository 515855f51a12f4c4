/**
 * The JSON Patch for a mutation. Each replaced part (a security context, the annotations) is
 * diffed on its own against what was received, and the library's pointer prefixes its path, so
 * the cost follows what changed, not the size of the object, and container lists are never
 * diffed as arrays (an array diff could shift elements another webhook added meanwhile); nor is
 * any other array (see replaceArraysWhole).
 */
import { createPatch, Pointer, type Operation } from 'rfc6902';
import type { VoidableDiff } from 'rfc6902/diff.js';
import type { PathSegment } from '../json/field-path.ts';

export interface Replacement {
  /** Path from the object root; every parent on it exists in the object received. */
  path: readonly PathSegment[];
  value: unknown;
}

function valueAt(root: unknown, path: readonly PathSegment[]): unknown {
  let node = root;
  for (const segment of path) node = (node as Record<string, unknown>)[segment as string];
  return node;
}

/**
 * Arrays inside a replaced part (`capabilities.add`, `capabilities.drop`) are replaced whole: the
 * library's array diff is a Levenshtein table whose cost grows with the cube of the length, and a
 * drop list of 1,000 made-up names took 3 s and a gigabyte before the review was admitted.
 */
const replaceArraysWhole: VoidableDiff = (input, output, pointer) => {
  if (Array.isArray(input) && Array.isArray(output)) {
    if (input.length === output.length && input.every((item, i) => item === output[i])) return [];
    return [{ op: 'replace', path: pointer.toString(), value: output }];
  }
  return undefined;
};

export function patchFor(root: object, replacements: readonly Replacement[]): Operation[] {
  const operations: Operation[] = [];
  for (const { path, value } of replacements) {
    const pointer = new Pointer(['', ...path.map(String)]).toString();
    const current = valueAt(root, path);
    if (current === undefined) {
      operations.push({ op: 'add', path: pointer, value });
      continue;
    }
    for (const op of createPatch(current, value, replaceArraysWhole))
      operations.push({ ...op, path: pointer + op.path });
  }
  return operations;
}
