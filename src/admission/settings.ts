/**
 * What admission does with the policy's verdict, and on what: the mode, the exemptions and the
 * custom kinds that carry pods. Read by the webhook and, with the same meaning, by the scan.
 */
import type { Exemptions } from '../workloads/exemption.ts';
import type { ExtraKinds } from '../workloads/kinds.ts';
import type { Policy } from '../policy/policy.ts';

/** What a violation does: deny, allow with kubectl warnings, or only record it. */
export type Mode = 'enforce' | 'warn' | 'audit';

/** A namespace's mode may also be `off`: not judged at all. */
export type NamespaceMode = Mode | 'off';

/** The namespace label that sets its mode, read alike by the webhook, the scan, audit and check. */
export const NAMESPACE_MODE_LABEL = 'runtime-guard.io/mode';
export const NAMESPACE_MODES: readonly string[] = ['enforce', 'warn', 'audit', 'off'];

export function isNamespaceMode(value: unknown): value is NamespaceMode {
  return typeof value === 'string' && NAMESPACE_MODES.includes(value);
}

export interface AdmissionSettings {
  mode: Mode;
  exemptions: Exemptions;
  extraKinds: ExtraKinds;
}

/** All that one review reads: the policy core and the admission settings. */
export interface ReviewConfig {
  policy: Policy;
  admission: AdmissionSettings;
}
