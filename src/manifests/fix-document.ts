/**
 * `check --fix`: the mutating webhook's edits written into the YAML source as small splices, so
 * that comments, key order, quoting, anchors and every line the mutation does not touch stay
 * byte for byte. Each edit is located in the document model (the `yaml` package's nodes and
 * their source ranges), turned into one splice of the text, and the document is parsed again
 * before the next edit. New parents are block maps in the document's own indentation (flow, or
 * JSON, inside flow collections). The result must read back as exactly the mutated object;
 * when it does not (an edit through an alias or a merge key, say), the document is refused, not
 * written half right.
 */
import {
  isAlias,
  isCollection,
  isMap,
  isScalar,
  isSeq,
  parseDocument,
  visit,
  type Document,
  type Node,
  type Pair,
  type YAMLMap,
  type YAMLSeq,
} from 'yaml';
import type { FieldEdit } from '../json/field-edit.ts';
import type { PathSegment } from '../json/field-path.ts';
import { jsonEqual } from '../json/json-equal.ts';
import { isObject } from '../json/values.ts';
import { blockYaml, flowYaml, KUBERNETES_YAML } from './kubernetes-yaml.ts';

/** A document that cannot be rewritten in place; the reason says why. */
export class InPlaceFixError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InPlaceFixError';
  }
}

interface Splice {
  start: number;
  end: number;
  text: string;
}

interface Style {
  /** Spaces per nesting level of block collections. */
  indent: number;
  /** Whether a block list's dashes are indented under their key (`key:\n  - a`). */
  indentSeq: boolean;
  /** A JSON document: new keys are quoted, values written as JSON. */
  json: boolean;
  eol: string;
}

type Range = [number, number, number];

const rangeOf = (node: Node): Range => {
  if (!node.range) throw new InPlaceFixError('a node without a source position');
  return node.range;
};

function keyMatches(key: unknown, segment: PathSegment): boolean {
  return isScalar(key) && String(key.value) === String(segment);
}

function isNullNode(node: unknown): boolean {
  return node === null || node === undefined || (isScalar(node) && node.value === null);
}

/** The text of one document and what can be asked about its lines. */
class Source {
  readonly text: string;
  readonly eol: string;
  constructor(text: string, eol: string) {
    this.text = text;
    this.eol = eol;
  }

  lineStart(offset: number): number {
    return this.text.lastIndexOf('\n', offset - 1) + 1;
  }

  column(offset: number): number {
    return offset - this.lineStart(offset);
  }

  /** Where the line holding the last character before `end` breaks (or the end of the text). */
  lineBreakAfter(end: number): number {
    let at: number;
    if (end > 0 && this.text[end - 1] === '\n') at = end - 1;
    else {
      at = this.text.indexOf('\n', end);
      if (at < 0) return this.text.length;
    }
    return at > 0 && this.text[at - 1] === '\r' ? at - 1 : at;
  }

  /** Past the line break at `at` (which lineBreakAfter returned). */
  pastBreak(at: number): number {
    if (this.text.startsWith('\r\n', at)) return at + 2;
    return this.text[at] === '\n' ? at + 1 : at;
  }

  colonAfter(key: Node): number {
    const colon = this.text.indexOf(':', rangeOf(key)[1]);
    if (colon < 0) throw new InPlaceFixError('a key without its colon');
    return colon;
  }
}

function detectStyle(document: Document.Parsed, source: Source): Style {
  let indent: number | undefined;
  let indentSeq: boolean | undefined;
  visit(document, {
    Pair(_, pair) {
      if (!isScalar(pair.key) || !pair.key.range) return;
      const keyColumn = source.column(pair.key.range[0]);
      const value = pair.value;
      if (indent === undefined && isMap(value) && !value.flow) {
        const first = value.items[0]?.key;
        if (isScalar(first) && first.range) {
          const step = source.column(first.range[0]) - keyColumn;
          if (step > 0) indent = step;
        }
      }
      if (indentSeq === undefined && isSeq(value) && !value.flow && value.range)
        indentSeq = source.column(value.range[0]) > keyColumn;
      if (indent !== undefined && indentSeq !== undefined) return visit.BREAK;
      return undefined;
    },
  });
  const contents = document.contents;
  return {
    indent: indent ?? 2,
    indentSeq: indentSeq ?? true,
    // JSON quotes every key; a flow-style YAML document writes them plain.
    json:
      isMap(contents) &&
      contents.flow === true &&
      isScalar(contents.items[0]?.key) &&
      contents.items[0].key.type === 'QUOTE_DOUBLE',
    eol: source.eol,
  };
}

/** `{a: {b: value}}` for the segments `['a', 'b']`: the parents a `set` creates. */
function nest(segments: readonly PathSegment[], value: unknown): unknown {
  let nested = value;
  for (let i = segments.length - 1; i >= 0; i--) {
    const segment = segments[i];
    if (typeof segment !== 'string')
      throw new InPlaceFixError(`cannot create list item ${String(segment)}`);
    nested = { [segment]: nested };
  }
  return nested;
}

function isEmptyCollection(value: unknown): boolean {
  return (
    (Array.isArray(value) && value.length === 0) ||
    (isObject(value) && Object.keys(value).length === 0)
  );
}

function isCollectionValue(value: unknown): boolean {
  return Array.isArray(value) || isObject(value);
}

class DocumentEditor {
  readonly source: Source;
  readonly document: Document.Parsed;
  readonly style: Style;

  constructor(source: Source, document: Document.Parsed, style: Style) {
    this.source = source;
    this.document = document;
    this.style = style;
  }

  private flow(value: unknown): string {
    return this.style.json ? JSON.stringify(value) : flowYaml(value);
  }

  private indented(text: string, column: number): string[] {
    const pad = ' '.repeat(column);
    return text.split('\n').map((line) => (line === '' ? line : pad + line));
  }

  private endOf(pair: Pair): number {
    const value = pair.value as Node | null;
    return value?.range ? value.range[1] : rangeOf(pair.key as Node)[1];
  }

  set(path: readonly PathSegment[], value: unknown): Splice[] {
    let node: Node | null = this.document.contents;
    for (let i = 0; i < path.length; i++) {
      const segment = path[i] as PathSegment;
      const last = i === path.length - 1;
      if (isAlias(node)) throw new InPlaceFixError('the field is reached through an alias');
      if (isMap(node)) {
        const pair = node.items.find((p) => keyMatches(p.key, segment));
        if (!pair) return this.insertPair(node, String(segment), nest(path.slice(i + 1), value));
        if (last) return this.replaceValue(node, pair, value);
        if (isNullNode(pair.value))
          return this.replaceValue(node, pair, nest(path.slice(i + 1), value));
        node = pair.value as Node;
        continue;
      }
      if (isSeq(node) && typeof segment === 'number' && !last) {
        const item = node.items[segment] as Node | undefined;
        if (!item) throw new InPlaceFixError(`no list item ${segment}`);
        node = item;
        continue;
      }
      throw new InPlaceFixError(
        `cannot set a field under ${isScalar(node) ? 'a scalar' : 'this node'}`,
      );
    }
    throw new InPlaceFixError('an edit of the whole document');
  }

  remove(path: readonly PathSegment[]): Splice[] {
    let map: Node | null = this.document.contents;
    let holder: { map: YAMLMap; pair: Pair } | undefined;
    for (const segment of path.slice(0, -1)) {
      if (isMap(map)) {
        const pair = map.items.find((p) => keyMatches(p.key, segment));
        if (!pair) return [];
        holder = { map, pair };
        map = pair.value as Node | null;
      } else if (isSeq(map) && typeof segment === 'number') {
        holder = undefined;
        map = (map.items[segment] as Node | undefined) ?? null;
      } else return [];
    }
    if (!isMap(map)) return [];
    const key = path[path.length - 1] as PathSegment;
    const index = map.items.findIndex((p) => keyMatches(p.key, key));
    if (index < 0) return [];
    const pair = map.items[index] as Pair;
    if (map.items.length === 1) {
      if (!holder) throw new InPlaceFixError('removing the last key of a map that is no field');
      return this.replaceValue(holder.map, holder.pair, {});
    }
    const text = this.source.text;
    const keyStart = rangeOf(pair.key as Node)[0];
    const next = map.items[index + 1];
    if (map.flow) {
      if (next) return [{ start: keyStart, end: rangeOf(next.key as Node)[0], text: '' }];
      return [{ start: this.endOf(map.items[index - 1] as Pair), end: this.endOf(pair), text: '' }];
    }
    const lineStart = this.source.lineStart(keyStart);
    if (!/^[ \t]*$/.test(text.slice(lineStart, keyStart))) {
      // `- key: value` opens a list item: the next key moves up behind the dash.
      if (!next) throw new InPlaceFixError('a map written on one line with a list dash');
      return [{ start: keyStart, end: rangeOf(next.key as Node)[0], text: '' }];
    }
    const lineBreak = this.source.lineBreakAfter(this.endOf(pair));
    const end = this.source.pastBreak(lineBreak);
    if (end === lineBreak && lineStart > 0) {
      // The last line of a text without a final newline: take the break before it instead.
      const before = text[lineStart - 2] === '\r' ? lineStart - 2 : lineStart - 1;
      return [{ start: before, end, text: '' }];
    }
    return [{ start: lineStart, end, text: '' }];
  }

  private insertPair(map: YAMLMap, key: string, value: unknown): Splice[] {
    const { eol } = this.style;
    const last = map.items[map.items.length - 1];
    if (map.flow) {
      const entry = this.style.json
        ? `${JSON.stringify(key)}: ${JSON.stringify(value)}`
        : `${flowYaml(key)}: ${flowYaml(value)}`;
      const [start, end] = rangeOf(map);
      if (this.source.text[end - 1] !== '}')
        throw new InPlaceFixError('a flow map without its brace');
      if (!last) return [{ start: start + 1, end: start + 1, text: entry }];
      const at = this.endOf(last);
      return [{ start: at, end: at, text: `, ${entry}` }];
    }
    if (!last) throw new InPlaceFixError('an empty block map');
    const column = this.source.column(rangeOf(map.items[0]?.key as Node)[0]);
    const at = this.source.lineBreakAfter(this.endOf(last));
    const lines = this.indented(
      blockYaml({ [key]: value }, this.style.indent, this.style.indentSeq),
      column,
    );
    return [{ start: at, end: at, text: eol + lines.join(eol) }];
  }

  private appendItems(seq: YAMLSeq, items: readonly unknown[]): Splice[] {
    const { eol } = this.style;
    const last = seq.items[seq.items.length - 1] as Node | undefined;
    if (seq.flow) {
      const [start, end] = rangeOf(seq);
      if (this.source.text[end - 1] !== ']')
        throw new InPlaceFixError('a flow list without its bracket');
      const written = items.map((item) => this.flow(item)).join(', ');
      if (!last) return [{ start: start + 1, end: start + 1, text: written }];
      const at = rangeOf(last)[1];
      return [{ start: at, end: at, text: `, ${written}` }];
    }
    if (!last) throw new InPlaceFixError('an empty block list');
    const column = this.source.column(rangeOf(seq)[0]);
    const at = this.source.lineBreakAfter(rangeOf(last)[1]);
    const lines = this.indented(blockYaml(items, this.style.indent, false), column);
    return [{ start: at, end: at, text: eol + lines.join(eol) }];
  }

  private replaceValue(map: YAMLMap, pair: Pair, value: unknown): Splice[] {
    const { eol } = this.style;
    const old = pair.value as Node | null;
    if (isSeq(old) && Array.isArray(value)) {
      const current = old.toJS(this.document) as unknown[];
      if (current.length < value.length && jsonEqual(current, value.slice(0, current.length)))
        return this.appendItems(old, value.slice(current.length));
    }
    const key = pair.key as Node;
    const keyColumn = this.source.column(rangeOf(key)[0]);
    const inline =
      map.flow === true || this.style.json || !isCollectionValue(value) || isEmptyCollection(value);
    const childColumn = (): number => {
      if (isCollection(old) && !old.flow && old.range) {
        if (isSeq(old) === Array.isArray(value)) return this.source.column(old.range[0]);
      }
      return Array.isArray(value) && !this.style.indentSeq
        ? keyColumn
        : keyColumn + this.style.indent;
    };
    const block = (): string =>
      this.indented(blockYaml(value, this.style.indent, this.style.indentSeq), childColumn()).join(
        eol,
      );

    if (isCollection(old) && !old.flow && old.range) {
      const lastBreak = this.source.lineBreakAfter(old.range[1]);
      if (!inline)
        return [{ start: this.source.lineStart(old.range[0]), end: lastBreak, text: block() }];
      const colon = this.source.colonAfter(key);
      return [
        { start: colon + 1, end: colon + 1, text: ` ${this.flow(value)}` },
        { start: this.source.lineBreakAfter(colon + 1), end: lastBreak, text: '' },
      ];
    }
    let start: number;
    let end: number;
    if (old?.range) [start, end] = old.range;
    else start = end = this.source.colonAfter(key) + 1;
    if (inline) {
      const space = this.source.text[start - 1] === ':' ? ' ' : '';
      return [{ start, end, text: space + this.flow(value) }];
    }
    let from = start;
    // The spaces before a written value go with it; an empty one may stand before a comment.
    while (
      end > start &&
      from > 0 &&
      (this.source.text[from - 1] === ' ' || this.source.text[from - 1] === '\t')
    )
      from--;
    const at = this.source.lineBreakAfter(end);
    return [
      { start: from, end, text: '' },
      { start: at, end: at, text: eol + block() },
    ];
  }
}

function applySplices(text: string, splices: readonly Splice[]): string {
  let out = text;
  // From the end backwards, so earlier offsets stay valid; at one offset, a deletion before
  // the insertion that replaces it.
  for (const splice of [...splices].sort((a, b) => b.start - a.start || b.end - a.end))
    out = out.slice(0, splice.start) + splice.text + out.slice(splice.end);
  return out;
}

function parseOne(text: string): Document.Parsed {
  const document = parseDocument(text, KUBERNETES_YAML);
  const error = document.errors[0];
  if (error) throw new InPlaceFixError(`the rewritten document does not parse: ${error.message}`);
  return document;
}

/**
 * `text` (one whole YAML document) with `edits` (paths from the document root) written in, as
 * small splices. Throws {@link InPlaceFixError} unless the result reads back as `expected`.
 */
export function fixDocumentText(
  text: string,
  edits: readonly FieldEdit[],
  expected: unknown,
): string {
  if (edits.length === 0) return text;
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  let current = text;
  let document = parseOne(current);
  const style = detectStyle(document, new Source(current, eol));
  for (const edit of edits) {
    const editor = new DocumentEditor(new Source(current, eol), document, style);
    const splices =
      edit.op === 'set' ? editor.set(edit.path, edit.value) : editor.remove(edit.path);
    current = applySplices(current, splices);
    document = parseOne(current);
  }
  if (!jsonEqual(document.toJS(), expected))
    throw new InPlaceFixError(
      'written in place, the document would not read as the mutated object',
    );
  return current;
}
