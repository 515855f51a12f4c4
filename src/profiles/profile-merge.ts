// Merging allowlist profiles (replicas, several test runs, several architectures) into one
// that allows what any of them allows. Only allowlists in the form from-strace writes are
// merged: a rule with arguments or another action has meaning a union would change.

import {
  buildAllowlistProfile,
  EPERM,
  isUnconditionalAllow,
  ProfileError,
  unknownNames,
  type AllowlistProfile,
  type SeccompProfile,
} from './seccomp-profile.ts';
import { SECCOMP_ARCHITECTURES, type SeccompArch } from './syscall-tables.ts';

export interface NamedProfile {
  source: string;
  profile: SeccompProfile;
}

export function mergeProfiles(inputs: readonly NamedProfile[]): AllowlistProfile {
  if (inputs.length === 0) throw new ProfileError('no profile to merge');
  const names = new Set<string>();
  const architectures: SeccompArch[] = [];
  let errno: { value: number; source: string } | undefined;
  for (const { source, profile } of inputs) {
    if (profile.defaultAction !== 'SCMP_ACT_ERRNO') {
      throw new ProfileError(
        `${source}: default action ${profile.defaultAction}; merge joins allowlists (default SCMP_ACT_ERRNO)`,
      );
    }
    const value = profile.defaultErrnoRet ?? EPERM;
    if (errno && errno.value !== value) {
      throw new ProfileError(
        `${source}: defaultErrnoRet ${value} differs from ${errno.source}'s ${errno.value}`,
      );
    }
    errno ??= { value, source };
    (profile.syscalls ?? []).forEach((rule, index) => {
      if (!isUnconditionalAllow(rule)) {
        throw new ProfileError(
          `${source}: syscalls[${index}] (${rule.action}${rule.args?.length ? ' with args' : ''} for ${rule.names.join(', ')}) is not a plain allow rule; merge joins allowlists as from-strace writes them`,
        );
      }
      for (const name of rule.names) names.add(name);
    });
    const unknown = unknownNames(profile);
    if (unknown.length > 0) {
      throw new ProfileError(
        `${source}: not a syscall of its architectures: ${unknown.join(', ')}`,
      );
    }
    for (const arch of profile.architectures ?? []) {
      if (!architectures.includes(arch as SeccompArch)) architectures.push(arch as SeccompArch);
    }
  }
  const merged = buildAllowlistProfile(names, architectures);
  if (errno) merged.defaultErrnoRet = errno.value;
  if (merged.architectures.length === 0) merged.architectures = [SECCOMP_ARCHITECTURES.x86_64];
  return merged;
}
