/**
 * The JSON Patch (RFC 6902) that applies a mutation's edits to the object the apiserver sent. Each
 * edit becomes one operation at its own path, so the cost follows what changed, not the size of
 * the object, and no array is ever diffed: an array diff could shift elements another webhook
 * added meanwhile, and the library's Levenshtein table grows with the cube of a list's length.
 */
import { Pointer, type Operation } from 'rfc6902';
import type { FieldEdit } from '../json/field-edit.ts';
import type { PathSegment } from '../json/field-path.ts';
import { isObject, type JsonObject } from '../json/values.ts';

function pointer(path: readonly PathSegment[]): string {
  return new Pointer(['', ...path.map(String)]).toString();
}

/**
 * A `set` under parents the object lacks adds the first missing one, with the rest nested in
 * its value; a later edit under the same missing parent goes into that value, since the
 * operation that creates the parent is already there.
 */
export function patchFromEdits(root: unknown, edits: readonly FieldEdit[]): Operation[] {
  const operations: Operation[] = [];
  const created = new Map<string, JsonObject>();
  for (const edit of edits) {
    if (edit.op === 'remove') {
      operations.push({ op: 'remove', path: pointer(edit.path) });
      continue;
    }
    const { path, value } = edit;
    let node: unknown = root;
    let depth = 0;
    for (; depth < path.length - 1; depth++) {
      const next: unknown = (node as Record<string, unknown>)[path[depth] as string];
      if (next === null || typeof next !== 'object') break;
      node = next;
    }
    if (depth === path.length - 1) {
      // undefined is absent in JSON: parsed bodies never hold it, objects built in process may.
      const exists = (node as Record<string, unknown>)[path[depth] as string] !== undefined;
      operations.push({ op: exists ? 'replace' : 'add', path: pointer(path), value });
      continue;
    }
    const missing = pointer(path.slice(0, depth + 1));
    let holder = created.get(missing);
    if (!holder) {
      holder = {};
      created.set(missing, holder);
      // A parent that is there but null is replaced.
      const present = (node as Record<string, unknown>)[path[depth] as string] !== undefined;
      operations.push({ op: present ? 'replace' : 'add', path: missing, value: holder });
    }
    for (const segment of path.slice(depth + 1, -1)) {
      const key = String(segment);
      if (!isObject(holder[key])) holder[key] = {};
      holder = holder[key] as JsonObject;
    }
    holder[String(path[path.length - 1])] = value;
  }
  return operations;
}
