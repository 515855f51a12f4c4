import { readFile } from 'node:fs/promises';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import type { z } from 'zod';
import {
  BASELINE_ALLOWED_CAPABILITIES,
  parseCapabilityName,
  RESTRICTED_ALLOWED_CAPABILITIES,
} from '../policy/capabilities.ts';
import type { Policy, PodTemplateLocation } from '../policy/policy.ts';
import { compileProfileGlob } from '../policy/profile-glob.ts';
import { configSchema, type Config } from './schema.ts';
import type { ServerSettings } from './server-schema.ts';

export interface RuntimeGuardConfig {
  policy: Policy;
  server: ServerSettings;
}

export class ConfigError extends Error {
  constructor(source: string, problems: readonly string[]) {
    super(`invalid configuration in ${source}:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

function formatIssuePath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path)
    out += typeof key === 'number' ? `[${key}]` : out ? `.${String(key)}` : String(key);
  return out || '(top level)';
}

function describeIssues(issues: readonly z.core.$ZodIssue[], input: unknown): string[] {
  return issues.map((issue) => {
    let value: unknown = input;
    for (const key of issue.path)
      value = (value as Record<PropertyKey, unknown> | undefined)?.[key as string];
    const shown = issue.code === 'custom' && typeof value === 'string' ? `"${value}" ` : '';
    return `${formatIssuePath(issue.path)}: ${shown}${issue.message}`;
  });
}

/** Validates a parsed configuration object and turns it into the policy the checks read. */
export function configFromObject(input: unknown, source = 'the configuration'): RuntimeGuardConfig {
  const result = configSchema.safeParse(input ?? {});
  if (!result.success) throw new ConfigError(source, describeIssues(result.error.issues, input));
  return { policy: compilePolicy(result.data), server: result.data.server };
}

export function policyFromConfig(input: unknown, source = 'the configuration'): Policy {
  return configFromObject(input, source).policy;
}

export function parseConfigText(text: string, source: string): RuntimeGuardConfig {
  let parsed: unknown;
  try {
    parsed = parseYaml(text);
  } catch (error) {
    const detail = error instanceof YAMLParseError ? error.message : String(error);
    throw new ConfigError(source, [`not valid YAML: ${detail}`]);
  }
  if (
    parsed !== null &&
    parsed !== undefined &&
    (typeof parsed !== 'object' || Array.isArray(parsed))
  ) {
    throw new ConfigError(source, ['(top level): expected a mapping of options']);
  }
  return configFromObject(parsed, source);
}

export async function loadConfigFile(path: string): Promise<RuntimeGuardConfig> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new ConfigError(path, [
      `cannot be read: ${(error as NodeJS.ErrnoException).code ?? String(error)}`,
    ]);
  }
  return parseConfigText(text, path);
}

export function compilePolicy(config: Config): Policy {
  const restricted = config.preset === 'restricted';
  const allowed =
    config.rules.capabilitiesAdded.allowed ??
    (restricted ? RESTRICTED_ALLOWED_CAPABILITIES : BASELINE_ALLOWED_CAPABILITIES);
  const drop = config.mutation.dropCapabilities.drop ?? (restricted ? ['ALL'] : []);
  const patterns = config.rules.seccompLocalhostAllowlist.profiles;
  const extraKinds = new Map<string, PodTemplateLocation>();
  for (const extra of config.extraKinds) {
    extraKinds.set(`${extra.group}/${extra.kind}`, {
      templatePath: extra.podTemplatePath.split('.'),
    });
  }
  return {
    preset: config.preset,
    mode: config.mode,
    rules: {
      seccompRequired: config.rules.seccompRequired.enabled,
      seccompUnconfined: config.rules.seccompUnconfined.enabled,
      seccompLocalhostAllowlist: {
        enabled: config.rules.seccompLocalhostAllowlist.enabled,
        patterns,
        matchers: patterns.map(compileProfileGlob),
      },
      capabilitiesAdded: {
        enabled: config.rules.capabilitiesAdded.enabled,
        allowed: new Set(allowed.map((name) => parseCapabilityName(name).canonical)),
      },
      capabilitiesDropAll: config.rules.capabilitiesDropAll.enabled ?? restricted,
      privileged: config.rules.privileged.enabled,
      appArmor: config.rules.appArmor.enabled,
    },
    mutation: {
      enabled: config.mutation.enabled,
      legacySeccompAnnotations: config.mutation.legacySeccompAnnotations,
      legacyAppArmorAnnotations: config.mutation.legacyAppArmorAnnotations,
      defaultSeccompProfile: config.mutation.defaultSeccompProfile,
      // Written as Kubernetes spells them: the drop list is compared verbatim by the drop-ALL rule.
      dropCapabilities: {
        enabled: config.mutation.dropCapabilities.enabled,
        drop: drop.map((n) => parseCapabilityName(n).canonical),
      },
    },
    exemptions: {
      namespaces: new Set(config.exemptions.namespaces),
      usernames: new Set(config.exemptions.usernames),
      runtimeClassNames: new Set(config.exemptions.runtimeClassNames),
    },
    extraKinds,
  };
}

/** The policy with no configuration file: baseline, enforce. */
export function defaultPolicy(overrides: Record<string, unknown> = {}): Policy {
  return policyFromConfig(overrides);
}
