/**
 * Field paths as a developer types them in a manifest or `kubectl explain`:
 * `spec.template.spec.containers[0].securityContext`, and annotation keys in brackets.
 */
export type PathSegment = string | number;

export function formatFieldPath(segments: readonly PathSegment[]): string {
  let out = '';
  for (const segment of segments) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(segment)) out += out === '' ? segment : `.${segment}`;
    else out += `[${JSON.stringify(segment)}]`;
  }
  return out;
}
