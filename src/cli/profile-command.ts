import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { machine, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { parse as parseYaml } from 'yaml';
import {
  crossArchWarnings,
  generateProfile,
  reportFindings,
  type GenerateOptions,
} from '../profiles/generate-profile.ts';
import { describeSync, syncProfiles, watchProfiles } from '../profiles/install-profiles.ts';
import { diffProfiles } from '../profiles/profile-diff.ts';
import { mergeProfiles } from '../profiles/profile-merge.ts';
import { RUNTIMES, type Runtime } from '../profiles/runtime-calls.ts';
import { RUNTIME_DEFAULT, runtimeDefaultDescription } from '../profiles/runtime-default.ts';
import {
  parseSeccompProfile,
  ProfileError,
  renderProfileJson,
  type AllowlistProfile,
  type SeccompProfile,
} from '../profiles/seccomp-profile.ts';
import {
  invalidResourceName,
  renderSeccompProfileResource,
  seccompProfileResourceSpec,
} from '../profiles/spo.ts';
import { TRACE_ARCHITECTURES, tablesSource, type TraceArch } from '../profiles/syscall-tables.ts';
import { expandTraceArgument, readTraceFile, TraceInputError } from '../profiles/trace-files.ts';
import { emptyReport, reportSink, type TraceReport } from '../profiles/trace-syscalls.ts';

const GENERATE_OPTIONS = `  --arch LIST             architectures of the profile, the traced one first (x86_64, aarch64;
                          default: this machine's)
  --runtime NAME          runc or crun: add only that runtime's calls (default: both)
  --no-new-privileges     the pods set allowPrivilegeEscalation: false (fewer runtime calls);
                          without it the profile works either way
  --format oci|spo        OCI profile JSON (default) or a Security Profiles Operator SeccompProfile
  --name NAME             the profile's name: the SeccompProfile's, or the file name the chart
                          delivers (runtime-guard/NAME.json)
  --namespace NS          the SeccompProfile's namespace (default: default)
  --allow-unreadable      go on when some lines are no strace output (they are still reported)
  --out FILE              write the profile to FILE instead of standard output`;

export const PROFILE_USAGE = `usage: runtime-guard profile <command> [options]
  from-strace TRACE... [options]     a profile from strace output (-f, -ff sets, -c tables, …)
  record [options] -- COMMAND ARGS   run COMMAND under strace -f, then make its profile
  merge PROFILE... [--format oci|spo] [--name NAME] [--namespace NS] [--out FILE]
  diff PROFILE [--against runtime-default|FILE] [--json]
  install --from DIR --to DIR [--watch]   copy valid profiles into a seccomp directory (what
                                     the chart's DaemonSet runs on every node)
options of from-strace and record:
${GENERATE_OPTIONS}
  --trace FILE            (record) keep the trace in FILE
A TRACE is a file (.gz read as such), a directory of strace -ff files, or the -o PREFIX of an
-ff set. Syscall names are checked against the ${tablesSource()}.
Exit codes: 0 done, 2 unusable input; diff exits 1 when the profile allows a call the other
refuses.`;

class UsageError extends Error {}

const generateArgs = {
  arch: { type: 'string' },
  runtime: { type: 'string', multiple: true },
  'no-new-privileges': { type: 'boolean', default: false },
  format: { type: 'string', default: 'oci' },
  name: { type: 'string' },
  namespace: { type: 'string', default: 'default' },
  'allow-unreadable': { type: 'boolean', default: false },
  out: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies ParseArgsConfig['options'];

function parse<T extends NonNullable<ParseArgsConfig['options']>>(argv: string[], options: T) {
  try {
    return parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

function traceArches(value: string | undefined): TraceArch[] {
  if (value === undefined) {
    const here = machine();
    if ((TRACE_ARCHITECTURES as readonly string[]).includes(here)) return [here as TraceArch];
    throw new UsageError(`this machine is ${here}: name the traces' architecture with --arch`);
  }
  const arches = value.split(',').map((a) => a.trim());
  for (const arch of arches) {
    if (!(TRACE_ARCHITECTURES as readonly string[]).includes(arch)) {
      throw new UsageError(`--arch ${arch}: expected ${TRACE_ARCHITECTURES.join(' or ')}`);
    }
  }
  return [...new Set(arches)] as TraceArch[];
}

function runtimes(values: string[] | undefined): Runtime[] {
  if (values === undefined) return [...RUNTIMES];
  const names = values.flatMap((v) => v.split(',')).map((v) => v.trim());
  for (const name of names) {
    if (!(RUNTIMES as readonly string[]).includes(name)) {
      throw new UsageError(`--runtime ${name}: expected ${RUNTIMES.join(' or ')}`);
    }
  }
  return [...new Set(names)] as Runtime[];
}

interface OutputOptions {
  format: 'oci' | 'spo';
  name: string | undefined;
  namespace: string;
  out: string | undefined;
}

function outputOptions(values: {
  format?: string;
  name?: string;
  namespace?: string;
  out?: string;
}): OutputOptions {
  const format = values.format ?? 'oci';
  if (format !== 'oci' && format !== 'spo') {
    throw new UsageError(`--format ${format}: expected oci or spo`);
  }
  const namespace = values.namespace ?? 'default';
  if (format === 'spo') {
    if (!values.name) throw new UsageError('--format spo needs --name (the SeccompProfile name)');
    const invalid = invalidResourceName(values.name, namespace);
    if (invalid) throw new UsageError(invalid);
  } else if (values.name !== undefined && !/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(values.name)) {
    throw new UsageError(
      `--name ${JSON.stringify(values.name)}: a file name (letters, digits, '.', '_', '-')`,
    );
  }
  return { format, name: values.name, namespace, out: values.out };
}

async function writeProfile(profile: AllowlistProfile, output: OutputOptions): Promise<void> {
  const text =
    output.format === 'spo'
      ? renderSeccompProfileResource(profile, output.name as string, output.namespace)
      : renderProfileJson(profile);
  if (output.out) {
    try {
      await writeFile(output.out, text);
    } catch (error) {
      throw new TraceInputError(
        `cannot write ${output.out}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`,
      );
    }
  } else {
    process.stdout.write(text);
  }
  if (output.format === 'oci' && output.name) {
    const file = output.name.endsWith('.json') ? output.name : `${output.name}.json`;
    process.stderr.write(
      `profile: delivered by the chart (profiles.enabled) as runtime-guard/${file}; pods use ` +
        `seccompProfile: { type: Localhost, localhostProfile: runtime-guard/${file} }\n`,
    );
  }
}

async function readTraces(
  arguments_: readonly string[],
  traceArch: TraceArch,
): Promise<TraceReport> {
  const report = emptyReport(traceArch);
  const sink = reportSink(report);
  for (const argument of arguments_) {
    for (const file of await expandTraceArgument(argument)) await readTraceFile(file, sink);
  }
  return report;
}

/** Reports, generates and writes; returns the exit code. */
async function profileFromTraces(
  command: string,
  traces: readonly string[],
  options: GenerateOptions,
  output: OutputOptions,
): Promise<number> {
  const report = await readTraces(traces, options.arches[0] as TraceArch);
  const findings = reportFindings(report, options);
  for (const warning of [...findings.warnings, ...crossArchWarnings(report, options.arches)]) {
    process.stderr.write(`runtime-guard profile ${command}: warning: ${warning}\n`);
  }
  if (findings.errors.length > 0) {
    for (const error of findings.errors)
      process.stderr.write(`runtime-guard profile ${command}: ${error}\n`);
    return 2;
  }
  const { profile, runtimeNames } = generateProfile(report, options);
  const traced = new Set([...report.uses.values()].map((u) => u.name)).size;
  process.stderr.write(
    `runtime-guard profile ${command}: ${traced} syscalls from the traces, ${runtimeNames.length} more for ${options.runtimes.join(' and ')} before the entrypoint runs` +
      `${runtimeNames.length > 0 ? ` (${runtimeNames.join(', ')})` : ''}; architectures ${profile.architectures.join(', ')}\n`,
  );
  await writeProfile(profile, output);
  return 0;
}

function generateOptions(values: {
  arch?: string;
  runtime?: string[];
  'no-new-privileges'?: boolean;
  'allow-unreadable'?: boolean;
}): GenerateOptions {
  return {
    arches: traceArches(values.arch),
    runtimes: runtimes(values.runtime),
    noNewPrivileges: values['no-new-privileges'] ? true : undefined,
    allowUnreadable: values['allow-unreadable'] ?? false,
  };
}

async function fromStrace(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, generateArgs);
  if (values.help) {
    process.stdout.write(`${PROFILE_USAGE}\n`);
    return 0;
  }
  if (positionals.length === 0) throw new UsageError('from-strace needs at least one TRACE');
  return profileFromTraces(
    'from-strace',
    positionals,
    generateOptions(values),
    outputOptions(values),
  );
}

/** Runs strace -f on the command; the trace is complete when strace exits. */
async function runStrace(
  trace: string,
  command: readonly string[],
  toStderr: boolean,
): Promise<number> {
  // -n prints syscall numbers, which tell 32-bit and x32 calls apart in an -o file.
  const child = spawn('strace', ['-f', '-n', '-o', trace, '--', ...command], {
    stdio: ['inherit', toStderr ? process.stderr : 'inherit', 'inherit'],
  });
  // Ctrl-C reaches the traced program (same process group); we outlive it to write the profile.
  const ignore = () => {};
  process.on('SIGINT', ignore);
  process.on('SIGTERM', ignore);
  try {
    const [code, signal] = (await Promise.race([
      once(child, 'exit'),
      once(child, 'error').then(([error]) => {
        throw error;
      }),
    ])) as [number | null, NodeJS.Signals | null];
    return code ?? (signal ? 128 : 1);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new TraceInputError('strace is not installed (Debian: apt-get install strace)');
    }
    throw error;
  } finally {
    process.off('SIGINT', ignore);
    process.off('SIGTERM', ignore);
  }
}

async function record(argv: string[]): Promise<number> {
  const separator = argv.indexOf('--');
  const own = separator >= 0 ? argv.slice(0, separator) : argv;
  const command = separator >= 0 ? argv.slice(separator + 1) : [];
  const { values, positionals } = parse(own, { ...generateArgs, trace: { type: 'string' } });
  if (values.help) {
    process.stdout.write(`${PROFILE_USAGE}\n`);
    return 0;
  }
  if (positionals.length > 0) {
    throw new UsageError(`record: put the command after "--" (got ${positionals.join(' ')})`);
  }
  if (command.length === 0) throw new UsageError('record needs a command after "--"');
  const options = generateOptions(values);
  const output = outputOptions(values);
  const work = values.trace ? undefined : await mkdtemp(join(tmpdir(), 'runtime-guard-record-'));
  const trace = values.trace ?? join(work as string, 'trace');
  try {
    // Without --out the profile goes to standard output: the program's output goes to stderr.
    const code = await runStrace(trace, command, output.out === undefined);
    if (code !== 0) {
      process.stderr.write(
        `runtime-guard profile record: warning: strace ended with ${code} (the command failed, or was stopped); the profile covers what it did until then\n`,
      );
    }
    return await profileFromTraces('record', [trace], options, output);
  } finally {
    if (work) await rm(work, { recursive: true, force: true });
  }
}

async function readProfileFile(path: string): Promise<SeccompProfile> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new TraceInputError(
      `cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`,
    );
  }
  let value: unknown;
  try {
    value = parseYaml(text, { prettyErrors: true });
  } catch (error) {
    throw new ProfileError(`${path}: not JSON or YAML: ${(error as Error).message.split('\n')[0]}`);
  }
  return parseSeccompProfile(seccompProfileResourceSpec(value) ?? value, path);
}

async function merge(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, {
    format: generateArgs.format,
    name: generateArgs.name,
    namespace: generateArgs.namespace,
    out: generateArgs.out,
    help: generateArgs.help,
  });
  if (values.help) {
    process.stdout.write(`${PROFILE_USAGE}\n`);
    return 0;
  }
  if (positionals.length === 0) throw new UsageError('merge needs at least one PROFILE');
  const output = outputOptions(values);
  const inputs = [];
  for (const path of positionals)
    inputs.push({ source: path, profile: await readProfileFile(path) });
  const merged = mergeProfiles(inputs);
  process.stderr.write(
    `runtime-guard profile merge: ${inputs.length} profiles, ${merged.syscalls[0]?.names.length ?? 0} syscalls, architectures ${merged.architectures.join(', ')}\n`,
  );
  await writeProfile(merged, output);
  return 0;
}

function list(names: readonly string[]): string {
  return names.length > 0 ? names.join(', ') : '(none)';
}

async function diff(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, {
    against: { type: 'string', default: 'runtime-default' },
    json: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    process.stdout.write(`${PROFILE_USAGE}\n`);
    return 0;
  }
  if (positionals.length !== 1)
    throw new UsageError(`diff needs one PROFILE, got ${positionals.length}`);
  const profile = await readProfileFile(positionals[0] as string);
  const against = values.against ?? 'runtime-default';
  const base = against === 'runtime-default' ? RUNTIME_DEFAULT : await readProfileFile(against);
  const description = against === 'runtime-default' ? runtimeDefaultDescription() : against;
  const result = diffProfiles(profile, base);
  if (values.json) {
    process.stdout.write(`${JSON.stringify({ against: description, ...result }, null, 2)}\n`);
  } else {
    process.stdout.write(
      [
        `${positionals[0]} against ${description}:`,
        `allowed here, refused there (${result.beyond.length}): ${list(result.beyond)}`,
        `allowed here for any arguments, there only for some (${result.looser.length}): ${list(result.looser)}`,
        `allowed there, refused here (${result.below.length}): ${list(result.below)}`,
        ...(result.extraArchitectures.length > 0
          ? [`architectures only here: ${list(result.extraArchitectures)}`]
          : []),
      ].join('\n') + '\n',
    );
  }
  return result.beyond.length > 0 || result.looser.length > 0 ? 1 : 0;
}

async function install(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, {
    from: { type: 'string' },
    to: { type: 'string' },
    watch: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    process.stdout.write(`${PROFILE_USAGE}\n`);
    return 0;
  }
  if (!values.from || !values.to || positionals.length > 0) {
    throw new UsageError('install needs --from DIR and --to DIR, and nothing else');
  }
  const log = (line: string) => process.stderr.write(`runtime-guard profile install: ${line}\n`);
  for (const directory of [values.from, values.to]) {
    try {
      await readdir(directory);
    } catch (error) {
      throw new TraceInputError(
        `cannot read ${directory}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`,
      );
    }
  }
  if (values.watch) {
    const stop = new AbortController();
    const onSignal = () => stop.abort();
    process.once('SIGTERM', onSignal);
    process.once('SIGINT', onSignal);
    log(`watching ${values.from}, installing into ${values.to}`);
    await watchProfiles(values.from, values.to, { signal: stop.signal, log });
    log('stopped');
    return 0;
  }
  const result = await syncProfiles(values.from, values.to);
  for (const line of describeSync(result)) log(line);
  log(
    `${result.written.length} written, ${result.unchanged.length} unchanged, ${result.removed.length} removed, ${result.refused.length} refused`,
  );
  return result.refused.length > 0 ? 2 : 0;
}

/** Returns the exit code: 0 done, 1 (diff) wider than the other profile, 2 unusable input. */
export async function runProfile(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'from-strace':
        return await fromStrace(rest);
      case 'record':
        return await record(rest);
      case 'merge':
        return await merge(rest);
      case 'diff':
        return await diff(rest);
      case 'install':
        return await install(rest);
      case '-h':
      case '--help':
        process.stdout.write(`${PROFILE_USAGE}\n`);
        return 0;
      default:
        throw new UsageError(
          command === undefined ? 'missing command' : `unknown command "${command}"`,
        );
    }
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`runtime-guard profile: ${error.message}\n${PROFILE_USAGE}\n`);
      return 2;
    }
    if (error instanceof TraceInputError || error instanceof ProfileError) {
      process.stderr.write(`runtime-guard profile ${command}: ${error.message}\n`);
      return 2;
    }
    process.stderr.write(`runtime-guard profile ${command}: ${(error as Error).message}\n`);
    return 2;
  }
}
