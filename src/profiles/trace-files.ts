// Reading trace files (the I/O edge of the profile commands): a file, an `strace -ff -o PREFIX`
// set given by its prefix (PREFIX.<pid> files) or a directory of such files. Lines are streamed
// into a StraceReader, so a trace of any size is read in bounded memory; a line longer than
// MAX_LINE_BYTES (strace -s with a huge limit) is cut there, which keeps its syscall name.
// Files ending in .gz are decompressed on the way.

import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { createGunzip } from 'node:zlib';
import { StraceReader, type TraceSink } from './strace-reader.ts';

export const MAX_LINE_BYTES = 1024 * 1024;

export class TraceInputError extends Error {}

export interface TraceFile {
  path: string;
  /** The pid an -ff file name carries (PREFIX.<pid>). */
  pid: number | undefined;
}

const FF_SUFFIX = /\.(\d+)(?:\.gz)?$/;

function traceFile(path: string): TraceFile {
  const pid = FF_SUFFIX.exec(path)?.[1];
  return { path, pid: pid === undefined ? undefined : Number(pid) };
}

function byPid(a: TraceFile, b: TraceFile): number {
  return (a.pid ?? 0) - (b.pid ?? 0) || a.path.localeCompare(b.path);
}

/** The files a command-line argument names; throws TraceInputError when there are none. */
export async function expandTraceArgument(argument: string): Promise<TraceFile[]> {
  let info;
  try {
    info = await stat(argument);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new TraceInputError(
        `cannot read ${argument}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`,
      );
    }
    // strace -ff -o PREFIX writes PREFIX.<pid>: the prefix names the set.
    const directory = dirname(argument);
    const prefix = `${basename(argument)}.`;
    let entries: string[] = [];
    try {
      entries = await readdir(directory);
    } catch {
      // reported below
    }
    const set = entries
      .filter((name) => name.startsWith(prefix) && /^\d+$/.test(name.slice(prefix.length)))
      .map((name) => traceFile(join(directory, name)));
    if (set.length === 0) {
      throw new TraceInputError(
        `cannot read ${argument}: no such file (nor ${argument}.<pid> files of strace -ff)`,
      );
    }
    return set.sort(byPid);
  }
  if (info.isDirectory()) {
    const names = (await readdir(argument)).sort();
    const files: TraceFile[] = [];
    for (const name of names) {
      const path = join(argument, name);
      if ((await stat(path)).isFile()) files.push(traceFile(path));
    }
    if (files.length === 0)
      throw new TraceInputError(`cannot read ${argument}: an empty directory`);
    return files.sort(byPid);
  }
  return [traceFile(argument)];
}

/** Streams one file into a new StraceReader feeding `sink`. */
export async function readTraceFile(file: TraceFile, sink: TraceSink): Promise<void> {
  const reader = new StraceReader(file.path, sink, file.pid);
  const decoder = new StringDecoder('utf8');
  let pending = '';
  let skipping = false;
  try {
    const bytes = createReadStream(file.path);
    // Traces compress tenfold; a .gz file is read through gunzip.
    const input = file.path.endsWith('.gz') ? bytes.pipe(createGunzip()) : bytes;
    bytes.on('error', (error) => input.destroy(error));
    for await (const chunk of input) {
      pending += decoder.write(chunk as Buffer);
      let start = 0;
      let newline = pending.indexOf('\n');
      while (newline >= 0) {
        if (skipping) skipping = false;
        else reader.line(pending.slice(start, newline));
        start = newline + 1;
        newline = pending.indexOf('\n', start);
      }
      pending = pending.slice(start);
      if (!skipping && pending.length > MAX_LINE_BYTES) {
        reader.line(pending.slice(0, MAX_LINE_BYTES));
        skipping = true;
      }
      if (skipping) pending = '';
    }
  } catch (error) {
    throw new TraceInputError(
      `cannot read ${file.path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`,
    );
  }
  pending += decoder.end();
  if (pending !== '' && !skipping) reader.line(pending, true);
  reader.end();
}
