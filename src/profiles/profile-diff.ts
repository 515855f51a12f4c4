// What a profile allows beyond or below another, by default containerd's RuntimeDefault: the
// calls a custom profile opens that the runtime's default refuses are the ones to review.

import { allowedCalls, profileArches, type SeccompProfile } from './seccomp-profile.ts';
import { SYSCALL_TABLES, type Arch } from './syscall-tables.ts';

export interface ProfileDiff {
  /** Allowed here, refused by the base. */
  beyond: string[];
  /** Allowed here for every argument, by the base only for some (clone, socket, personality…). */
  looser: string[];
  /** Allowed by the base (outright), refused here; only names of this profile's architectures. */
  below: string[];
  /** Architectures the profile covers that the base does not. */
  extraArchitectures: string[];
}

export function diffProfiles(profile: SeccompProfile, base: SeccompProfile): ProfileDiff {
  const mine = allowedCalls(profile);
  const theirs = allowedCalls(base);
  const allowedHere = new Set([...mine.always, ...mine.withArgs]);
  const allowedThere = new Set([...theirs.always, ...theirs.withArgs]);
  const arches: Arch[] = profileArches(profile);
  const tables = (arches.length > 0 ? arches : (['x86_64'] as Arch[])).map(
    (a) => SYSCALL_TABLES[a],
  );
  const sorted = (names: Iterable<string>) => [...names].sort();
  return {
    beyond: sorted([...allowedHere].filter((name) => !allowedThere.has(name))),
    looser: sorted([...mine.always].filter((name) => theirs.withArgs.has(name))),
    below: sorted(
      [...theirs.always].filter(
        (name) => !allowedHere.has(name) && tables.some((t) => t.byName.has(name)),
      ),
    ),
    extraArchitectures: (profile.architectures ?? []).filter(
      (arch) => !(base.architectures ?? []).includes(arch),
    ),
  };
}
