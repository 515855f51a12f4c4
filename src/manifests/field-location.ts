/**
 * Where a field sits in the source: the line of the offending key, or, for a field the manifest
 * lacks (a missing seccomp profile), the line of the nearest part of its path that is there.
 * Violations name fields as `formatFieldPath` writes them; they are read back here.
 */
import { isAlias, isMap, isScalar, isSeq, type Document, type Node } from 'yaml';
import type { PathSegment } from '../json/field-path.ts';

/** `spec.containers[0].securityContext` and `metadata.annotations["a/b"]` back into segments. */
export function parseFieldPath(field: string): PathSegment[] | undefined {
  const segments: PathSegment[] = [];
  let rest = field;
  while (rest !== '') {
    let match: RegExpExecArray | null;
    if ((match = /^\.?([A-Za-z_][A-Za-z0-9_]*)/.exec(rest))) {
      segments.push(match[1] as string);
    } else if ((match = /^\[(\d+)\]/.exec(rest))) {
      segments.push(Number(match[1]));
    } else if ((match = /^\[("(?:[^"\\]|\\.)*")\]/.exec(rest))) {
      segments.push(JSON.parse(match[1] as string) as string);
    } else {
      return undefined;
    }
    rest = rest.slice(match[0].length);
  }
  return segments;
}

function keyMatches(key: unknown, segment: PathSegment): boolean {
  return isScalar(key) && String(key.value) === String(segment);
}

/** The child of a collection node at `segment`, with the offset where its entry starts. */
export function childAt(
  node: Node | null | undefined,
  segment: PathSegment,
): { node: Node | null; start: number } | undefined {
  if (isMap(node)) {
    for (const pair of node.items) {
      if (!keyMatches(pair.key, segment)) continue;
      const key = pair.key as Node;
      return { node: (pair.value as Node | null) ?? null, start: key.range?.[0] ?? 0 };
    }
    return undefined;
  }
  if (isSeq(node) && typeof segment === 'number') {
    const item = node.items[segment] as Node | undefined;
    if (item === undefined) return undefined;
    return { node: item, start: item.range?.[0] ?? 0 };
  }
  return undefined;
}

/**
 * The offset of the deepest node on `path` that the document has: the start of its key in a
 * map, of the item in a list. Aliases are followed, so the offset is that of the anchored node.
 */
export function fieldOffset(document: Document.Parsed, path: readonly PathSegment[]): number {
  let node: Node | null | undefined = document.contents;
  let offset = node?.range?.[0] ?? document.range[0];
  for (const segment of path) {
    if (isAlias(node)) node = node.resolve(document) ?? null;
    const child = childAt(node, segment);
    if (!child) break;
    offset = child.start;
    node = child.node;
  }
  return offset;
}
