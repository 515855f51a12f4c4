// The chart's config.yaml is the project's configuration file: the loader the server runs
// must accept what the chart renders, and the chart's values schema must offer exactly the
// options of src/config/schema.ts.

import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { ConfigMap } from 'kubernetes-types/core/v1.js';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { z } from 'zod';
import {
  configFromObject,
  parseConfigText,
  type RuntimeGuardConfig,
} from '../../src/config/load-config.ts';
import { configSchema } from '../../src/config/schema.ts';
import {
  BUILD_TIMEOUT_MS,
  CHART,
  ensureTools,
  helmTemplate,
  NAMESPACE,
  parseManifests,
  single,
  skip,
} from './helm.ts';

async function renderedConfig(
  args: string[] = [],
): Promise<{ text: string; config: RuntimeGuardConfig }> {
  const configMap = single<ConfigMap>(
    parseManifests(await helmTemplate([...args, '--show-only', 'templates/configmap.yaml'])),
    'ConfigMap',
  );
  const text = configMap.data?.['config.yaml'];
  assert.ok(text, 'the ConfigMap holds config.yaml');
  return { text, config: parseConfigText(text, 'the chart’s config.yaml') };
}

type JsonSchema = {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  items?: JsonSchema;
  oneOf?: JsonSchema[];
  anyOf?: JsonSchema[];
  enum?: unknown[];
  additionalProperties?: boolean | JsonSchema;
};

/** The option names a JSON schema allows, as a tree: `{rules: {privileged: {enabled: {}}}}`. */
function keyTree(schema: JsonSchema | undefined): Record<string, unknown> {
  if (!schema) return {};
  const tree: Record<string, unknown> = {};
  for (const member of [...(schema.oneOf ?? []), ...(schema.anyOf ?? [])]) {
    Object.assign(tree, keyTree(member));
  }
  for (const [key, child] of Object.entries(schema.properties ?? {})) tree[key] = keyTree(child);
  if (schema.items) tree['[]'] = keyTree(schema.items);
  return tree;
}

describe('helm chart: config.yaml', { timeout: BUILD_TIMEOUT_MS }, () => {
  let dir = '';
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'runtime-guard-chart-'));
    if (!skip) await ensureTools();
  });
  after(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  test(
    'the defaults load: baseline, enforce, the mounted certificate, namespace modes',
    { skip },
    async () => {
      const { config } = await renderedConfig();
      assert.equal(config.policy.preset, 'baseline');
      assert.equal(config.admission.mode, 'enforce');
      assert.deepEqual([...config.admission.exemptions.namespaces], [NAMESPACE, 'kube-system']);
      assert.deepEqual(config.server.tls, {
        certFile: '/etc/runtime-guard/tls/tls.crt',
        keyFile: '/etc/runtime-guard/tls/tls.key',
      });
      assert.equal(config.server.port, 8443);
      assert.equal(config.server.host, '0.0.0.0');
      assert.equal(config.server.namespaceModes.enabled, true);
      // The chart's values are the server's own defaults.
      const serverDefaults = configFromObject({}).server;
      assert.equal(config.server.bodyLimitBytes, serverDefaults.bodyLimitBytes);
      assert.equal(config.server.maxBytesInFlight, serverDefaults.maxBytesInFlight);
      assert.equal(config.server.maxConnections, serverDefaults.maxConnections);
      assert.deepEqual(config.server.shutdown, { drainSeconds: 5, timeoutSeconds: 20 });
      // Only what the loader would take as given: no rule is switched by the chart itself.
      const loaderDefaults = parseConfigText(
        `exemptions: { namespaces: [${NAMESPACE}, kube-system] }\n`,
        'the loader defaults',
      );
      assert.deepEqual(config.policy, loaderDefaults.policy);
      assert.deepEqual(config.admission, loaderDefaults.admission);
    },
  );

  test('every policy option passes through to the file', { skip }, async () => {
    const values = {
      config: {
        preset: 'restricted',
        mode: 'warn',
        rules: {
          seccompLocalhostAllowlist: { profiles: ['profiles/*.json'] },
          capabilitiesAdded: { allowed: ['NET_BIND_SERVICE', 'cap_net_raw'] },
          capabilitiesDropAll: { enabled: false },
          appArmor: { enabled: false },
        },
        mutation: {
          legacyAppArmorAnnotations: { enabled: true },
          defaultSeccompProfile: {
            profile: { type: 'Localhost', localhostProfile: 'default.json' },
          },
          dropCapabilities: { drop: ['NET_RAW'] },
        },
        exemptions: {
          namespaces: ['monitoring', NAMESPACE],
          usernames: ['system:serviceaccount:ci:deployer'],
          runtimeClassNames: ['gvisor'],
        },
        extraKinds: [
          {
            group: 'argoproj.io',
            kind: 'Rollout',
            resource: 'rollouts',
            podTemplatePath: 'spec.template',
          },
        ],
        server: {
          host: '::',
          bodyLimitBytes: 4194304,
          namespaceModes: { enabled: false },
          shutdown: { drainSeconds: 3, timeoutSeconds: 10 },
        },
      },
    };
    const file = join(dir, 'values.yaml');
    await writeFile(file, stringifyYaml(values));
    const { text, config } = await renderedConfig(['-f', file]);
    const { policy, admission, server } = config;
    assert.equal(policy.preset, 'restricted');
    assert.equal(admission.mode, 'warn');
    assert.deepEqual(policy.rules.seccompLocalhostAllowlist.patterns, ['profiles/*.json']);
    assert.deepEqual([...policy.rules.capabilitiesAdded.allowed], ['NET_BIND_SERVICE', 'NET_RAW']);
    assert.equal(policy.rules.capabilitiesDropAll, false);
    assert.equal(policy.rules.appArmor, false);
    assert.equal(policy.mutation.legacyAppArmorAnnotations.enabled, true);
    assert.deepEqual(policy.mutation.defaultSeccompProfile.profile, {
      type: 'Localhost',
      localhostProfile: 'default.json',
    });
    assert.deepEqual(policy.mutation.dropCapabilities.drop, ['NET_RAW']);
    assert.deepEqual([...admission.exemptions.namespaces], [NAMESPACE, 'monitoring']);
    assert.deepEqual([...admission.exemptions.usernames], ['system:serviceaccount:ci:deployer']);
    assert.deepEqual([...admission.exemptions.runtimeClassNames], ['gvisor']);
    assert.deepEqual(
      [...admission.extraKinds.entries()],
      [['argoproj.io/Rollout', { templatePath: ['spec', 'template'] }]],
    );
    assert.equal(server.host, '::');
    assert.equal(server.bodyLimitBytes, 4194304);
    assert.equal(server.namespaceModes.enabled, false);
    assert.deepEqual(server.shutdown, { drainSeconds: 3, timeoutSeconds: 10 });
    assert.ok(!/resource:/.test(text), 'the webhook-only field stays out of config.yaml');
  });

  test('a large body limit stays an integer', { skip }, async () => {
    const { text, config } = await renderedConfig([
      '--set',
      'config.server.bodyLimitBytes=33554432',
    ]);
    assert.match(text, /bodyLimitBytes: 33554432\n/);
    assert.equal(config.server.bodyLimitBytes, 33554432);
  });

  test('values.schema.json offers exactly the options of src/config/schema.ts', async () => {
    const chart = JSON.parse(
      await readFile(join(CHART, 'values.schema.json'), 'utf8'),
    ) as JsonSchema;
    const values = chart.properties?.['config'];
    const project = z.toJSONSchema(configSchema, {
      io: 'input',
      unrepresentable: 'any',
    }) as JsonSchema;
    const chartKeys = keyTree(values);
    const projectKeys = keyTree(project);

    assert.deepEqual(Object.keys(chartKeys).sort(), Object.keys(projectKeys).sort());
    for (const section of ['rules', 'mutation', 'exemptions']) {
      assert.deepEqual(chartKeys[section], projectKeys[section], `config.${section}`);
    }
    for (const field of ['preset', 'mode'] as const) {
      assert.deepEqual(values?.properties?.[field]?.enum, project.properties?.[field]?.enum, field);
    }
    // extraKinds: the project's fields, plus what the webhook rules need.
    const chartKind = (chartKeys['extraKinds'] as Record<string, object>)['[]'] ?? {};
    const projectKind = (projectKeys['extraKinds'] as Record<string, object>)['[]'] ?? {};
    assert.deepEqual(
      Object.keys(chartKind).sort(),
      [...Object.keys(projectKind), 'resource', 'apiVersions'].sort(),
    );
    // server: the project's options, less the TLS files and the port the chart sets itself.
    const chartServer = chartKeys['server'] as Record<string, unknown>;
    const projectServer = { ...(projectKeys['server'] as Record<string, unknown>) };
    delete projectServer['tls'];
    delete projectServer['port'];
    assert.deepEqual(chartServer, projectServer);
  });

  test('the chart README documents every value, and no value that is not there', async () => {
    const values = parseYaml(await readFile(join(CHART, 'values.yaml'), 'utf8')) as unknown;
    const readme = await readFile(join(CHART, 'README.md'), 'utf8');
    const documented = [...readme.matchAll(/^\| `([A-Za-z0-9.]+)` \|/gm)].map((m) => m[1] ?? '');
    const paths = new Set<string>();
    const leaves: string[] = [];
    const walk = (value: unknown, path: string): void => {
      if (path) paths.add(path);
      const isMap = typeof value === 'object' && value !== null && !Array.isArray(value);
      if (isMap && Object.keys(value).length > 0) {
        for (const [key, child] of Object.entries(value))
          walk(child, path ? `${path}.${key}` : key);
      } else {
        leaves.push(path);
      }
    };
    walk(values, '');
    for (const key of documented)
      assert.ok(paths.has(key), `README documents ${key}, not in values.yaml`);
    for (const leaf of leaves) {
      assert.ok(
        documented.some((key) => leaf === key || leaf.startsWith(`${key}.`)),
        `values.yaml ${leaf} has no row in the README's values table`,
      );
    }
  });
});
