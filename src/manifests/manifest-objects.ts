/**
 * The Kubernetes objects of one YAML or JSON stream: each document, and the items of `List`
 * documents (what `kubectl get -o yaml` and `helm template`-then-`kubectl` pipelines produce).
 * What is no Kubernetes object (a values file, a `package.json`) is counted, not judged.
 */
import type { Document, LineCounter } from 'yaml';
import type { PathSegment } from '../json/field-path.ts';
import { isObject, type JsonObject } from '../json/values.ts';
import type { KindRef } from '../workloads/kinds.ts';
import { documentValue, parseStream } from './kubernetes-yaml.ts';

export interface ManifestDocument {
  /** Position in the stream, from 0. */
  index: number;
  document: Document.Parsed;
  value: unknown;
  /** `chart/templates/web.yaml` when `helm template` wrote the document (its `# Source:` line). */
  renderedFrom: string | undefined;
}

export interface ManifestObject {
  document: ManifestDocument;
  /** From the document root to the object: `[]`, or `['items', i]` in a List. */
  path: readonly PathSegment[];
  object: JsonObject;
  apiVersion: string;
  kind: string;
  ref: KindRef;
}

export interface ManifestStream {
  file: string;
  text: string;
  lines: LineCounter;
  documents: ManifestDocument[];
  objects: ManifestObject[];
  /** Documents (or List items) that are not Kubernetes objects: no string apiVersion and kind. */
  notKubernetes: number;
}

const HELM_SOURCE = /^ ?Source: (\S.*)$/m;

function renderedFrom(document: Document.Parsed): string | undefined {
  const comment = [document.commentBefore, document.contents?.commentBefore]
    .filter((c): c is string => typeof c === 'string')
    .join('\n');
  return HELM_SOURCE.exec(comment)?.[1]?.trim();
}

/** The group of an apiVersion: `apps/v1` → `apps`, `v1` → the core group `''`. */
export function apiGroup(apiVersion: string): string {
  const slash = apiVersion.indexOf('/');
  return slash < 0 ? '' : apiVersion.slice(0, slash);
}

function asObject(
  value: unknown,
): { object: JsonObject; apiVersion: string; kind: string } | undefined {
  if (!isObject(value)) return undefined;
  const { apiVersion, kind } = value;
  if (
    typeof apiVersion !== 'string' ||
    apiVersion === '' ||
    typeof kind !== 'string' ||
    kind === ''
  )
    return undefined;
  return { object: value, apiVersion, kind };
}

/** Parses the stream; a syntax error throws a ManifestSyntaxError with file:line:column. */
export function readManifestStream(text: string, file: string): ManifestStream {
  const { documents: parsed, lines } = parseStream(text, file);
  const stream: ManifestStream = {
    file,
    text,
    lines,
    documents: [],
    objects: [],
    notKubernetes: 0,
  };
  parsed.forEach((document, index) => {
    const value = documentValue(document, lines, file);
    const manifest: ManifestDocument = {
      index,
      document,
      value,
      renderedFrom: renderedFrom(document),
    };
    stream.documents.push(manifest);
    // `---` followed by nothing, or by comments only: helm writes these for empty templates.
    if (value === null || value === undefined) return;
    const found = asObject(value);
    if (!found) {
      stream.notKubernetes++;
      return;
    }
    // kubectl reads `kind: List` (any group, e.g. `v1` or a `*List` of one kind) item by item.
    if (
      found.kind === 'List' ||
      (found.kind.endsWith('List') && Array.isArray(found.object.items))
    ) {
      const items = found.object.items;
      if (!Array.isArray(items)) return;
      items.forEach((item: unknown, i) => {
        const inner = asObject(item);
        if (!inner) {
          stream.notKubernetes++;
          return;
        }
        stream.objects.push({
          document: manifest,
          path: ['items', i],
          ...inner,
          ref: { group: apiGroup(inner.apiVersion), kind: inner.kind },
        });
      });
      return;
    }
    stream.objects.push({
      document: manifest,
      path: [],
      ...found,
      ref: { group: apiGroup(found.apiVersion), kind: found.kind },
    });
  });
  return stream;
}
