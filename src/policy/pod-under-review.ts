import type { Container, EphemeralContainer, PodSpec } from 'kubernetes-types/core/v1.js';
import type { PathSegment } from '../json/field-path.ts';

export type ContainerListName = 'initContainers' | 'containers' | 'ephemeralContainers';

/** A pod spec to judge or mutate, and where it sits inside the object the API server sent. */
export interface PodUnderReview {
  /** Path from the object root to the PodSpec, e.g. `['spec', 'template', 'spec']`. */
  specPath: readonly PathSegment[];
  /** Path from the object root to the metadata whose annotations belong to this pod. */
  metadataPath: readonly PathSegment[];
  spec: PodSpec;
  /** The pod's (or template's) annotations; empty when it has none. */
  annotations: Readonly<Record<string, string>>;
  /**
   * False on the `ephemeralcontainers` subresource: the pod-level fields were admitted long ago
   * and cannot change, so only the containers named in `onlyContainers` are judged.
   */
  judgePodLevel: boolean;
  onlyContainers?: ReadonlySet<string>;
}

export interface ContainerRef {
  list: ContainerListName;
  index: number;
  container: Container | EphemeralContainer;
  /** Path from the object root to this container. */
  path: readonly PathSegment[];
  /** `container "app"`, `init container "setup"`, `ephemeral container "debugger"`. */
  label: string;
  /** Position across all lists, for a stable order of messages. */
  order: number;
}

const LIST_LABELS: Record<ContainerListName, string> = {
  initContainers: 'init container',
  containers: 'container',
  ephemeralContainers: 'ephemeral container',
};

const LISTS: readonly ContainerListName[] = ['initContainers', 'containers', 'ephemeralContainers'];

/**
 * Every container of the pod that is under judgement, init, regular and ephemeral alike. All
 * checks and mutations walk containers through here so that none can forget a list.
 */
export function containersOf(pod: PodUnderReview): ContainerRef[] {
  const refs: ContainerRef[] = [];
  let order = 0;
  for (const list of LISTS) {
    const containers = pod.spec[list];
    if (!containers) continue;
    containers.forEach((container, index) => {
      order++;
      if (pod.onlyContainers && !pod.onlyContainers.has(container.name)) return;
      refs.push({
        list,
        index,
        container,
        path: [...pod.specPath, list, index],
        label: `${LIST_LABELS[list]} "${container.name}"`,
        order,
      });
    });
  }
  return refs;
}

export function isWindowsPod(spec: PodSpec): boolean {
  return spec.os?.name === 'windows';
}
