/**
 * Checks the shape of every field the policy reads, so that the checks can trust their types and
 * a malformed object is refused with the path of the first bad field instead of crashing or, worse,
 * being allowed. `null` in an optional field means absent, as Kubernetes serialises it.
 */
import type { PodSpec } from 'kubernetes-types/core/v1.js';
import { formatFieldPath, type PathSegment } from '../json/field-path.ts';
import { describeValue, isObject, type JsonObject } from '../json/values.ts';
import { CONTAINER_LISTS } from './containers.ts';

export class MalformedObjectError extends Error {
  constructor(path: readonly PathSegment[], expected: string, got: unknown) {
    super(
      `${formatFieldPath(path) || 'the object'}: expected ${expected}, got ${describeValue(got)}`,
    );
    this.name = 'MalformedObjectError';
  }
}

function optionalObject(value: unknown, path: readonly PathSegment[]): JsonObject | undefined {
  if (value === undefined || value === null) return undefined;
  if (!isObject(value)) throw new MalformedObjectError(path, 'an object', value);
  return value;
}

function optionalString(value: unknown, path: readonly PathSegment[]): void {
  if (value !== undefined && value !== null && typeof value !== 'string')
    throw new MalformedObjectError(path, 'a string', value);
}

function optionalBoolean(value: unknown, path: readonly PathSegment[]): void {
  if (value !== undefined && value !== null && typeof value !== 'boolean')
    throw new MalformedObjectError(path, 'a boolean', value);
}

function optionalStringList(value: unknown, path: readonly PathSegment[]): void {
  if (value === undefined || value === null) return;
  if (!Array.isArray(value)) throw new MalformedObjectError(path, 'a list of strings', value);
  value.forEach((item, i) => {
    if (typeof item !== 'string') throw new MalformedObjectError([...path, i], 'a string', item);
  });
}

function checkProfile(value: unknown, path: readonly PathSegment[]): void {
  const profile = optionalObject(value, path);
  if (!profile) return;
  if (typeof profile.type !== 'string')
    throw new MalformedObjectError([...path, 'type'], 'a string', profile.type);
  optionalString(profile.localhostProfile, [...path, 'localhostProfile']);
}

function checkSecurityContext(value: unknown, path: readonly PathSegment[]): void {
  const sc = optionalObject(value, path);
  if (!sc) return;
  checkProfile(sc.seccompProfile, [...path, 'seccompProfile']);
  checkProfile(sc.appArmorProfile, [...path, 'appArmorProfile']);
  optionalBoolean(sc.privileged, [...path, 'privileged']);
  const windowsOptions = optionalObject(sc.windowsOptions, [...path, 'windowsOptions']);
  if (windowsOptions) {
    optionalBoolean(windowsOptions.hostProcess, [...path, 'windowsOptions', 'hostProcess']);
  }
  const caps = optionalObject(sc.capabilities, [...path, 'capabilities']);
  if (caps) {
    optionalStringList(caps.add, [...path, 'capabilities', 'add']);
    optionalStringList(caps.drop, [...path, 'capabilities', 'drop']);
  }
}

export function checkPodSpec(value: unknown, path: readonly PathSegment[]): PodSpec {
  if (!isObject(value)) throw new MalformedObjectError(path, 'a pod spec object', value);
  checkSecurityContext(value.securityContext, [...path, 'securityContext']);
  const os = optionalObject(value.os, [...path, 'os']);
  if (os) optionalString(os.name, [...path, 'os', 'name']);
  optionalString(value.runtimeClassName, [...path, 'runtimeClassName']);
  for (const list of CONTAINER_LISTS) {
    const containers = value[list];
    if (containers === undefined || containers === null) continue;
    if (!Array.isArray(containers))
      throw new MalformedObjectError([...path, list], 'a list of containers', containers);
    containers.forEach((container: unknown, i) => {
      if (!isObject(container))
        throw new MalformedObjectError([...path, list, i], 'a container object', container);
      if (typeof container.name !== 'string')
        throw new MalformedObjectError([...path, list, i, 'name'], 'a string', container.name);
      checkSecurityContext(container.securityContext, [...path, list, i, 'securityContext']);
    });
  }
  return value as unknown as PodSpec;
}

export function checkAnnotations(
  metadata: unknown,
  path: readonly PathSegment[],
): Record<string, string> | undefined {
  const meta = optionalObject(metadata, path);
  const annotations = meta && optionalObject(meta.annotations, [...path, 'annotations']);
  if (!annotations) return undefined;
  for (const [key, value] of Object.entries(annotations)) {
    if (typeof value !== 'string')
      throw new MalformedObjectError([...path, 'annotations', key], 'a string', value);
  }
  return annotations as Record<string, string>;
}
