/**
 * The JSON Patch for a mutation, computed by diffing the received object against a copy with the
 * mutated parts swapped in. Only the path down to those parts is copied, and the diff library
 * skips identical references, so the cost follows what changed, not the object's size.
 */
import { createPatch, type Operation } from 'rfc6902';
import type { PathSegment } from '../policy/field-path.ts';

export interface Replacement {
  path: readonly PathSegment[];
  value: unknown;
}

function withReplaced(
  node: unknown,
  path: readonly PathSegment[],
  depth: number,
  value: unknown,
): unknown {
  if (depth === path.length) return value;
  const key = path[depth] as string;
  const copy = Array.isArray(node) ? [...node] : { ...(node as Record<string, unknown>) };
  (copy as Record<string, unknown>)[key] = withReplaced(
    (node as Record<string, unknown>)[key],
    path,
    depth + 1,
    value,
  );
  return copy;
}

export function diffPatch(root: object, replacements: readonly Replacement[]): Operation[] {
  let target: unknown = root;
  for (const { path, value } of replacements) target = withReplaced(target, path, 0, value);
  return target === root ? [] : createPatch(root, target);
}
