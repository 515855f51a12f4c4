/**
 * The one reader of pods out of workloads: admission, the cluster scan and `check` all find a
 * pod spec, its annotations and the object's name here, with every field the policy reads
 * checked for its type first (pod-shape.ts).
 */
import type { PodSpec } from 'kubernetes-types/core/v1.js';
import { isObject, valueAt } from '../json/values.ts';
import { locatePod, type ExtraKinds, type KindRef, type PodLocation } from './kinds.ts';
import { checkAnnotations, checkPodSpec, MalformedObjectError } from './pod-shape.ts';

export interface WorkloadPod {
  /** Where the spec and its annotations sit in the object. */
  location: PodLocation;
  spec: PodSpec;
  /** The pod's (or template's) annotations; undefined when it has none. */
  annotations: Readonly<Record<string, string>> | undefined;
  /** The object's `metadata.name`, else its `generateName` followed by `*`; undefined with neither. */
  name: string | undefined;
  namespace: string | undefined;
}

export interface ReadOptions {
  /** How error messages name the object, e.g. `request.oldObject` (default: `the object`). */
  label?: string;
}

/**
 * The pod an object of kind `ref` carries, or undefined when the kind carries none. Throws
 * {@link MalformedObjectError} with the path of the first field of the wrong type.
 */
export function readWorkloadPod(
  object: unknown,
  ref: KindRef,
  extraKinds: ExtraKinds,
  options: ReadOptions = {},
): WorkloadPod | undefined {
  const location = locatePod(ref, extraKinds);
  if (!location) return undefined;
  if (!isObject(object)) {
    throw new MalformedObjectError(
      [],
      `${options.label ?? 'the object'} to be a ${ref.kind} object`,
      object,
    );
  }
  const spec = checkPodSpec(valueAt(object, location.specPath), location.specPath);
  const annotations = checkAnnotations(
    valueAt(object, location.metadataPath),
    location.metadataPath,
  );
  const metadata = isObject(object.metadata) ? object.metadata : {};
  const { name, generateName, namespace } = metadata;
  return {
    location,
    spec,
    annotations,
    name:
      typeof name === 'string' && name !== ''
        ? name
        : typeof generateName === 'string' && generateName !== ''
          ? `${generateName}*`
          : undefined,
    namespace: typeof namespace === 'string' && namespace !== '' ? namespace : undefined,
  };
}
