/**
 * The compiled policy core: the rules and the mutation, all that the checks and mutation steps
 * read. What admission does with a result (mode, exemptions, which kinds carry pods) is the
 * admission settings' (src/admission/settings.ts). The configuration module builds both from the
 * YAML file (src/config).
 */
import type { ProfileMatcher } from './profile-glob.ts';

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

export interface Policy {
  preset: Preset;
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
}
