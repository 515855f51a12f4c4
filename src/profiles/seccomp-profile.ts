// Seccomp profiles in the OCI runtime spec's form (`linux.seccomp` of config.json, and the file
// a pod's `Localhost` profile names): what we write, and reading profiles back for merge and
// diff. We write only the fields container runtimes load: an allowlist with every other call
// refused with EPERM.

import { z } from 'zod';
import {
  archOfSeccomp,
  SECCOMP_ARCHITECTURES,
  SYSCALL_TABLES,
  type Arch,
  type SeccompArch,
} from './syscall-tables.ts';

/** The profiles we write. */
export interface AllowlistProfile {
  defaultAction: 'SCMP_ACT_ERRNO';
  defaultErrnoRet: number;
  architectures: SeccompArch[];
  syscalls: { names: string[]; action: 'SCMP_ACT_ALLOW' }[];
}

export const EPERM = 1;

const ACTIONS = [
  'SCMP_ACT_KILL',
  'SCMP_ACT_KILL_PROCESS',
  'SCMP_ACT_KILL_THREAD',
  'SCMP_ACT_TRAP',
  'SCMP_ACT_ERRNO',
  'SCMP_ACT_TRACE',
  'SCMP_ACT_ALLOW',
  'SCMP_ACT_LOG',
  'SCMP_ACT_NOTIFY',
] as const;

/** A profile as runtimes read it; extra fields (Docker's archMap, flags…) are kept, unjudged. */
export const seccompProfileSchema = z.looseObject({
  defaultAction: z.enum(ACTIONS),
  defaultErrnoRet: z.number().int().min(0).optional(),
  architectures: z.array(z.string()).optional(),
  syscalls: z
    .array(
      z.looseObject({
        names: z.array(z.string().min(1)).min(1),
        action: z.enum(ACTIONS),
        errnoRet: z.union([z.number().int(), z.string()]).optional(),
        args: z.array(z.unknown()).optional(),
      }),
    )
    .optional(),
});

export type SeccompProfile = z.infer<typeof seccompProfileSchema>;
export type SeccompRule = NonNullable<SeccompProfile['syscalls']>[number];

export class ProfileError extends Error {}

export function buildAllowlistProfile(
  names: Iterable<string>,
  architectures: Iterable<SeccompArch>,
): AllowlistProfile {
  return {
    defaultAction: 'SCMP_ACT_ERRNO',
    defaultErrnoRet: EPERM,
    architectures: [...new Set(architectures)],
    syscalls: [{ names: [...new Set(names)].sort(), action: 'SCMP_ACT_ALLOW' }],
  };
}

function describeIssue(issue: z.core.$ZodIssue): string {
  const path = issue.path.length > 0 ? issue.path.join('.') : '(top level)';
  return `${path}: ${issue.message}`;
}

/** Validates a parsed profile; `source` names it in errors. */
export function parseSeccompProfile(value: unknown, source: string): SeccompProfile {
  const result = seccompProfileSchema.safeParse(value);
  if (!result.success) {
    throw new ProfileError(
      `${source}: not a seccomp profile: ${result.error.issues.map(describeIssue).join('; ')}`,
    );
  }
  const profile = result.data;
  for (const arch of profile.architectures ?? []) {
    if (!archOfSeccomp(arch)) {
      throw new ProfileError(
        `${source}: architecture ${arch} is none of ${Object.values(SECCOMP_ARCHITECTURES).join(', ')}`,
      );
    }
  }
  return profile;
}

/** The architectures a profile names, ours; a profile naming none applies to the native one. */
export function profileArches(profile: SeccompProfile): Arch[] {
  return (profile.architectures ?? []).flatMap((value) => archOfSeccomp(value) ?? []);
}

/** Names that are a syscall in none of the profile's architectures (or none of ours). */
export function unknownNames(profile: SeccompProfile): string[] {
  const arches = profileArches(profile);
  const tables = (arches.length > 0 ? arches : (Object.keys(SYSCALL_TABLES) as Arch[])).map(
    (arch) => SYSCALL_TABLES[arch],
  );
  const unknown = new Set<string>();
  for (const rule of profile.syscalls ?? []) {
    for (const name of rule.names) if (!tables.some((t) => t.byName.has(name))) unknown.add(name);
  }
  return [...unknown].sort();
}

export function isUnconditionalAllow(rule: SeccompRule): boolean {
  return rule.action === 'SCMP_ACT_ALLOW' && (rule.args === undefined || rule.args.length === 0);
}

/** What a profile allows: names allowed outright, and names allowed only for some arguments. */
export function allowedCalls(profile: SeccompProfile): {
  always: Set<string>;
  withArgs: Set<string>;
} {
  const always = new Set<string>();
  const withArgs = new Set<string>();
  if (profile.defaultAction === 'SCMP_ACT_ALLOW' || profile.defaultAction === 'SCMP_ACT_LOG') {
    throw new ProfileError(
      `a profile whose default action is ${profile.defaultAction} allows every call not listed; compare allowlists`,
    );
  }
  for (const rule of profile.syscalls ?? []) {
    if (rule.action !== 'SCMP_ACT_ALLOW' && rule.action !== 'SCMP_ACT_LOG') continue;
    const unconditional = rule.args === undefined || rule.args.length === 0;
    for (const name of rule.names) (unconditional ? always : withArgs).add(name);
  }
  for (const name of always) withArgs.delete(name);
  return { always, withArgs };
}

export function renderProfileJson(profile: AllowlistProfile): string {
  return `${JSON.stringify(profile, null, 2)}\n`;
}
