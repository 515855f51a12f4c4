import type { PodSpec } from 'kubernetes-types/core/v1.js';
import type { PathSegment } from '../json/field-path.ts';
import { walkContainers, type ContainerRef } from '../workloads/containers.ts';
import type { WorkloadPod } from '../workloads/read-workload-pod.ts';

/** A pod spec to judge or mutate, and where it sits inside the object it came in. */
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
   * and cannot change, so only the containers named in `onlyContainers` are judged, and
   * whatever they inherit from the pod level counts as theirs.
   */
  judgePodLevel: boolean;
  onlyContainers?: ReadonlySet<string>;
}

/** A pod read out of a workload, judged whole (as on CREATE, a scan or a manifest check). */
export function wholePod(read: WorkloadPod): PodUnderReview {
  return {
    specPath: read.location.specPath,
    metadataPath: read.location.metadataPath,
    spec: read.spec,
    annotations: read.annotations ?? {},
    judgePodLevel: true,
  };
}

/**
 * Every container of the pod that is under judgement, init, regular and ephemeral alike. All
 * checks walk containers through here so that none can forget a list.
 */
export function containersOf(pod: PodUnderReview): ContainerRef[] {
  return walkContainers(
    pod.spec,
    pod.specPath,
    pod.onlyContainers ? { names: pod.onlyContainers } : {},
  );
}

export function isWindowsPod(spec: PodSpec): boolean {
  return spec.os?.name === 'windows';
}
