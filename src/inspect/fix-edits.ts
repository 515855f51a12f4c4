/**
 * The edits that carry out a violation's fix sentence, so a report can hand over a JSON Patch that
 * does what the sentence says. One case per rule, keyed on the violation's field; a fix that is no
 * single edit (take a container out of a HostProcess pod) has none.
 *
 * Setting a seccomp profile field also removes the legacy seccomp annotation at the same place:
 * the API server refuses a pod whose annotation and field disagree, and the mutating webhook
 * would otherwise turn a leftover `unconfined` annotation into a field on the next create.
 */
import type { Container, EphemeralContainer } from 'kubernetes-types/core/v1.js';
import type { FieldEdit } from '../json/field-edit.ts';
import type { PathSegment } from '../json/field-path.ts';
import { valueAt } from '../json/values.ts';
import { parseCapabilityName } from '../policy/capabilities.ts';
import {
  APPARMOR_CONTAINER_ANNOTATION_PREFIX,
  SECCOMP_CONTAINER_ANNOTATION_PREFIX,
  SECCOMP_POD_ANNOTATION,
  legacySeccompAnnotationFor,
} from '../policy/legacy-annotations.ts';
import type { PodUnderReview } from '../policy/pod-under-review.ts';
import type { Violation } from '../policy/violation.ts';
import { CONTAINER_LISTS, type ContainerListName } from '../workloads/containers.ts';
import { parseFieldPath } from './parse-field-path.ts';

function startsWith(path: readonly PathSegment[], prefix: readonly PathSegment[]): boolean {
  return prefix.length <= path.length && prefix.every((segment, i) => path[i] === segment);
}

/** The container a path under the pod spec points into, with its path. */
export function containerAt(
  pod: PodUnderReview,
  path: readonly PathSegment[],
): { container: Container | EphemeralContainer; path: PathSegment[] } | undefined {
  if (!startsWith(path, pod.specPath)) return undefined;
  const [list, index] = path.slice(pod.specPath.length);
  if (!CONTAINER_LISTS.includes(list as ContainerListName) || typeof index !== 'number')
    return undefined;
  const container = pod.spec[list as ContainerListName]?.[index];
  return container ? { container, path: [...pod.specPath, list as string, index] } : undefined;
}

function removeAnnotation(pod: PodUnderReview, key: string): FieldEdit[] {
  return pod.annotations[key] === undefined
    ? []
    : [{ op: 'remove', path: [...pod.metadataPath, 'annotations', key] }];
}

/** Sets a seccomp profile field, and removes the legacy annotation of the same place. */
function setSeccomp(
  pod: PodUnderReview,
  path: readonly PathSegment[],
  value: unknown,
): FieldEdit[] {
  const edits: FieldEdit[] = [{ op: 'set', path, value }];
  const container = containerAt(pod, path);
  if (container)
    edits.push(
      ...removeAnnotation(pod, SECCOMP_CONTAINER_ANNOTATION_PREFIX + container.container.name),
    );
  else edits.push(...removeAnnotation(pod, SECCOMP_POD_ANNOTATION));
  return edits;
}

function last(path: readonly PathSegment[], n = 1): PathSegment | undefined {
  return path[path.length - n];
}

/** Edits that apply `v.fix` to `pod`; undefined when the fix is no edit. */
export function fixEdits(v: Violation, pod: PodUnderReview): FieldEdit[] | undefined {
  const path = parseFieldPath(v.field);
  switch (v.rule) {
    case 'privileged':
      if (last(path) === 'privileged') return [{ op: 'set', path, value: false }];
      if (last(path) === 'hostProcess' && !v.problem.startsWith('inherits'))
        return [{ op: 'remove', path }];
      return undefined;
    case 'seccompUnconfined':
      if (v.problem.startsWith('inherits')) return undefined;
      return setSeccomp(pod, path, 'RuntimeDefault');
    case 'seccompRequired': {
      if (last(path) === 'type') return setSeccomp(pod, path, 'RuntimeDefault');
      // No profile at all: the fix sentence sets the pod level, which covers every container.
      const podType = [...pod.specPath, 'securityContext', 'seccompProfile', 'type'];
      const edits = setSeccomp(pod, podType, 'RuntimeDefault');
      const container = containerAt(pod, path);
      const legacy =
        container && legacySeccompAnnotationFor(pod.annotations, container.container.name);
      if (legacy && legacy.key !== SECCOMP_POD_ANNOTATION)
        edits.push(...removeAnnotation(pod, legacy.key));
      return edits;
    }
    case 'seccompLocalhostAllowlist':
      if (last(path) !== 'localhostProfile') return undefined;
      return setSeccomp(pod, path.slice(0, -1), { type: 'RuntimeDefault' });
    case 'capabilitiesAdded': {
      if (typeof last(path) !== 'number') return undefined;
      if (v.fix.startsWith('write ')) {
        const raw = valueAt(pod.spec, path.slice(pod.specPath.length));
        if (typeof raw !== 'string') return undefined;
        return [{ op: 'set', path, value: parseCapabilityName(raw).canonical }];
      }
      return [{ op: 'remove', path }];
    }
    case 'capabilitiesDropAll': {
      const current = valueAt(pod.spec, path.slice(pod.specPath.length));
      const drop = Array.isArray(current) ? current : [];
      return [{ op: 'set', path, value: [...drop, 'ALL'] }];
    }
    case 'appArmor': {
      if (v.problem.startsWith('inherits')) return undefined;
      if (last(path) === 'type') return [{ op: 'set', path, value: 'RuntimeDefault' }];
      const key = last(path);
      if (typeof key !== 'string' || !key.startsWith(APPARMOR_CONTAINER_ANNOTATION_PREFIX))
        return undefined;
      const name = key.slice(APPARMOR_CONTAINER_ANNOTATION_PREFIX.length);
      const at = CONTAINER_LISTS.flatMap((list) =>
        (pod.spec[list] ?? []).flatMap((c: Container | EphemeralContainer, i: number) =>
          c.name === name ? [[...pod.specPath, list, i] as PathSegment[]] : [],
        ),
      )[0];
      if (!at) return undefined;
      return [
        { op: 'remove', path },
        {
          op: 'set',
          path: [...at, 'securityContext', 'appArmorProfile', 'type'],
          value: 'RuntimeDefault',
        },
      ];
    }
  }
}

const pathKey = (path: readonly PathSegment[]): string => JSON.stringify(path);

/**
 * One edit per path (the first), and removals of list elements last, from the highest index
 * down, so that no edit shifts the element another one addresses.
 */
export function normalizeEdits(edits: readonly FieldEdit[]): FieldEdit[] {
  const seen = new Set<string>();
  const unique = edits.filter((edit) => {
    const key = pathKey(edit.path);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  const isElementRemoval = (edit: FieldEdit) =>
    edit.op === 'remove' && typeof last(edit.path) === 'number';
  const removals = unique.filter(isElementRemoval).sort((a, b) => {
    const parentA = pathKey(a.path.slice(0, -1));
    const parentB = pathKey(b.path.slice(0, -1));
    if (parentA !== parentB) return parentA < parentB ? -1 : 1;
    return (last(b.path) as number) - (last(a.path) as number);
  });
  return [...unique.filter((edit) => !isElementRemoval(edit)), ...removals];
}
