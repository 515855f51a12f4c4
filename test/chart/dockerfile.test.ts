// These checks read the Dockerfile, so they run on every machine: what it copies and omits must
// be enough to run `serve`, and it must agree with the chart and with `npm start`.
// test/image/ builds the image and runs it with runc as the chart runs the pod.

import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { builtinModules } from 'node:module';
import { join, relative } from 'node:path';
import { describe, test } from 'node:test';
import { parse as parseYaml } from 'yaml';
import { CHART, REPO_ROOT } from './helm.ts';

async function read(path: string): Promise<string> {
  return readFile(join(REPO_ROOT, path), 'utf8');
}

/** Instructions of the final stage, e.g. [['USER', '65532:65532'], ...]. */
function finalStage(dockerfile: string): [string, string][] {
  const lines = dockerfile.replace(/\\\n/g, ' ').split('\n');
  const stages: [string, string][][] = [];
  for (const line of lines) {
    const match = /^\s*([A-Z]+)\s+(.*)$/.exec(line);
    if (!match) continue;
    const [, instruction = '', rest = ''] = match;
    if (instruction === 'FROM') stages.push([]);
    stages.at(-1)?.push([instruction, rest.trim()]);
  }
  return stages.at(-1) ?? [];
}

async function sourceFiles(directory: string): Promise<string[]> {
  const entries = await readdir(join(REPO_ROOT, directory), { recursive: true });
  return entries.filter((name) => /\.(ts|js)$/.test(name)).map((name) => join(directory, name));
}

/**
 * Packages a module loads: `import type` is erased, every other static import runs when the
 * module loads; `import()` only when that code path runs.
 */
function runtimeImports(source: string): { loaded: string[]; onDemand: string[] } {
  const collect = (...patterns: RegExp[]) =>
    patterns
      .flatMap((pattern) => [...source.matchAll(pattern)].map((match) => match[1] ?? ''))
      .filter((specifier) => !specifier.startsWith('.'));
  return {
    loaded: collect(
      /^\s*(?:import|export)\s+(?!type\s)[^;]*?\bfrom\s+'([^']+)'/gms,
      /^\s*import\s+'([^']+)'/gm,
    ),
    onDemand: collect(/\bimport\(\s*'([^']+)'\s*\)/g),
  };
}

function packageName(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : (parts[0] ?? specifier);
}

describe('Dockerfile', () => {
  test('runs bin/runtime-guard.js serve as a numeric non-root user on 8443', async () => {
    const stage = finalStage(await read('Dockerfile'));
    const value = (instruction: string): string | undefined =>
      stage.findLast(([name]) => name === instruction)?.[1];
    const entrypoint = JSON.parse(value('ENTRYPOINT') ?? 'null') as string[];
    // Distroless has Node.js there, and no `node` on the PATH.
    assert.equal(entrypoint[0], '/nodejs/bin/node');
    assert.equal(entrypoint.at(-1), 'bin/runtime-guard.js');
    assert.deepEqual(JSON.parse(value('CMD') ?? 'null'), ['serve']);
    assert.equal(value('EXPOSE'), '8443');
    const user = value('USER') ?? '';
    assert.match(user, /^[1-9][0-9]*(:[0-9]+)?$/, 'numeric, so runAsNonRoot can be verified');

    const values = parseYaml(await readFile(join(CHART, 'values.yaml'), 'utf8')) as {
      podSecurityContext: { runAsUser: number; runAsGroup: number };
    };
    assert.equal(
      `${values.podSecurityContext.runAsUser}:${values.podSecurityContext.runAsGroup}`,
      user,
      'the chart runs the image as its own user',
    );
  });

  test('the image and npm start give Node.js the same flags', async () => {
    const stage = finalStage(await read('Dockerfile'));
    const entrypoint = JSON.parse(
      stage.findLast(([name]) => name === 'ENTRYPOINT')?.[1] ?? 'null',
    ) as string[];
    const imageFlags = entrypoint.slice(1, -1);
    assert.ok(imageFlags.includes('--max-semi-space-size=8'), 'the young generation is capped');
    const start = (JSON.parse(await read('package.json')) as { scripts: { start: string } }).scripts
      .start;
    assert.deepEqual(start.split(' '), ['node', ...imageFlags, 'src/cli/main.ts', 'serve']);
  });

  test('copies what bin/runtime-guard.js needs, and the build context has it', async () => {
    const dockerfile = await read('Dockerfile');
    const copied = finalStage(dockerfile)
      .filter(([name, rest]) => name === 'COPY' && !rest.startsWith('--from'))
      .flatMap(([, rest]) => rest.split(/\s+/).slice(0, -1));
    for (const path of ['package.json', 'package-lock.json', 'bin', 'src']) {
      assert.ok(copied.includes(path), `COPY ${path}`);
    }
    assert.match(dockerfile, /npm ci --omit=dev/);
    assert.match(dockerfile, /^ARG BUILD_IMAGE=node:24-slim$/m);
    assert.match(dockerfile, /^ARG RUNTIME_IMAGE=gcr\.io\/distroless\/nodejs24-debian12:nonroot$/m);
    assert.match(dockerfile, /^FROM \$\{BUILD_IMAGE\} AS deps$/m);
    assert.match(dockerfile, /^FROM \$\{RUNTIME_IMAGE\}$/m);
    assert.deepEqual(
      finalStage(dockerfile).filter(([name]) => name === 'RUN'),
      [],
      'the final stage runs nothing: its base has no shell',
    );

    const ignored = (await read('.dockerignore'))
      .split('\n')
      .filter((l) => l && !l.startsWith('#'));
    assert.equal(ignored[0], '*', 'everything is left out unless listed');
    for (const path of ['package.json', 'package-lock.json', 'bin', 'src']) {
      assert.ok(ignored.includes(`!${path}`), `.dockerignore lets ${path} in`);
    }
  });

  // A dev dependency behind import() is a development-only path (the scan report's schema
  // generator loads prettier); the image test runs the commands the image is for.
  test('src/ and bin/ load only production dependencies (the image omits the others)', async () => {
    const manifest = JSON.parse(await read('package.json')) as {
      dependencies: Record<string, string>;
      devDependencies: Record<string, string>;
    };
    const production = new Set(Object.keys(manifest.dependencies));
    const declared = new Set([...production, ...Object.keys(manifest.devDependencies)]);
    const builtins = new Set(builtinModules);
    const offenders: string[] = [];
    for (const file of [...(await sourceFiles('src')), ...(await sourceFiles('bin'))]) {
      const { loaded, onDemand } = runtimeImports(await read(file));
      const check = (specifier: string, allowed: Set<string>) => {
        const name = packageName(specifier);
        if (specifier.startsWith('node:') || builtins.has(name) || allowed.has(name)) return;
        offenders.push(`${relative('.', file)}: ${specifier}`);
      };
      for (const specifier of loaded) check(specifier, production);
      for (const specifier of onDemand) check(specifier, declared);
    }
    assert.deepEqual(offenders, [], 'move these to dependencies, or import them as types only');
  });
});
