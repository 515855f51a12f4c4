// The Security Profiles Operator's SeccompProfile resource for a profile: the operator writes
// it on every node as /var/lib/kubelet/seccomp/operator/<namespace>/<name>.json, which pods
// then name as `localhostProfile: operator/<namespace>/<name>.json`. Its spec has no
// defaultErrnoRet: SCMP_ACT_ERRNO without one is EPERM, as in the profiles we write.

import { stringify } from 'yaml';
import type { AllowlistProfile } from './seccomp-profile.ts';

export const SPO_API_VERSION = 'security-profiles-operator.x-k8s.io/v1beta1';

/** DNS subdomain names, as Kubernetes requires of object names and namespaces. */
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** Why `name` / `namespace` cannot name the resource, or undefined. */
export function invalidResourceName(name: string, namespace: string): string | undefined {
  if (name.length > 253 || !DNS_SUBDOMAIN.test(name)) {
    return `--name ${JSON.stringify(name)} is not a Kubernetes object name (lower-case letters, digits, '-' and '.')`;
  }
  if (namespace.length > 63 || !DNS_LABEL.test(namespace)) {
    return `--namespace ${JSON.stringify(namespace)} is not a Kubernetes namespace name`;
  }
  return undefined;
}

export function spoLocalhostProfile(name: string, namespace: string): string {
  return `operator/${namespace}/${name.endsWith('.json') ? name : `${name}.json`}`;
}

export function renderSeccompProfileResource(
  profile: AllowlistProfile,
  name: string,
  namespace: string,
): string {
  const resource = {
    apiVersion: SPO_API_VERSION,
    kind: 'SeccompProfile',
    metadata: { name, namespace },
    spec: {
      defaultAction: profile.defaultAction,
      architectures: profile.architectures,
      syscalls: profile.syscalls.map((rule) => ({ action: rule.action, names: rule.names })),
    },
  };
  const localhost = spoLocalhostProfile(name, namespace);
  return (
    `# Pods in ${namespace} use it with:\n` +
    `#   securityContext: { seccompProfile: { type: Localhost, localhostProfile: ${localhost} } }\n` +
    stringify(resource)
  );
}

/** The spec of a SeccompProfile resource, for reading one back (merge, diff). */
export function seccompProfileResourceSpec(value: unknown): unknown {
  if (
    typeof value === 'object' &&
    value !== null &&
    (value as { kind?: unknown }).kind === 'SeccompProfile'
  ) {
    return (value as { spec?: unknown }).spec;
  }
  return undefined;
}
