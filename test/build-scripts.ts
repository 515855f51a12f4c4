// What the e2e and chart tests share about the programs scripts/k8s builds: asking a build
// script where its outputs go (`--print-env`), running it when one is missing, and running a
// program for its output.

import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { access, constants as fsConstants } from 'node:fs/promises';
import { basename } from 'node:path';

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a program to its end; a non-zero exit is a result, only a failure to start throws. */
export function runProgram(
  command: string,
  args: readonly string[],
  options: { input?: string; env?: Record<string, string>; cwd?: string } = {},
): Promise<RunResult> {
  return new Promise((resolvePromise, reject) => {
    const child = execFile(
      command,
      args,
      {
        maxBuffer: 64 * 1024 * 1024,
        encoding: 'utf8',
        ...(options.cwd ? { cwd: options.cwd } : {}),
        env: { ...process.env, ...options.env },
      },
      (error, stdout, stderr) => {
        if (error && typeof error.code !== 'number') {
          reject(error);
          return;
        }
        resolvePromise({ code: error ? Number(error.code) : 0, stdout, stderr });
      },
    );
    child.stdin?.end(options.input);
  });
}

export async function isExecutable(path: string): Promise<boolean> {
  try {
    await access(path, fsConstants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The NAME=path lines a build script prints with --print-env (values are `printf %q`). */
export async function buildScriptEnv(script: string): Promise<Map<string, string>> {
  const result = await runProgram('bash', [script, '--print-env']);
  if (result.code !== 0) throw new Error(`${script} --print-env failed: ${result.stderr}`);
  const env = new Map<string, string>();
  for (const line of result.stdout.split('\n')) {
    const eq = line.indexOf('=');
    // Plain paths only need the backslashes of %q removed.
    if (eq > 0) env.set(line.slice(0, eq), line.slice(eq + 1).replace(/\\(.)/g, '$1'));
  }
  return env;
}

/** Runs the build script when one of the paths is missing (unless `build` is false); throws if one still is. */
export async function ensureBuilt(
  script: string,
  paths: readonly string[],
  options: { build?: boolean; log?: (line: string) => void } = {},
): Promise<void> {
  const missing = async () => {
    const absent: string[] = [];
    for (const path of paths) if (!(await isExecutable(path))) absent.push(path);
    return absent;
  };
  let absent = await missing();
  if (absent.length > 0 && options.build !== false) {
    options.log?.(
      `missing ${absent.join(', ')}: running ${basename(script)} (slow the first time)`,
    );
    const child = spawn('bash', [script], { stdio: ['ignore', 'inherit', 'inherit'] });
    const [code] = (await once(child, 'exit')) as [number | null];
    if (code !== 0) throw new Error(`${basename(script)} failed with exit code ${String(code)}`);
    absent = await missing();
  }
  if (absent.length > 0) {
    throw new Error(`missing ${absent.join(', ')} (run ${script})`);
  }
}
