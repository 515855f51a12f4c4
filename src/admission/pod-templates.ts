/**
 * Where each kind keeps its pods. A Deployment is judged by its pod template at apply time, so a
 * developer sees the refusal in `kubectl apply` rather than as a ReplicaSet event later.
 */
import type { PodTemplateLocation, Policy } from '../policy/policy.ts';
import type { GroupVersionKind } from './admission-review.ts';

const SPEC_TEMPLATE: PodTemplateLocation = { templatePath: ['spec', 'template'] };

const BUILT_IN_KINDS: ReadonlyMap<string, PodTemplateLocation> = new Map([
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
  specPath: readonly string[];
  metadataPath: readonly string[];
  isPod: boolean;
}

const POD_LOCATION: PodLocation = { specPath: ['spec'], metadataPath: ['metadata'], isPod: true };

/** Where the pod spec of this kind sits, or undefined when the kind carries no pods. */
export function locatePodSpec(gvk: GroupVersionKind, policy: Policy): PodLocation | undefined {
  if (gvk.group === '' && gvk.kind === 'Pod') return POD_LOCATION;
  const key = `${gvk.group}/${gvk.kind}`;
  const template = BUILT_IN_KINDS.get(key) ?? policy.extraKinds.get(key);
  if (!template) return undefined;
  return {
    specPath: [...template.templatePath, 'spec'],
    metadataPath: [...template.templatePath, 'metadata'],
    isPod: false,
  };
}

export function templatePathOf(location: PodLocation): readonly string[] {
  return location.specPath.slice(0, -1);
}
