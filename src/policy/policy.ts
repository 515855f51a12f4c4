/**
 * The compiled policy: what the checks and mutations read. The configuration module builds it
 * from the YAML file (src/config); tests build it with {@link compilePolicy} defaults.
 */
import type { ProfileMatcher } from './profile-glob.ts';

export type Mode = 'enforce' | 'warn' | 'audit';
export type Preset = 'baseline' | 'restricted';

export type RuleId =
  | 'seccompRequired'
  | 'seccompUnconfined'
  | 'seccompLocalhostAllowlist'
  | 'capabilitiesAdded'
  | 'capabilitiesDropAll'
  | 'privileged'
  | 'appArmor';

/** Rules in the order their violations are listed for one container. */
export const RULE_ORDER: readonly RuleId[] = [
  'privileged',
  'seccompUnconfined',
  'seccompRequired',
  'seccompLocalhostAllowlist',
  'capabilitiesAdded',
  'capabilitiesDropAll',
  'appArmor',
];

export type DefaultSeccompProfile =
  { type: 'RuntimeDefault' } | { type: 'Localhost'; localhostProfile: string };

export interface PodTemplateLocation {
  /** Path from the object root to the PodTemplateSpec (holding `metadata` and `spec`). */
  templatePath: readonly string[];
}

export interface Policy {
  preset: Preset;
  mode: Mode;
  rules: {
    seccompRequired: boolean;
    seccompUnconfined: boolean;
    /** Empty `patterns` means any Localhost profile is allowed. */
    seccompLocalhostAllowlist: {
      enabled: boolean;
      patterns: readonly string[];
      matchers: readonly ProfileMatcher[];
    };
    capabilitiesAdded: { enabled: boolean; allowed: ReadonlySet<string> };
    capabilitiesDropAll: boolean;
    privileged: boolean;
    appArmor: boolean;
  };
  mutation: {
    enabled: boolean;
    legacySeccompAnnotations: { enabled: boolean; removeAnnotations: boolean };
    legacyAppArmorAnnotations: { enabled: boolean; removeAnnotations: boolean };
    defaultSeccompProfile: { enabled: boolean; profile: DefaultSeccompProfile };
    dropCapabilities: { enabled: boolean; drop: readonly string[] };
  };
  exemptions: {
    namespaces: ReadonlySet<string>;
    usernames: ReadonlySet<string>;
    runtimeClassNames: ReadonlySet<string>;
  };
  /** Extra kinds that carry a pod template, keyed `group/Kind` (core group: `/Kind`). */
  extraKinds: ReadonlyMap<string, PodTemplateLocation>;
}
