/**
 * One change to a JSON document, addressed from its root: what a mutation does, in a form that
 * every writer can apply — a JSON Patch for the apiserver (src/admission/json-patch.ts), edits of
 * a YAML document for `check --fix`. A `set` whose parents are missing creates them as objects.
 */
import type { PathSegment } from './field-path.ts';

export type FieldEdit =
  | { op: 'set'; path: readonly PathSegment[]; value: unknown }
  | { op: 'remove'; path: readonly PathSegment[] };
