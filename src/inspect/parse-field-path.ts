/**
 * The inverse of formatFieldPath (src/json/field-path.ts): `spec.containers[0].securityContext`
 * and `metadata.annotations["seccomp.security.alpha.kubernetes.io/pod"]` back to segments. A
 * violation names its field in that text form only; the exact fix of a report needs the segments.
 */
import type { PathSegment } from '../json/field-path.ts';

export class FieldPathSyntaxError extends Error {
  constructor(text: string, at: number) {
    super(`not a field path at character ${at + 1}: ${text}`);
    this.name = 'FieldPathSyntaxError';
  }
}

const IDENTIFIER = /[A-Za-z_][A-Za-z0-9_]*/y;
const INDEX = /\[(\d+)\]/y;

/** The end of the JSON string that opens at `start` (a `"`), one past its closing quote. */
function jsonStringEnd(text: string, start: number): number {
  for (let i = start + 1; i < text.length; i++) {
    if (text[i] === '\\') i++;
    else if (text[i] === '"') return i + 1;
  }
  return -1;
}

export function parseFieldPath(text: string): PathSegment[] {
  const segments: PathSegment[] = [];
  let i = 0;
  while (i < text.length) {
    if (text[i] === '.' && segments.length > 0) i++;
    if (text[i] === '[' && text[i + 1] === '"') {
      const end = jsonStringEnd(text, i + 1);
      if (end < 0 || text[end] !== ']') throw new FieldPathSyntaxError(text, i);
      segments.push(JSON.parse(text.slice(i + 1, end)) as string);
      i = end + 1;
      continue;
    }
    INDEX.lastIndex = i;
    const index = INDEX.exec(text);
    if (index) {
      segments.push(Number(index[1]));
      i = INDEX.lastIndex;
      continue;
    }
    IDENTIFIER.lastIndex = i;
    const name = IDENTIFIER.exec(text);
    if (!name) throw new FieldPathSyntaxError(text, i);
    segments.push(name[0]);
    i = IDENTIFIER.lastIndex;
  }
  return segments;
}
