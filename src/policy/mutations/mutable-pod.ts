import type {
  Container,
  EphemeralContainer,
  PodSecurityContext,
  PodSpec,
  SecurityContext,
} from 'kubernetes-types/core/v1.js';
import type { ContainerListName } from '../pod-under-review.ts';

/**
 * A pod spec and annotations that mutation steps may change in place. The spec, its container
 * lists and containers are shallow copies; security contexts are copied on first write; everything
 * else is shared with the received object, which is never modified.
 */
export interface MutablePod {
  spec: PodSpec;
  /** A copy of the pod's annotations, or undefined when it has none (steps only ever remove keys). */
  annotations: Record<string, string> | undefined;
  /** False on the ephemeralcontainers subresource, where only new ephemeral containers may change. */
  canChangePodLevel: boolean;
  /** When set, only these containers may change. */
  onlyContainers?: ReadonlySet<string>;
  /** Security contexts already copied for writing. */
  written: WeakSet<object>;
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
  for (const list of LISTS) {
    const containers = spec[list];
    if (containers)
      (copy as Record<ContainerListName, unknown>)[list] = containers.map(
        (c: Container | EphemeralContainer) => ({ ...c }),
      );
  }
  const pod: MutablePod = {
    spec: copy,
    annotations: annotations ? { ...annotations } : undefined,
    canChangePodLevel,
    written: new WeakSet(),
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

/**
 * A container's security context, ready to be written: copied on the first write (steps only set
 * its top-level keys), so an unchanged one stays the very object received and is never diffed.
 */
export function writableSecurityContext(
  pod: MutablePod,
  container: Container | EphemeralContainer,
): SecurityContext {
  if (!container.securityContext || !pod.written.has(container.securityContext)) {
    container.securityContext = { ...(container.securityContext ?? {}) };
    pod.written.add(container.securityContext);
  }
  return container.securityContext;
}

/** The pod's security context, copied on the first write like {@link writableSecurityContext}. */
export function writablePodSecurityContext(pod: MutablePod): PodSecurityContext {
  if (!pod.spec.securityContext || !pod.written.has(pod.spec.securityContext)) {
    pod.spec.securityContext = { ...(pod.spec.securityContext ?? {}) };
    pod.written.add(pod.spec.securityContext);
  }
  return pod.spec.securityContext;
}
