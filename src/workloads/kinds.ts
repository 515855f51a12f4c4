/**
 * Where each kind keeps its pods. A Deployment is judged by its pod template at apply time, so a
 * developer sees the refusal in `kubectl apply` rather than as a ReplicaSet event later; a scan
 * and `check` read the same templates. Custom kinds are added by configuration (`extraKinds`).
 */
import type { PathSegment } from '../json/field-path.ts';

/** A kind, by API group and name; the version does not move a pod template. */
export interface KindRef {
  /** `''` for the core group. */
  group: string;
  kind: string;
}

export interface PodTemplateLocation {
  /** Path from the object root to the PodTemplateSpec (holding `metadata` and `spec`). */
  templatePath: readonly string[];
}

/** Configured custom kinds that carry a pod template, keyed by {@link kindKey}. */
export type ExtraKinds = ReadonlyMap<string, PodTemplateLocation>;

/** `apps/Deployment`; the core group gives `/Pod`. */
export function kindKey(ref: KindRef): string {
  return `${ref.group}/${ref.kind}`;
}

const SPEC_TEMPLATE: PodTemplateLocation = { templatePath: ['spec', 'template'] };

/** Every built-in kind that carries a pod template, with the path to it. */
export const BUILT_IN_TEMPLATE_KINDS: ReadonlyMap<string, PodTemplateLocation> = new Map([
  ['/PodTemplate', { templatePath: ['template'] }],
  ['/ReplicationController', SPEC_TEMPLATE],
  ['apps/ReplicaSet', SPEC_TEMPLATE],
  ['apps/Deployment', SPEC_TEMPLATE],
  ['apps/StatefulSet', SPEC_TEMPLATE],
  ['apps/DaemonSet', SPEC_TEMPLATE],
  ['batch/Job', SPEC_TEMPLATE],
  ['batch/CronJob', { templatePath: ['spec', 'jobTemplate', 'spec', 'template'] }],
]);

export interface PodLocation {
  /** Path from the object root to the PodSpec. */
  specPath: readonly PathSegment[];
  /** Path from the object root to the metadata whose annotations belong to that pod. */
  metadataPath: readonly PathSegment[];
  /** Path to the PodTemplateSpec; undefined for a Pod. */
  templatePath: readonly PathSegment[] | undefined;
  isPod: boolean;
}

const POD_LOCATION: PodLocation = {
  specPath: ['spec'],
  metadataPath: ['metadata'],
  templatePath: undefined,
  isPod: true,
};

function templateLocation(template: PodTemplateLocation): PodLocation {
  return {
    specPath: [...template.templatePath, 'spec'],
    metadataPath: [...template.templatePath, 'metadata'],
    templatePath: template.templatePath,
    isPod: false,
  };
}

/** Built once: every review looks its kind up here. */
const BUILT_IN_LOCATIONS: ReadonlyMap<string, PodLocation> = new Map(
  [...BUILT_IN_TEMPLATE_KINDS].map(([key, template]) => [key, templateLocation(template)]),
);

/** Where the pod spec of this kind sits, or undefined when the kind carries no pods. */
export function locatePod(ref: KindRef, extraKinds: ExtraKinds): PodLocation | undefined {
  if (ref.group === '' && ref.kind === 'Pod') return POD_LOCATION;
  const key = kindKey(ref);
  const builtIn = BUILT_IN_LOCATIONS.get(key);
  if (builtIn) return builtIn;
  const extra = extraKinds.get(key);
  return extra ? templateLocation(extra) : undefined;
}
