import type {
  AppArmorProfile,
  Container,
  EphemeralContainer,
  PodSecurityContext,
  PodSpec,
  SeccompProfile,
  SecurityContext,
} from 'kubernetes-types/core/v1.js';
import type { FieldEdit } from '../../json/field-edit.ts';
import { formatFieldPath, type PathSegment } from '../../json/field-path.ts';
import { CONTAINER_LISTS, walkContainers, type ContainerRef } from '../../workloads/containers.ts';
import type { PodUnderReview } from '../pod-under-review.ts';

/**
 * A pod spec and annotations that mutation steps change through the functions below, each of
 * which also records the change as a {@link FieldEdit} from the object root. The spec, its
 * container lists and containers are shallow copies; security contexts are copied on first write;
 * everything else is shared with the object received, which is never modified.
 */
export interface MutablePod {
  spec: PodSpec;
  /** A copy of the pod's annotations (steps only ever remove keys). */
  annotations: Record<string, string>;
  specPath: readonly PathSegment[];
  metadataPath: readonly PathSegment[];
  /** False on the ephemeralcontainers subresource, where only new ephemeral containers may change. */
  canChangePodLevel: boolean;
  /** When set, only these containers may change. */
  onlyContainers?: ReadonlySet<string>;
  edits: FieldEdit[];
  /** Security contexts already copied for writing. */
  written: WeakSet<object>;
}

/** What a mutation step did, and what it saw but left alone (reported back as warnings). */
export interface MutationReport {
  changes: string[];
  notes: string[];
}

export function copyForMutation(pod: PodUnderReview): MutablePod {
  const copy: PodSpec = { ...pod.spec };
  for (const list of CONTAINER_LISTS) {
    const containers: readonly (Container | EphemeralContainer)[] | undefined = pod.spec[list];
    if (containers)
      (copy as unknown as Record<string, unknown>)[list] = containers.map((c) => ({ ...c }));
  }
  const mutable: MutablePod = {
    spec: copy,
    annotations: { ...pod.annotations },
    specPath: pod.specPath,
    metadataPath: pod.metadataPath,
    canChangePodLevel: pod.judgePodLevel,
    edits: [],
    written: new WeakSet(),
  };
  if (pod.onlyContainers) mutable.onlyContainers = pod.onlyContainers;
  return mutable;
}

/** The containers a step may change. */
export function mutableContainers(pod: MutablePod): ContainerRef[] {
  return walkContainers(pod.spec, pod.specPath, {
    ...(pod.onlyContainers ? { names: pod.onlyContainers } : {}),
    ...(pod.canChangePodLevel ? {} : { lists: ['ephemeralContainers'] as const }),
  });
}

/** The container of that name in any list (of the copy), whether or not it may change. */
export function findContainer(pod: MutablePod, name: string): ContainerRef | undefined {
  return walkContainers(pod.spec, pod.specPath, { names: new Set([name]) })[0];
}

/** Copied on the first write, so an unchanged security context stays the object received. */
function writableSecurityContext(pod: MutablePod, container: Container | EphemeralContainer) {
  if (!container.securityContext || !pod.written.has(container.securityContext)) {
    container.securityContext = { ...(container.securityContext ?? {}) };
    pod.written.add(container.securityContext);
  }
  return container.securityContext;
}

function writablePodSecurityContext(pod: MutablePod): PodSecurityContext {
  if (!pod.spec.securityContext || !pod.written.has(pod.spec.securityContext)) {
    pod.spec.securityContext = { ...(pod.spec.securityContext ?? {}) };
    pod.written.add(pod.spec.securityContext);
  }
  return pod.spec.securityContext;
}

/** `spec.securityContext.seccompProfile`, or where the kind keeps it (`spec.template.spec…`). */
export function podSeccompField(pod: MutablePod): string {
  return formatFieldPath([...pod.specPath, 'securityContext', 'seccompProfile']);
}

export function setPodSeccompProfile(pod: MutablePod, profile: SeccompProfile): void {
  writablePodSecurityContext(pod).seccompProfile = { ...profile };
  pod.edits.push({
    op: 'set',
    path: [...pod.specPath, 'securityContext', 'seccompProfile'],
    value: { ...profile },
  });
}

export function setContainerProfile(
  pod: MutablePod,
  ref: ContainerRef,
  field: 'seccompProfile' | 'appArmorProfile',
  profile: SeccompProfile | AppArmorProfile,
): void {
  const securityContext: SecurityContext = writableSecurityContext(pod, ref.container);
  securityContext[field] = { ...profile };
  pod.edits.push({
    op: 'set',
    path: [...ref.path, 'securityContext', field],
    value: { ...profile },
  });
}

export function setContainerDroppedCapabilities(
  pod: MutablePod,
  ref: ContainerRef,
  drop: readonly string[],
): void {
  const securityContext = writableSecurityContext(pod, ref.container);
  securityContext.capabilities = { ...(securityContext.capabilities ?? {}), drop: [...drop] };
  // The list is written whole: merging element by element would depend on what is there.
  pod.edits.push({
    op: 'set',
    path: [...ref.path, 'securityContext', 'capabilities', 'drop'],
    value: [...drop],
  });
}

export function removeAnnotation(pod: MutablePod, key: string): void {
  if (!Object.hasOwn(pod.annotations, key)) return;
  delete pod.annotations[key];
  pod.edits.push({ op: 'remove', path: [...pod.metadataPath, 'annotations', key] });
}
