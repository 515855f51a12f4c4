/**
 * Manifests read as kubectl reads them. kubectl turns YAML into JSON with go-yaml v2 (through
 * sigs.k8s.io/yaml), which speaks YAML 1.1: `privileged: yes` is true there, so it must be true
 * here, or `check` would pass what the cluster refuses. go-yaml v2 has no sexagesimal numbers
 * and hands timestamps to JSON as strings, so those two YAML 1.1 types are left out.
 */
import {
  LineCounter,
  parseAllDocuments,
  stringify,
  type CreateNodeOptions,
  type Document,
  type DocumentOptions,
  type ParseOptions,
  type SchemaOptions,
  type ToStringOptions,
} from 'yaml';

const GO_YAML_V2_MISSES = new Set(['tag:yaml.org,2002:timestamp']);

export const KUBERNETES_YAML: ParseOptions & DocumentOptions & SchemaOptions = {
  version: '1.1',
  customTags: (tags) =>
    tags.filter(
      (tag) =>
        typeof tag !== 'object' || (!GO_YAML_V2_MISSES.has(tag.tag) && tag.format !== 'TIME'),
    ),
};

/** Aliases expanded past this many nodes are refused (the "billion laughs" document). */
export const MAX_ALIAS_COUNT = 100;

export class ManifestSyntaxError extends Error {
  readonly file: string;
  readonly line: number;
  readonly column: number;
  readonly reason: string;
  constructor(file: string, line: number, column: number, reason: string) {
    super(`${file}:${line}:${column}: ${reason}`);
    this.name = 'ManifestSyntaxError';
    this.file = file;
    this.line = line;
    this.column = column;
    this.reason = reason;
  }
}

export interface ParsedStream {
  documents: Document.Parsed[];
  lines: LineCounter;
}

/** The parser's words without its own " at line L, column C:" and the excerpt after them. */
function parserReason(message: string): string {
  return message.replace(/ at line \d+, column \d+:[\s\S]*$/, '').trim();
}

/** Every document of a YAML (or JSON) stream; the first syntax error throws, with its position. */
export function parseStream(text: string, file: string): ParsedStream {
  const lines = new LineCounter();
  const parsed = parseAllDocuments(text, { ...KUBERNETES_YAML, lineCounter: lines });
  // A stream of nothing but comments parses as an empty list.
  const documents = Array.isArray(parsed) ? parsed : [];
  for (const document of documents) {
    const error = document.errors[0];
    if (error) {
      const { line, col } = lines.linePos(error.pos[0]);
      throw new ManifestSyntaxError(file, line, col, parserReason(error.message));
    }
  }
  return { documents, lines };
}

/** The document as JSON values; an alias that expands too far or resolves to nothing throws. */
export function documentValue(
  document: Document.Parsed,
  lines: LineCounter,
  file: string,
): unknown {
  try {
    return document.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (error) {
    const { line, col } = lines.linePos(document.range[0]);
    throw new ManifestSyntaxError(file, line, col, (error as Error).message);
  }
}

const FRAGMENT_OPTIONS: ToStringOptions & CreateNodeOptions & DocumentOptions = {
  version: '1.1',
  lineWidth: 0,
  aliasDuplicateObjects: false,
};

/** A value as block YAML, as kubectl will read it back; ends without a newline. */
export function blockYaml(value: unknown, indent: number, indentSeq: boolean): string {
  return stringify(value, { ...FRAGMENT_OPTIONS, indent, indentSeq }).replace(/\n$/, '');
}

/** A value as flow YAML on one line, e.g. `{ type: RuntimeDefault }`. */
export function flowYaml(value: unknown): string {
  return stringify(value, { ...FRAGMENT_OPTIONS, collectionStyle: 'flow' }).replace(/\n$/, '');
}
