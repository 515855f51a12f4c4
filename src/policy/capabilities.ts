/**
 * Linux capability names as Kubernetes spells them (no `CAP_` prefix, upper case), and a parser
 * for the other spellings container runtimes accept. containerd and CRI-O upper-case a name and
 * add `CAP_` themselves, so `sys_admin`, `CAP_SYS_ADMIN` and ` SYS_ADMIN ` all grant SYS_ADMIN:
 * every comparison must go through {@link parseCapabilityName}.
 */

/** Every capability of Linux 6.x, from include/uapi/linux/capability.h. */
export const LINUX_CAPABILITIES: ReadonlySet<string> = new Set([
  'CHOWN',
  'DAC_OVERRIDE',
  'DAC_READ_SEARCH',
  'FOWNER',
  'FSETID',
  'KILL',
  'SETGID',
  'SETUID',
  'SETPCAP',
  'LINUX_IMMUTABLE',
  'NET_BIND_SERVICE',
  'NET_BROADCAST',
  'NET_ADMIN',
  'NET_RAW',
  'IPC_LOCK',
  'IPC_OWNER',
  'SYS_MODULE',
  'SYS_RAWIO',
  'SYS_CHROOT',
  'SYS_PTRACE',
  'SYS_PACCT',
  'SYS_ADMIN',
  'SYS_BOOT',
  'SYS_NICE',
  'SYS_RESOURCE',
  'SYS_TIME',
  'SYS_TTY_CONFIG',
  'MKNOD',
  'LEASE',
  'AUDIT_WRITE',
  'AUDIT_CONTROL',
  'SETFCAP',
  'MAC_OVERRIDE',
  'MAC_ADMIN',
  'SYSLOG',
  'WAKE_ALARM',
  'BLOCK_SUSPEND',
  'AUDIT_READ',
  'PERFMON',
  'BPF',
  'CHECKPOINT_RESTORE',
]);

export interface ParsedCapability {
  /** What the runtime grants: upper case, no `CAP_` prefix, e.g. `SYS_ADMIN` or `ALL`. */
  canonical: string;
  /** True when the name was already written the way Kubernetes documents it. */
  isCanonicalSpelling: boolean;
  /** True for `ALL` or a real Linux capability. */
  isKnown: boolean;
}

export function parseCapabilityName(raw: string): ParsedCapability {
  let canonical = raw.trim().toUpperCase();
  if (canonical.startsWith('CAP_')) canonical = canonical.slice(4);
  return {
    canonical,
    isCanonicalSpelling: canonical === raw,
    isKnown: canonical === 'ALL' || LINUX_CAPABILITIES.has(canonical),
  };
}

/** Capabilities the baseline Pod Security Standard lets a container add. */
export const BASELINE_ALLOWED_CAPABILITIES: readonly string[] = [
  'AUDIT_WRITE',
  'CHOWN',
  'DAC_OVERRIDE',
  'FOWNER',
  'FSETID',
  'KILL',
  'MKNOD',
  'NET_BIND_SERVICE',
  'SETFCAP',
  'SETGID',
  'SETPCAP',
  'SETUID',
  'SYS_CHROOT',
];

/** The restricted standard allows only binding low ports. */
export const RESTRICTED_ALLOWED_CAPABILITIES: readonly string[] = ['NET_BIND_SERVICE'];
