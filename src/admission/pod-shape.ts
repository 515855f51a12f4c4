/**
 * Checks the shape of every field the policy reads, so that the checks can trust their types and
 * a malformed object is refused with the path of the first bad field instead of crashing or, worse,
 * being allowed. `null` in an optional field means absent, as Kubernetes serialises it.
 */
import type { PodSpec } from 'kubernetes-types/core/v1.js';
import { formatFieldPath, type PathSegment } from '../json/field-path.ts';

export class MalformedObjectError extends Error {
  constructor(path: readonly PathSegment[], expected: string, got: unknown) {
    super(
      `${formatFieldPath(path) || 'the object'}: expected ${expected}, got ${describeValue(got)}`,
    );
    this.name = 'MalformedObjectError';
  }
}

/** A value as an error message may show it: its type, and at most 40 characters of a string. */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'string')
    return `a string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`;
  return `a ${typeof value}`;
}

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function optionalObject(value: unknown, path: readonly PathSegment[]): Json | undefined {
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

const CONTAINER_LISTS = ['initContainers', 'containers', 'ephemeralContainers'] as const;

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

/** The value at `path`, or undefined when any step is missing or null. */
export function valueAt(root: unknown, path: readonly PathSegment[]): unknown {
  let node = root;
  for (const segment of path) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<string, unknown>)[segment as string];
  }
  return node;
}
