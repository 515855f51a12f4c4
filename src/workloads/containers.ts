/**
 * The three lists of a pod spec that hold containers, and the one walk over them: checks,
 * mutation steps, the shape check and every report go through here, so no list is forgotten and
 * every reader names a container the same way.
 */
import type { Container, EphemeralContainer, PodSpec } from 'kubernetes-types/core/v1.js';
import type { PathSegment } from '../json/field-path.ts';

export const CONTAINER_LISTS = ['initContainers', 'containers', 'ephemeralContainers'] as const;
export type ContainerListName = (typeof CONTAINER_LISTS)[number];

const LIST_LABELS: Record<ContainerListName, string> = {
  initContainers: 'init container',
  containers: 'container',
  ephemeralContainers: 'ephemeral container',
};

/** `container "app"`, `init container "setup"`, `ephemeral container "debugger"`. */
export function containerLabel(list: ContainerListName, name: string): string {
  return `${LIST_LABELS[list]} "${name}"`;
}

export interface ContainerRef {
  list: ContainerListName;
  index: number;
  container: Container | EphemeralContainer;
  /** Path from the object root to this container. */
  path: readonly PathSegment[];
  label: string;
  /** Position across all lists, from 1, for a stable order of messages (0 is the pod level). */
  order: number;
}

export interface ContainerFilter {
  /** Only these lists (default: all three). */
  lists?: readonly ContainerListName[];
  /** Only containers with these names. */
  names?: ReadonlySet<string>;
}

/** Every container of `spec`, init, regular and ephemeral, in that order. */
export function walkContainers(
  spec: PodSpec,
  specPath: readonly PathSegment[],
  filter: ContainerFilter = {},
): ContainerRef[] {
  const refs: ContainerRef[] = [];
  let order = 0;
  for (const list of CONTAINER_LISTS) {
    const containers: readonly (Container | EphemeralContainer)[] | undefined = spec[list];
    if (!containers) continue;
    containers.forEach((container, index) => {
      order++;
      if (filter.lists && !filter.lists.includes(list)) return;
      if (filter.names && !filter.names.has(container.name)) return;
      refs.push({
        list,
        index,
        container,
        path: [...specPath, list, index],
        label: containerLabel(list, container.name),
        order,
      });
    });
  }
  return refs;
}

/** The container of that name in any list. */
export function findContainer(spec: PodSpec, name: string): ContainerRef | undefined {
  return walkContainers(spec, [], { names: new Set([name]) })[0];
}
