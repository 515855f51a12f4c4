// One line of strace output, classified. strace writes one record per line (it escapes the
// newlines of the strings it prints), in every output form:
//
//   [pid 123] | 123 (with -f; -o puts the pid on every line, stderr only once others exist;
//                    -Y adds <comm>; -ff puts no pid, the file name carries it)
//   04:53:35 | 04:53:35.123456 | 1796187215.123456 | 0.000123     (-t, -tt, -ttt, -r)
//   [  13]                                                        (-n, the syscall number)
//   [00007f9c1f0c5a4b]                                            (-i, instruction pointer)
//   then one of:
//   read(3</etc/passwd>, "..."..., 4096) = 4096 <0.000012>        (a call: -y/-yy, -T)
//   wait4(-1, <unfinished ...>          <... wait4 resumed>...) = 123
//   --- SIGCHLD {...} ---               +++ exited with 0 +++
//   [ Process PID=123 runs in 32 bit mode. ]                      (on stderr only)
//   strace: Process 123 attached        (on stderr only, at times in the middle of a line)
//   the -c / -C count table
//
// This module knows only the grammar of a line; pairing unfinished calls with their resumption,
// the count tables and the per-process mode are the reader's (strace-reader.ts).

/** How strace names a process's syscall mode: "runs in 32 bit mode". */
export type StraceMode = '64 bit' | '32 bit' | 'x32';

export type StraceLine =
  | {
      kind: 'call';
      pid: number | undefined;
      name: string;
      /** The syscall number printed by -n. */
      number: number | undefined;
      /** Everything after "name(". */
      rest: string;
    }
  | {
      kind: 'resumed';
      pid: number | undefined;
      name: string;
      number: number | undefined;
      rest: string;
    }
  | { kind: 'signal'; pid: number | undefined; text: string }
  | { kind: 'exit'; pid: number | undefined; text: string }
  | { kind: 'mode'; pid: number; mode: StraceMode }
  | { kind: 'message'; text: string }
  | { kind: 'stack-frame' }
  | { kind: 'blank' }
  | { kind: 'unreadable' };

const PID_BRACKETED = /^\[pid +(\d+)(?:<[^>]*>)?\] /;
const PID_PLAIN = /^(\d+)(?:<[^>]*>)? +/;
// -t (hh:mm:ss), -tt (hh:mm:ss.usec), -ttt (epoch.usec), -r (relative, right-aligned). --timestamps
// with ns precision has more digits; the same patterns cover it.
const TIMESTAMP = /^ *(?:\d{2}:\d{2}:\d{2}(?:\.\d+)?|\d+\.\d+) +/;
// -n prints the number space-padded, -i prints the address zero-padded to 8 or 16 hex digits
// (question marks on the exit line of a process, which has no address left).
const SYSCALL_NUMBER = /^\[ *(0|[1-9]\d{0,9})\] +/;
const INSTRUCTION_POINTER = /^\[(?:[0-9a-f]{16}|[0-9a-f]{8}|\?{16}|\?{8})\] +/;
// A name as strace prints it: lower-case identifiers, "syscall_0x1c4" for numbers it does not
// know, "rt_sigaction#64" for an x32 process calling a 64-bit-only number.
const CALL = /^([a-z_][a-z0-9_]*(?:#64)?)\((.*)$/s;
const RESUMED = /^<\.\.\. ([a-z_][a-z0-9_]*(?:#64)?) resumed>(.*)$/s;
const MODE = /^\[ Process PID=(\d+) runs in (64 bit|32 bit|x32) mode\. \]$/;

/** What precedes the record: the pid and the -n number (timestamps and -i are dropped). */
interface Prefix {
  pid: number | undefined;
  number: number | undefined;
  body: string;
}

function stripPrefix(line: string): Prefix {
  let body = line;
  let pid: number | undefined;
  let match = PID_BRACKETED.exec(body);
  if (match) {
    pid = Number(match[1]);
    body = body.slice(match[0].length);
  } else {
    // "123 " is a pid (-f -o) unless it is followed by nothing strace prints after a pid;
    // a bare "1796187215.1" is a -ttt timestamp, which PID_PLAIN cannot match (the dot).
    match = PID_PLAIN.exec(body);
    if (match) {
      pid = Number(match[1]);
      body = body.slice(match[0].length);
    }
  }
  match = TIMESTAMP.exec(body);
  if (match) body = body.slice(match[0].length);
  let number: number | undefined;
  match = SYSCALL_NUMBER.exec(body);
  if (match) {
    number = Number(match[1]);
    body = body.slice(match[0].length);
  }
  match = INSTRUCTION_POINTER.exec(body);
  if (match) body = body.slice(match[0].length);
  return { pid, number, body };
}

/** Classifies one line (without its newline). `filePid` is the pid an -ff file name gives. */
export function parseStraceLine(line: string, filePid?: number): StraceLine {
  if (line.trim() === '') return { kind: 'blank' };
  const mode = MODE.exec(line);
  if (mode) return { kind: 'mode', pid: Number(mode[1]), mode: mode[2] as StraceMode };
  if (line.startsWith('strace: ')) return { kind: 'message', text: line };
  if (line.startsWith(' > ')) return { kind: 'stack-frame' };
  const prefix = stripPrefix(line);
  const pid = prefix.pid ?? filePid;
  const body = prefix.body;
  if (body.startsWith('--- ') && body.endsWith(' ---')) return { kind: 'signal', pid, text: body };
  if (body.startsWith('+++ ') && body.endsWith(' +++')) return { kind: 'exit', pid, text: body };
  let match = RESUMED.exec(body);
  if (match) {
    return {
      kind: 'resumed',
      pid,
      name: match[1] as string,
      number: prefix.number,
      rest: match[2] as string,
    };
  }
  match = CALL.exec(body);
  if (match) {
    return {
      kind: 'call',
      pid,
      name: match[1] as string,
      number: prefix.number,
      rest: match[2] as string,
    };
  }
  return { kind: 'unreadable' };
}

const ATTACHED_INSIDE = /^(.+?)(strace: Process \d+ attached)$/;

/**
 * strace on stderr prints "strace: Process N attached" when a new process appears, even in
 * the middle of the line of the call that created it; the call goes on on the next line.
 * Returns the part before the message, or undefined when the line is not such a line.
 */
export function splitAttachMessage(line: string): string | undefined {
  return ATTACHED_INSIDE.exec(line)?.[1];
}

/** The text after the last ") = " of a finished call (strace pads before "="): "0", "?", … */
export function callResult(rest: string): string | undefined {
  const withoutDuration = rest.replace(/ <\d+\.\d+>$/, '');
  let end: number | undefined;
  for (const match of withoutDuration.matchAll(/\) +=(?= |$)/g))
    end = match.index + match[0].length;
  return end === undefined ? undefined : withoutDuration.slice(end).trim();
}

/** A successful result's number, in strace's pid namespace when it printed both. */
export function resultNumber(result: string | undefined): number | undefined {
  if (result === undefined) return undefined;
  const translated = /^\d+ \/\* (\d+) in strace's PID NS \*\//.exec(result);
  if (translated) return Number(translated[1]);
  const plain = /^(-?\d+)(?:<[^>]*>)?(?: |$)/.exec(result);
  return plain ? Number(plain[1]) : undefined;
}

/** `unfinished`: the call is left open, to be resumed on a later line. */
export function isUnfinished(rest: string): boolean {
  return / ?<unfinished \.\.\.>$/.test(rest.replace(/ <\d+\.\d+>$/, ''));
}
