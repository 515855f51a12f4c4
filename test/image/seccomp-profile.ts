// The runtime's default seccomp profile (Kubernetes' `RuntimeDefault`) as the OCI runtime
// spec's `linux.seccomp`, for one container.
//
// Runtimes keep the profile in the containers/moby format, where an entry may apply only to
// some architectures, kernels or capabilities (`includes`, `excludes`); when a container is
// created the runtime keeps the entries that apply to it and hands the rest to runc. This does
// the same: an entry is kept when every capability it includes is held, none it excludes is,
// the architecture matches and the kernel is at least its minKernel.

/** A rule's argument filter; the same shape in both formats. */
export interface SeccompArg {
  index: number;
  value: number;
  valueTwo?: number;
  op: string;
}

interface Conditions {
  caps?: string[];
  arches?: string[];
  minKernel?: string;
}

export interface ContainersSeccompProfile {
  defaultAction: string;
  defaultErrnoRet?: number;
  archMap?: { architecture: string; subArchitectures?: string[] }[];
  syscalls: {
    names: string[];
    action: string;
    args?: SeccompArg[] | null;
    errnoRet?: number;
    includes?: Conditions;
    excludes?: Conditions;
  }[];
}

/** `linux.seccomp` of an OCI runtime configuration. */
export interface OciSeccomp {
  defaultAction: string;
  defaultErrnoRet?: number;
  architectures: string[];
  syscalls: { names: string[]; action: string; args?: SeccompArg[]; errnoRet?: number }[];
}

export interface ContainerContext {
  /** Go's name, as in the profile's `arches`: amd64, arm64, ... */
  arch: string;
  /** Capabilities the container holds, CAP_ prefixed; empty after `drop: [ALL]`. */
  capabilities: readonly string[];
  /** The kernel release (os.release()). */
  kernel: string;
}

const SECCOMP_ARCH: Record<string, string> = {
  amd64: 'SCMP_ARCH_X86_64',
  arm64: 'SCMP_ARCH_AARCH64',
  s390x: 'SCMP_ARCH_S390X',
  ppc64le: 'SCMP_ARCH_PPC64LE',
};

/** Node's process.arch to Go's architecture name. */
export function goArch(nodeArch: string): string {
  return { x64: 'amd64', arm64: 'arm64', s390x: 's390x', ppc64: 'ppc64le' }[nodeArch] ?? nodeArch;
}

function kernelAtLeast(release: string, minimum: string): boolean {
  const numbers = (text: string) => text.split(/[.-]/).slice(0, 2).map(Number);
  const [major = 0, minor = 0] = numbers(release);
  const [wantMajor = 0, wantMinor = 0] = numbers(minimum);
  return major > wantMajor || (major === wantMajor && minor >= wantMinor);
}

export function seccompForContainer(
  profile: ContainersSeccompProfile,
  context: ContainerContext,
): OciSeccomp {
  const nativeArch = SECCOMP_ARCH[context.arch];
  if (!nativeArch) throw new Error(`no seccomp architecture for ${context.arch}`);
  const held = new Set(context.capabilities);
  const applies = (entry: ContainersSeccompProfile['syscalls'][number]): boolean => {
    const { includes = {}, excludes = {} } = entry;
    if (includes.arches?.length && !includes.arches.includes(context.arch)) return false;
    if (excludes.arches?.includes(context.arch)) return false;
    if (includes.caps?.some((cap) => !held.has(cap))) return false;
    if (excludes.caps?.some((cap) => held.has(cap))) return false;
    if (includes.minKernel && !kernelAtLeast(context.kernel, includes.minKernel)) return false;
    return true;
  };
  const subArchitectures =
    profile.archMap?.find((entry) => entry.architecture === nativeArch)?.subArchitectures ?? [];
  return {
    defaultAction: profile.defaultAction,
    ...(profile.defaultErrnoRet !== undefined ? { defaultErrnoRet: profile.defaultErrnoRet } : {}),
    architectures: [nativeArch, ...subArchitectures],
    syscalls: profile.syscalls.filter(applies).map((entry) => ({
      names: entry.names,
      action: entry.action,
      ...(entry.args?.length ? { args: entry.args } : {}),
      ...(entry.errnoRet !== undefined ? { errnoRet: entry.errnoRet } : {}),
    })),
  };
}
