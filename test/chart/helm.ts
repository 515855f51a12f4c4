// Runs the helm built by scripts/k8s/build-tools.sh against charts/runtime-guard, and reads
// what it renders. The chart tests share it; none of them needs a cluster except
// chart-apply.test.ts, which uses test/e2e/control-plane.ts.

import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { access, constants as fsConstants } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ObjectMeta } from 'kubernetes-types/meta/v1.js';
import { parseAllDocuments } from 'yaml';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const CHART = join(REPO_ROOT, 'charts', 'runtime-guard');
const BUILD_TOOLS = join(REPO_ROOT, 'scripts', 'k8s', 'build-tools.sh');

/** Release name and namespace of the end-to-end tests' contract. */
export const RELEASE = 'rg';
export const NAMESPACE = 'runtime-guard';

export const enabled = process.env['RUNTIME_GUARD_E2E'] !== '0';
export const skip = enabled
  ? false
  : 'chart tests skipped: RUNTIME_GUARD_E2E=0 (they need helm, built from the Go module proxy by scripts/k8s/build-tools.sh)';

/** The first build compiles helm (about 2 minutes on 2 cores with an empty Go cache). */
export const BUILD_TIMEOUT_MS = 20 * 60_000;

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function run(
  command: string,
  args: readonly string[],
  options: { input?: string; env?: Record<string, string> } = {},
): Promise<RunResult> {
  return new Promise((resolvePromise, reject) => {
    const child = execFile(
      command,
      args,
      {
        maxBuffer: 64 * 1024 * 1024,
        encoding: 'utf8',
        cwd: REPO_ROOT,
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

export interface Tools {
  helm: string;
  kubeconform: string;
}

async function isExecutable(path: string): Promise<boolean> {
  try {
    await access(path, fsConstants.X_OK);
    return true;
  } catch {
    return false;
  }
}

async function toolPaths(): Promise<Tools> {
  const result = await run('bash', [BUILD_TOOLS, '--print-env']);
  if (result.code !== 0) throw new Error(`${BUILD_TOOLS} --print-env failed: ${result.stderr}`);
  const env = new Map<string, string>();
  for (const line of result.stdout.split('\n')) {
    const eq = line.indexOf('=');
    // printf %q output; plain paths only need backslashes removed.
    if (eq > 0) env.set(line.slice(0, eq), line.slice(eq + 1).replace(/\\(.)/g, '$1'));
  }
  const helm = env.get('HELM');
  const kubeconform = env.get('KUBECONFORM');
  if (!helm || !kubeconform) throw new Error(`unexpected output of ${BUILD_TOOLS} --print-env`);
  return { helm, kubeconform };
}

let tools: Promise<Tools> | undefined;

/** Paths of helm and kubeconform, built first when missing (slow once, then cached). */
export function ensureTools(): Promise<Tools> {
  tools ??= (async () => {
    const paths = await toolPaths();
    if (!(await isExecutable(paths.helm)) || !(await isExecutable(paths.kubeconform))) {
      process.stderr.write('[chart tests] helm/kubeconform missing: running build-tools.sh\n');
      const child = spawn('bash', [BUILD_TOOLS], { stdio: ['ignore', 'inherit', 'inherit'] });
      const [code] = (await once(child, 'exit')) as [number | null];
      if (code !== 0) throw new Error(`build-tools.sh failed with exit code ${String(code)}`);
    }
    return paths;
  })();
  return tools;
}

export async function helm(args: readonly string[]): Promise<RunResult> {
  const { helm: bin } = await ensureTools();
  return run(bin, args);
}

/** `helm template rg charts/runtime-guard --namespace runtime-guard ARGS`; throws on failure. */
export async function helmTemplate(args: readonly string[] = []): Promise<string> {
  const result = await helm(['template', RELEASE, CHART, '--namespace', NAMESPACE, ...args]);
  if (result.code !== 0)
    throw new Error(`helm template ${args.join(' ')} failed:\n${result.stderr}`);
  return result.stdout;
}

/** The error message of a `helm template` that must fail. */
export async function helmTemplateError(args: readonly string[]): Promise<string> {
  const result = await helm(['template', RELEASE, CHART, '--namespace', NAMESPACE, ...args]);
  if (result.code === 0) throw new Error(`helm template ${args.join(' ')} succeeded`);
  return result.stderr;
}

export interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta & { name: string };
  [field: string]: unknown;
}

/** The objects of a multi-document YAML stream, without empty documents. */
export function parseManifests(text: string): Manifest[] {
  const objects: Manifest[] = [];
  for (const document of parseAllDocuments(text)) {
    if (document.errors.length > 0) throw new Error(`invalid YAML: ${document.errors[0]?.message}`);
    const value: unknown = document.toJS();
    if (value !== null && value !== undefined) objects.push(value as Manifest);
  }
  return objects;
}

/** The one object of this kind (and name); fails when there is none or several. */
export function single<T>(objects: readonly Manifest[], kind: string, name?: string): T {
  const found = objects.filter(
    (o) => o.kind === kind && (name === undefined || o.metadata.name === name),
  );
  if (found.length !== 1) {
    throw new Error(`expected one ${kind}${name ? ` ${name}` : ''}, found ${found.length}`);
  }
  return found[0] as T;
}

/** A base64 PEM bundle that passes the chart's check (not a usable certificate). */
export const FAKE_CA_BUNDLE = Buffer.from(
  '-----BEGIN CERTIFICATE-----\nMIIBfake\n-----END CERTIFICATE-----\n',
).toString('base64');
