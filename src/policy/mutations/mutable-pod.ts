import type {
  Container,
  EphemeralContainer,
  PodSecurityContext,
  PodSpec,
  SecurityContext,
} from 'kubernetes-types/core/v1.js';
import type { ContainerListName } from '../pod-under-review.ts';

/**
 * A pod spec and annotations that mutation steps may change in place. Only the parts steps write
 * (pod and container security contexts, container lists, annotations) are copies; everything else
 * is shared with the received object, which is never modified.
 */
export interface MutablePod {
  spec: PodSpec;
  /** A copy of the pod's annotations, or undefined when it has none (steps only ever remove keys). */
  annotations: Record<string, string> | undefined;
  /** False on the ephemeralcontainers subresource, where only new ephemeral containers may change. */
  canChangePodLevel: boolean;
  /** When set, only these containers may change. */
  onlyContainers?: ReadonlySet<string>;
}

/** What a mutation step did, and what it saw but left alone (reported back as warnings). */
export interface MutationReport {
  changes: string[];
  notes: string[];
}

const LISTS: readonly ContainerListName[] = ['initContainers', 'containers', 'ephemeralContainers'];

export function copyForMutation(
  spec: PodSpec,
  annotations: Readonly<Record<string, string>> | undefined,
  canChangePodLevel: boolean,
  onlyContainers?: ReadonlySet<string>,
): MutablePod {
  const copy: PodSpec = { ...spec };
  if (spec.securityContext) copy.securityContext = structuredClone(spec.securityContext);
  for (const list of LISTS) {
    const containers = spec[list];
    if (!containers) continue;
    (copy as Record<ContainerListName, unknown>)[list] = containers.map(
      (c: Container | EphemeralContainer) =>
        c.securityContext
          ? { ...c, securityContext: structuredClone(c.securityContext) }
          : { ...c },
    );
  }
  const pod: MutablePod = {
    spec: copy,
    annotations: annotations ? { ...annotations } : undefined,
    canChangePodLevel,
  };
  if (onlyContainers) pod.onlyContainers = onlyContainers;
  return pod;
}

/** The containers a step may change, with a label for reports. */
export function mutableContainers(
  pod: MutablePod,
): { container: Container | EphemeralContainer; label: string }[] {
  const out: { container: Container | EphemeralContainer; label: string }[] = [];
  for (const list of LISTS) {
    for (const container of pod.spec[list] ?? []) {
      if (pod.onlyContainers && !pod.onlyContainers.has(container.name)) continue;
      if (!pod.canChangePodLevel && list !== 'ephemeralContainers') continue;
      out.push({ container, label: `${list}[name=${container.name}]` });
    }
  }
  return out;
}

export function findContainer(
  pod: MutablePod,
  name: string,
): Container | EphemeralContainer | undefined {
  for (const list of LISTS) {
    const found = pod.spec[list]?.find((c) => c.name === name);
    if (found) return found;
  }
  return undefined;
}

export function containerSecurityContext(
  container: Container | EphemeralContainer,
): SecurityContext {
  container.securityContext ??= {};
  return container.securityContext;
}

export function podSecurityContext(spec: PodSpec): PodSecurityContext {
  spec.securityContext ??= {};
  return spec.securityContext;
}
