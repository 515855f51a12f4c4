/**
 * Exemptions: who or what is allowed unevaluated. One function for the webhook, the scan and the
 * in-cluster audit, so a workload the webhook lets through unjudged is reported as exempt, not as
 * a violation nobody will ever be asked to fix.
 */

export interface Exemptions {
  namespaces: ReadonlySet<string>;
  usernames: ReadonlySet<string>;
  runtimeClassNames: ReadonlySet<string>;
}

export interface ExemptionSubject {
  namespace?: string | undefined;
  /** The requesting user; a scan has none. */
  username?: string | undefined;
  runtimeClassName?: string | undefined;
}

/** Why `subject` is exempt, as a phrase for the audit annotation and reports; undefined when not. */
export function exemptionReason(
  subject: ExemptionSubject,
  exemptions: Exemptions,
): string | undefined {
  const { namespace, username, runtimeClassName } = subject;
  if (namespace && exemptions.namespaces.has(namespace))
    return `namespace "${namespace}" is exempt`;
  if (username && exemptions.usernames.has(username)) return `user "${username}" is exempt`;
  if (runtimeClassName && exemptions.runtimeClassNames.has(runtimeClassName))
    return `runtimeClassName "${runtimeClassName}" is exempt`;
  return undefined;
}
