// Runs the helm built by scripts/k8s/build-tools.sh against charts/runtime-guard, and reads
// what it renders. The chart tests share it; none of them needs a cluster except
// chart-apply.test.ts, which uses test/e2e/control-plane.ts.

import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ObjectMeta } from 'kubernetes-types/meta/v1.js';
import { parseAllDocuments } from 'yaml';
import { buildScriptEnv, ensureBuilt, runProgram, type RunResult } from '../build-scripts.ts';

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

export type { RunResult } from '../build-scripts.ts';

export function run(
  command: string,
  args: readonly string[],
  options: { input?: string; env?: Record<string, string> } = {},
): Promise<RunResult> {
  return runProgram(command, args, { ...options, cwd: REPO_ROOT });
}

export interface Tools {
  helm: string;
  kubeconform: string;
}

async function toolPaths(): Promise<Tools> {
  const env = await buildScriptEnv(BUILD_TOOLS);
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
    await ensureBuilt(BUILD_TOOLS, [paths.helm, paths.kubeconform], {
      log: (line) => process.stderr.write(`[chart tests] ${line}\n`),
    });
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
