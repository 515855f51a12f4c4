import { readFile } from 'node:fs/promises';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import type { z } from 'zod';
import {
  BASELINE_ALLOWED_CAPABILITIES,
  parseCapabilityName,
  RESTRICTED_ALLOWED_CAPABILITIES,
} from '../policy/capabilities.ts';
import type { AdmissionSettings, ReviewConfig } from '../admission/settings.ts';
import { formatFieldPath } from '../json/field-path.ts';
import type { Policy } from '../policy/policy.ts';
import { compileProfileGlob } from '../policy/profile-glob.ts';
import { kindKey, type PodTemplateLocation } from '../workloads/kinds.ts';
import { configSchema, type Config } from './schema.ts';
import type { ServerSettings } from './server-schema.ts';

/** The whole configuration file, compiled: the policy core, the admission settings, the server's. */
export interface RuntimeGuardConfig extends ReviewConfig {
  server: ServerSettings;
}

export class ConfigError extends Error {
  constructor(source: string, problems: readonly string[]) {
    super(`invalid configuration in ${source}:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

function formatIssuePath(path: readonly PropertyKey[]): string {
  return (
    formatFieldPath(path.map((key) => (typeof key === 'number' ? key : String(key)))) ||
    '(top level)'
  );
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

/** Validates a parsed configuration object and compiles it. */
export function configFromObject(input: unknown, source = 'the configuration'): RuntimeGuardConfig {
  const result = configSchema.safeParse(input ?? {});
  if (!result.success) throw new ConfigError(source, describeIssues(result.error.issues, input));
  return {
    policy: compilePolicy(result.data),
    admission: compileAdmissionSettings(result.data),
    server: result.data.server,
  };
}

/** What a review reads, from a parsed configuration object (tests, benchmarks). */
export function reviewConfigFromObject(input: unknown, source = 'the configuration'): ReviewConfig {
  const { policy, admission } = configFromObject(input, source);
  return { policy, admission };
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

/** The configuration file's text; a file that cannot be read is a {@link ConfigError}. */
export async function readConfigFile(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    throw new ConfigError(path, [
      `cannot be read: ${(error as NodeJS.ErrnoException).code ?? String(error)}`,
    ]);
  }
}

export async function loadConfigFile(path: string): Promise<RuntimeGuardConfig> {
  return parseConfigText(await readConfigFile(path), path);
}

export function compilePolicy(config: Config): Policy {
  const restricted = config.preset === 'restricted';
  const allowed =
    config.rules.capabilitiesAdded.allowed ??
    (restricted ? RESTRICTED_ALLOWED_CAPABILITIES : BASELINE_ALLOWED_CAPABILITIES);
  const drop = config.mutation.dropCapabilities.drop ?? (restricted ? ['ALL'] : []);
  const patterns = config.rules.seccompLocalhostAllowlist.profiles;
  return {
    preset: config.preset,
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
  };
}

export function compileAdmissionSettings(config: Config): AdmissionSettings {
  const extraKinds = new Map<string, PodTemplateLocation>();
  for (const extra of config.extraKinds) {
    extraKinds.set(kindKey(extra), {
      templatePath: extra.podTemplatePath.split('.'),
    });
  }
  return {
    mode: config.mode,
    exemptions: {
      namespaces: new Set(config.exemptions.namespaces),
      usernames: new Set(config.exemptions.usernames),
      runtimeClassNames: new Set(config.exemptions.runtimeClassNames),
    },
    extraKinds,
  };
}

/** What a review reads with no configuration file (baseline, enforce), or with these options. */
export function defaultReviewConfig(overrides: Record<string, unknown> = {}): ReviewConfig {
  return reviewConfigFromObject(overrides);
}
