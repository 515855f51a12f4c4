// Reads one strace output file line by line and emits its syscalls, whole: an unfinished call
// is emitted when it is resumed (with the text of both parts), a call cut by strace's "Process N
// attached" message when its second half arrives, and the rows of -c / -C count tables as
// counted calls. Pure and incremental: the caller feeds lines, memory stays bounded by the calls
// left open (one per thread at most) whatever the length of the trace.

import {
  callResult,
  isUnfinished,
  parseStraceLine,
  splitAttachMessage,
  type StraceMode,
} from './strace-line.ts';

export interface TraceLocation {
  file: string;
  line: number;
}

/** A syscall as the trace shows it, before any table lookup. */
export interface TracedCall {
  pid: number | undefined;
  name: string;
  number: number | undefined;
  /** The process's mode when strace said so (stderr traces); undefined when it did not. */
  mode: StraceMode | undefined;
  /** The text after "name(", both halves joined for a resumed call. */
  args: string;
  /** What follows " = ", undefined for a call that never finished. */
  result: string | undefined;
  /** Where the call starts. */
  at: TraceLocation;
  /** Line of the call's end (its resumption), for ordering calls across threads. */
  endLine: number;
  /** The last line of the input, without a newline and without a result. */
  truncated: boolean;
}

/** A row of a -c / -C count table. */
export interface CountedCall {
  name: string;
  mode: StraceMode | undefined;
  calls: number;
  at: TraceLocation;
}

export interface TraceSink {
  call(call: TracedCall): void;
  counted(row: CountedCall): void;
  unreadable(at: TraceLocation, text: string): void;
}

interface OpenCall {
  name: string;
  number: number | undefined;
  mode: StraceMode | undefined;
  args: string;
  at: TraceLocation;
}

interface CountTable {
  /** Start column of the syscall column, from the dashes under the header. */
  nameColumn: number;
  /** Where the calls column is, when the table has one (-U may leave it out). */
  callsColumn: { start: number; end: number } | undefined;
  mode: StraceMode | undefined;
  /** The dashes line before the total row has been seen. */
  closing: boolean;
}

const TABLE_MODE = /^System call usage summary for (64 bit|32 bit|x32) mode:$/;
const DASHES = /^-+( +-+)*$/;

function isTableHeader(line: string): boolean {
  const tokens = line.trim().split(/ +/);
  return tokens.includes('syscall') && (tokens.includes('calls') || tokens.includes('time'));
}

export class StraceReader {
  private readonly file: string;
  private readonly filePid: number | undefined;
  private readonly sink: TraceSink;
  private lineNumber = 0;
  private readonly open = new Map<number | undefined, OpenCall>();
  private readonly modes = new Map<number | undefined, StraceMode>();
  private readonly prefixedPids = new Set<number>();
  /** The first half of a line cut by "strace: Process N attached". */
  private cut: string | undefined;
  private pendingHeader: { text: string; line: number } | undefined;
  private table: CountTable | undefined;
  private tableMode: StraceMode | undefined;

  constructor(file: string, sink: TraceSink, filePid?: number) {
    this.file = file;
    this.sink = sink;
    this.filePid = filePid;
  }

  /** Feeds one line, without its newline; `last` marks an input's final line without one. */
  line(text: string, last = false): void {
    this.lineNumber += 1;
    const line = text.endsWith('\r') ? text.slice(0, -1) : text;
    if (this.cut !== undefined) {
      const joined = this.cut + line;
      this.cut = undefined;
      this.record(joined, last);
      return;
    }
    if (this.countTableLine(line)) return;
    const before = splitAttachMessage(line);
    if (before !== undefined) {
      this.cut = before;
      return;
    }
    this.record(line, last);
  }

  /** Emits the calls still open: never resumed (the process died or the trace stopped). */
  end(): void {
    if (this.pendingHeader) this.unreadable(this.pendingHeader.line, this.pendingHeader.text);
    this.pendingHeader = undefined;
    if (this.cut !== undefined) {
      this.record(this.cut, true);
      this.cut = undefined;
    }
    for (const [pid, call] of this.open) this.emit(pid, call, undefined, call.at.line, false);
    this.open.clear();
  }

  private at(line = this.lineNumber): TraceLocation {
    return { file: this.file, line };
  }

  private unreadable(line: number, text: string): void {
    this.sink.unreadable(this.at(line), text);
  }

  /** Count tables: a header, dashes, rows, dashes, a total row. Returns whether it used the line. */
  private countTableLine(line: string): boolean {
    const header = this.pendingHeader;
    if (header) {
      this.pendingHeader = undefined;
      if (DASHES.test(line)) {
        const spans = [...line.matchAll(/-+/g)].map((d) => ({
          start: d.index,
          end: d.index + d[0].length,
        }));
        const spanOf = (title: string) => {
          const at = header.text.search(new RegExp(`(?:^| )${title}(?: |$)`));
          const column = at < 0 ? -1 : at + (header.text[at] === ' ' ? 1 : 0);
          return spans.find((span) => column >= span.start && column < span.end);
        };
        const name = spanOf('syscall');
        if (name) {
          this.table = {
            nameColumn: name.start,
            callsColumn: spanOf('calls'),
            mode: this.tableMode,
            closing: false,
          };
          return true;
        }
      }
      this.unreadable(header.line, header.text);
    }
    const table = this.table;
    if (table) {
      if (DASHES.test(line)) {
        table.closing = true;
        return true;
      }
      if (table.closing) {
        this.table = undefined;
        this.tableMode = undefined;
        return true; // the total row
      }
      const name = /^(\S+)/.exec(line.slice(table.nameColumn))?.[1];
      const span = table.callsColumn;
      // A name longer than its column shifts the columns after it: then the number after it.
      const calls =
        (span ? /^\s*(\d+)\s*$/.exec(line.slice(span.start, span.end)) : null) ??
        (span && span.start > table.nameColumn
          ? /^\S+\s+(\d+)/.exec(line.slice(table.nameColumn))
          : null);
      if (name && /^[a-z_][a-z0-9_]*(?:#64)?$/.test(name)) {
        this.sink.counted({
          name,
          mode: table.mode,
          calls: calls ? Number(calls[1]) : 0,
          at: this.at(),
        });
      } else {
        this.unreadable(this.lineNumber, line);
      }
      return true;
    }
    const mode = TABLE_MODE.exec(line);
    if (mode) {
      this.tableMode = mode[1] as StraceMode;
      return true;
    }
    if (isTableHeader(line)) {
      this.pendingHeader = { text: line, line: this.lineNumber };
      return true;
    }
    return false;
  }

  private modeOf(pid: number | undefined): StraceMode | undefined {
    return this.modes.get(pid);
  }

  private record(line: string, last: boolean): void {
    const parsed = parseStraceLine(line, this.filePid);
    switch (parsed.kind) {
      case 'call': {
        if (parsed.pid !== undefined && line.startsWith('[pid')) this.prefixedPids.add(parsed.pid);
        const call: OpenCall = {
          name: parsed.name,
          number: parsed.number,
          mode: this.modeOf(parsed.pid),
          args: parsed.rest,
          at: this.at(),
        };
        if (isUnfinished(parsed.rest)) {
          // A thread has one call open at a time; a second one means the first never ended.
          const previous = this.open.get(parsed.pid);
          if (previous) this.emit(parsed.pid, previous, undefined, previous.at.line, false);
          this.open.set(parsed.pid, call);
          return;
        }
        const result = callResult(parsed.rest);
        this.emit(parsed.pid, call, result, this.lineNumber, last && result === undefined);
        return;
      }
      case 'resumed': {
        // On stderr the first process gets its "[pid N]" prefix only once a second one exists,
        // so a call it left open without a pid may be resumed with one.
        const key = this.open.get(parsed.pid)?.name === parsed.name ? parsed.pid : undefined;
        const opened = this.open.get(key);
        if (opened && opened.name === parsed.name) {
          this.open.delete(key);
          opened.args = `${opened.args.replace(/ ?<unfinished \.\.\.>$/, '')}${parsed.rest}`;
          const result = callResult(parsed.rest);
          this.emit(parsed.pid, opened, result, this.lineNumber, last && result === undefined);
          return;
        }
        // Resumed with no start in this file (strace attached mid-call): the call still counts.
        const call: OpenCall = {
          name: parsed.name,
          number: parsed.number,
          mode: this.modeOf(parsed.pid),
          args: parsed.rest,
          at: this.at(),
        };
        this.emit(parsed.pid, call, callResult(parsed.rest), this.lineNumber, false);
        return;
      }
      case 'mode':
        this.modes.set(parsed.pid, parsed.mode);
        // Lines without a pid belong to the process strace started with, which gets no
        // "[pid N]" prefix on stderr: it is the one whose pid never appeared as a prefix.
        if (!this.prefixedPids.has(parsed.pid)) this.modes.set(undefined, parsed.mode);
        return;
      case 'signal':
      case 'exit':
      case 'message':
      case 'stack-frame':
      case 'blank':
        return;
      case 'unreadable':
        this.unreadable(this.lineNumber, line);
        return;
    }
  }

  private emit(
    pid: number | undefined,
    call: OpenCall,
    result: string | undefined,
    endLine: number,
    truncated: boolean,
  ): void {
    this.sink.call({
      pid,
      name: call.name,
      number: call.number,
      mode: call.mode,
      args: call.args,
      result,
      at: call.at,
      endLine,
      truncated,
    });
  }
}
