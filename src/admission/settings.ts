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
