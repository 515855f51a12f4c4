/**
 * `runtime-guard check`, pure: manifest texts in, a report (and, with `fix`, the rewritten
 * texts) out. Reading files and printing are the CLI's (src/cli/check-command.ts).
 */
import type { Document } from 'yaml';
import type { NamespaceMode, ReviewConfig } from '../admission/settings.ts';
import type { PathSegment } from '../json/field-path.ts';
import { isObject } from '../json/values.ts';
import { violationLine } from '../render/violation-text.ts';
import { locatePod } from '../workloads/kinds.ts';
import { isNamespaceMode, NAMESPACE_MODE_LABEL } from '../admission/settings.ts';
import {
  SEVERITY_OF_MODE,
  summarize,
  type CheckedObject,
  type CheckReport,
  type FileReport,
  type Finding,
  type ObjectIdentity,
  type SourcePosition,
  type UnfixedDocument,
} from './check-report.ts';
import { fieldOffset, parseFieldPath } from './field-location.ts';
import { fixDocumentText, InPlaceFixError } from './fix-document.ts';
import { judgeManifest, type Verdict } from './judge-manifest.ts';
import {
  readManifestStream,
  type ManifestObject,
  type ManifestStream,
} from './manifest-objects.ts';

export interface ManifestInput {
  /** As the report names it: a path, or `<stdin>`. */
  file: string;
  text: string;
  /** A Helm chart's template: reported as such, not parsed (it is not YAML before rendering). */
  helmChart?: string;
}

export interface CheckOptions {
  /** Judge after the mutating webhook's changes (default), or as written. */
  mutate: boolean;
  /** Rewrite each file as the mutating webhook would change it. */
  fix: boolean;
  /** For objects that name none, as `kubectl apply -n`. */
  namespace?: string | undefined;
  /** Honour `runtime-guard.io/mode` labels of Namespace objects in the input (server.namespaceModes). */
  namespaceModes: boolean;
}

function position(
  stream: ManifestStream,
  document: Document.Parsed,
  path: readonly PathSegment[],
): SourcePosition {
  const { line, col } = stream.lines.linePos(fieldOffset(document, path));
  return { file: stream.file, line, column: col };
}

/** Namespaces labelled with a mode, as the webhook's informer would see them once applied. */
function namespaceModes(streams: readonly ManifestStream[]): Map<string, NamespaceMode> {
  const modes = new Map<string, NamespaceMode>();
  for (const stream of streams) {
    for (const { object, kind, apiVersion } of stream.objects) {
      if (kind !== 'Namespace' || apiVersion !== 'v1' || !isObject(object.metadata)) continue;
      const { name, labels } = object.metadata;
      const mode = isObject(labels) ? labels[NAMESPACE_MODE_LABEL] : undefined;
      if (typeof name === 'string' && isNamespaceMode(mode)) modes.set(name, mode);
    }
  }
  return modes;
}

function objectNamespace(object: ManifestObject, fallback: string | undefined): string | undefined {
  const metadata = object.object.metadata;
  const namespace = isObject(metadata) ? metadata.namespace : undefined;
  return typeof namespace === 'string' && namespace !== '' ? namespace : fallback;
}

/** The field path of a MalformedObjectError's message (`spec.containers[0].name: expected …`). */
function malformedField(message: string): string {
  return /^(.*?): expected /.exec(message)?.[1] ?? '';
}

interface Judged {
  object: ManifestObject;
  verdict: Verdict;
}

function checkedObject(
  stream: ManifestStream,
  { object, verdict }: Judged,
  namespace: string | undefined,
): CheckedObject {
  const identity: ObjectIdentity = {
    apiVersion: object.apiVersion,
    kind: object.kind,
    name: verdict.name ?? '(unnamed)',
    namespace,
  };
  const { document } = object.document;
  const at = position(stream, document, object.path);
  const base = {
    ...at,
    object: identity,
    changes: [] as string[],
    notes: [] as string[],
    ...(object.document.renderedFrom ? { renderedFrom: object.document.renderedFrom } : {}),
  };
  if (verdict.status === 'skipped' || verdict.status === 'exempt')
    return { ...base, status: verdict.status, reason: verdict.reason, findings: [] };
  const mode = verdict.status === 'judged' ? verdict.mode : undefined;
  if (verdict.status === 'malformed') {
    const field = malformedField(verdict.message);
    const where = position(stream, document, [...object.path, ...(parseFieldPath(field) ?? [])]);
    const problem = verdict.message.slice(field.length ? field.length + 2 : 0);
    const finding: Finding = {
      ...where,
      object: identity,
      rule: 'malformed',
      subject: 'object',
      field,
      problem,
      fix: 'correct the field: the apiserver refuses the object until it does',
      message: `object: ${verdict.message}`,
      mode: 'enforce',
      severity: 'error',
    };
    return { ...base, status: 'refused', findings: [finding] };
  }
  const findings = verdict.violations.map((violation): Finding => {
    const path = parseFieldPath(violation.field) ?? [];
    return {
      ...position(stream, document, [...object.path, ...path]),
      object: identity,
      rule: violation.rule,
      subject: violation.subject,
      field: violation.field,
      problem: violation.problem,
      fix: violation.fix,
      message: violationLine(violation),
      mode: verdict.mode,
      severity: SEVERITY_OF_MODE[verdict.mode],
    };
  });
  const status =
    findings.length === 0
      ? 'passed'
      : mode === 'enforce'
        ? 'refused'
        : mode === 'warn'
          ? 'warned'
          : 'audited';
  return { ...base, status, findings, changes: verdict.changes, notes: verdict.notes };
}

/** The slice of the stream that holds one document's contents: whole lines where it can. */
function documentSlice(
  stream: ManifestStream,
  document: Document.Parsed,
): [number, number] | undefined {
  const range = document.contents?.range;
  if (!range) return undefined;
  const [start, end] = range;
  const lineStart = stream.text.lastIndexOf('\n', start - 1) + 1;
  const from = /^[ \t]*$/.test(stream.text.slice(lineStart, start)) ? lineStart : start;
  return [from, end];
}

function setAt(root: unknown, path: readonly PathSegment[], value: unknown): unknown {
  if (path.length === 0) return value;
  let node = root as Record<string, unknown>;
  for (const segment of path.slice(0, -1))
    node = node[segment as string] as Record<string, unknown>;
  node[path[path.length - 1] as string] = value;
  return root;
}

function fixStream(
  stream: ManifestStream,
  judged: readonly Judged[],
): NonNullable<FileReport['fixed']> {
  const unfixed: UnfixedDocument[] = [];
  const splices: { start: number; end: number; text: string }[] = [];
  for (const manifest of stream.documents) {
    const mine = judged.filter(
      (j) =>
        j.object.document === manifest &&
        j.verdict.status === 'judged' &&
        j.verdict.edits.length > 0,
    );
    if (mine.length === 0) continue;
    const edits = mine.flatMap((j) =>
      j.verdict.status === 'judged'
        ? j.verdict.edits.map((edit) => ({ ...edit, path: [...j.object.path, ...edit.path] }))
        : [],
    );
    let expected: unknown = structuredClone(manifest.value);
    for (const j of mine)
      if (j.verdict.status === 'judged')
        expected = setAt(expected, j.object.path, j.verdict.mutated);
    const slice = documentSlice(stream, manifest.document);
    try {
      if (!slice) throw new InPlaceFixError('a document without contents');
      const text = stream.text.slice(...slice);
      splices.push({
        start: slice[0],
        end: slice[1],
        text: fixDocumentText(text, edits, expected),
      });
    } catch (error) {
      if (!(error instanceof InPlaceFixError)) throw error;
      unfixed.push({
        ...position(stream, manifest.document, []),
        reason: error.message,
        changes: mine.flatMap((j) => (j.verdict.status === 'judged' ? j.verdict.changes : [])),
      });
    }
  }
  // Pieces joined once: splicing a long stream document by document would copy it each time.
  const pieces: string[] = [];
  let at = 0;
  for (const splice of splices.sort((a, b) => a.start - b.start)) {
    pieces.push(stream.text.slice(at, splice.start), splice.text);
    at = splice.end;
  }
  pieces.push(stream.text.slice(at));
  const text = pieces.join('');
  return { text, changed: text !== stream.text, unfixed };
}

/** Reads, judges and (with `fix`) rewrites every input; throws ManifestSyntaxError on bad YAML. */
export function checkManifests(
  inputs: readonly ManifestInput[],
  config: ReviewConfig,
  options: CheckOptions,
): CheckReport {
  const streams = new Map<ManifestInput, ManifestStream>();
  for (const input of inputs)
    if (input.helmChart === undefined)
      streams.set(input, readManifestStream(input.text, input.file));
  const modes = options.namespaceModes ? namespaceModes([...streams.values()]) : new Map();

  const files: FileReport[] = inputs.map((input) => {
    const stream = streams.get(input);
    if (!stream) {
      return {
        file: input.file,
        objects: [],
        otherKinds: {},
        notKubernetes: 0,
        helmTemplate: { chart: input.helmChart ?? '' },
      };
    }
    const report: FileReport = {
      file: input.file,
      objects: [],
      otherKinds: {},
      notKubernetes: stream.notKubernetes,
    };
    const judged: Judged[] = [];
    for (const object of stream.objects) {
      if (!locatePod(object.ref, config.admission.extraKinds)) {
        report.otherKinds[object.kind] = (report.otherKinds[object.kind] ?? 0) + 1;
        continue;
      }
      const namespace = objectNamespace(object, options.namespace);
      const verdict = judgeManifest(
        {
          object: object.object,
          ref: object.ref,
          namespace,
          mode: (namespace && modes.get(namespace)) ?? config.admission.mode,
        },
        config,
        { mutate: options.mutate },
      );
      judged.push({ object, verdict });
      report.objects.push(checkedObject(stream, { object, verdict }, namespace));
    }
    if (options.fix) report.fixed = fixStream(stream, judged);
    return report;
  });
  return {
    preset: config.policy.preset,
    mutation: options.mutate,
    files,
    summary: summarize(files),
  };
}
