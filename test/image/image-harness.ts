// What the image tests share: whether this machine can build and run the image (and what to do
// when it cannot), building it with scripts/image/build.sh, and the chart's pod as rendered.

import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Deployment } from 'kubernetes-types/apps/v1.js';
import type { ConfigMap, Container, PodSpec } from 'kubernetes-types/core/v1.js';
import { parseAllDocuments } from 'yaml';
import { buildScriptEnv, runProgram } from '../build-scripts.ts';
import { helmTemplate, REPO_ROOT, single, type Manifest } from '../chart/helm.ts';

const BUILD_SCRIPT = join(REPO_ROOT, 'scripts', 'image', 'build.sh');
const INSTALL_SCRIPT = 'scripts/image/install-tools.sh';
/** The profile CRI-O and podman apply as RuntimeDefault (Debian's containers-common). */
export const RUNTIME_DEFAULT_PROFILE = '/usr/share/containers/seccomp.json';

/** A cold build assembles the base images and runs `npm ci` in the build stage. */
export const IMAGE_BUILD_TIMEOUT_MS = 20 * 60_000;

async function onPath(command: string): Promise<boolean> {
  return (await runProgram('/bin/sh', ['-c', `command -v ${command}`])).code === 0;
}

/** Why the image cannot be built and run here, or undefined when it can. */
async function missingTools(): Promise<string | undefined> {
  const missing: string[] = [];
  for (const tool of ['buildah', 'runc', 'umoci', 'nsenter', 'dpkg-deb', 'apt-get']) {
    if (!(await onPath(tool))) missing.push(tool);
  }
  if (!existsSync(RUNTIME_DEFAULT_PROFILE)) missing.push(RUNTIME_DEFAULT_PROFILE);
  if (missing.length > 0) return `missing ${missing.join(', ')} (run ${INSTALL_SCRIPT})`;
  if (process.getuid?.() !== 0) return 'runc needs root here (no rootless setup)';
  return undefined;
}

/**
 * `false` when the image tests can run; otherwise a skip message. Under CI a missing tool is an
 * error instead: CI installs them (.ci/run), so a skip there would hide a broken setup.
 */
export async function imageTestsSkip(): Promise<false | string> {
  if (process.env['RUNTIME_GUARD_E2E'] === '0') {
    return 'image tests skipped: RUNTIME_GUARD_E2E=0 (they build the image and render the chart with helm)';
  }
  const reason = await missingTools();
  if (reason === undefined) return false;
  if (process.env['CI']) throw new Error(`image tests cannot run under CI: ${reason}`);
  return `image tests skipped: ${reason}`;
}

export interface BuiltImage {
  archive: string;
  ref: string;
}

/** Builds the image (a no-op when nothing changed) and says where its archive is. */
export async function buildImage(): Promise<BuiltImage> {
  const child = spawn('bash', [BUILD_SCRIPT], { stdio: ['ignore', 'inherit', 'inherit'] });
  const [code] = (await once(child, 'exit')) as [number | null];
  if (code !== 0) throw new Error(`scripts/image/build.sh failed with exit code ${String(code)}`);
  const env = await buildScriptEnv(BUILD_SCRIPT);
  const archive = env.get('IMAGE_ARCHIVE');
  const ref = env.get('IMAGE_REF');
  if (!archive || !ref) throw new Error('unexpected output of scripts/image/build.sh --print-env');
  return { archive, ref };
}

export interface RenderedChart {
  objects: Manifest[];
  pod: PodSpec;
  container: Container;
  /** config.yaml of the chart's ConfigMap. */
  configYaml: string;
  /** dnsNames of the serving certificate the chart asks cert-manager for. */
  dnsNames: string[];
}

/** The chart with its defaults, but namespace modes off: there is no cluster to watch here. */
export async function renderChart(): Promise<RenderedChart> {
  const text = await helmTemplate(['--set', 'config.server.namespaceModes.enabled=false']);
  // YAML 1.1, as kubectl reads it: `defaultMode: 0440` is octal there, 440 in YAML 1.2.
  const objects: Manifest[] = parseAllDocuments(text, { version: '1.1' })
    .map((document) => document.toJS() as Manifest | null)
    .filter((object): object is Manifest => object !== null);
  const deployment = single<Deployment>(objects, 'Deployment');
  const pod = deployment.spec?.template.spec;
  const container = pod?.containers.find((c) => c.name === 'runtime-guard');
  if (!pod || !container) throw new Error('the Deployment has no runtime-guard container');
  const configYaml = single<ConfigMap>(objects, 'ConfigMap').data?.['config.yaml'];
  if (!configYaml) throw new Error('the ConfigMap has no config.yaml');
  // The Certificate that fills the Secret the pod mounts.
  const secretName = pod.volumes
    ?.flatMap((volume) => volume.projected?.sources ?? [])
    .find((source) => source.secret)?.secret?.name;
  const certificate = objects.find(
    (o) =>
      o.kind === 'Certificate' && (o['spec'] as { secretName?: string }).secretName === secretName,
  ) as { spec: { dnsNames?: string[] } } | undefined;
  const dnsNames = certificate?.spec.dnsNames;
  if (!dnsNames?.length) throw new Error(`no Certificate with dnsNames for Secret ${secretName}`);
  return { objects, pod, container, configYaml, dnsNames };
}
