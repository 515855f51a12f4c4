/**
 * A workload judged twice, as the issue asks: its pod template as admission would see it
 * (mutation first, then validation), and each running pod as it runs (no mutation: a pod's spec
 * does not change after it is created). Pure: objects in, violations with their status and exact
 * fixes out.
 *
 * A template violation is `refused` when it is still there after mutation, `fixed-by-mutation`
 * when mutation makes it go away. Violations are matched across the template and its pods by
 * container, rule and field relative to the pod spec, so a pod's violation lands on the template
 * finding it comes from; one the template does not have is the pod's own (running-unprotected).
 */
import type { Operation } from 'rfc6902';
import { patchFromEdits } from '../admission/json-patch.ts';
import type { FieldEdit } from '../json/field-edit.ts';
import { formatFieldPath, type PathSegment } from '../json/field-path.ts';
import { legacySeccompAnnotationFor } from '../policy/legacy-annotations.ts';
import { mutatePod } from '../policy/mutate.ts';
import type { PodUnderReview } from '../policy/pod-under-review.ts';
import { RULE_ORDER, type Policy } from '../policy/policy.ts';
import { evaluatePod } from '../policy/registry.ts';
import type { Violation } from '../policy/violation.ts';
import { walkContainers } from '../workloads/containers.ts';
import { fixEdits, normalizeEdits } from './fix-edits.ts';
import { parseFieldPath } from './parse-field-path.ts';

export interface JudgedViolation {
  /** Container, rule and field relative to the pod spec or metadata: equal for a template and its pods. */
  key: string;
  violation: Violation;
  /** The container's name; undefined for the pod level. */
  container: string | undefined;
  /** The legacy seccomp annotation a container without a profile field relies on. */
  legacySeccompAnnotation: { key: string; value: string } | undefined;
}

export interface TemplateFinding extends JudgedViolation {
  status: 'refused' | 'fixed-by-mutation';
  /** This fix alone, against the object as given; undefined when the fix is no edit. */
  patch: Operation[] | undefined;
}

export interface TemplateJudgement {
  findings: TemplateFinding[];
  /** Every fix at once: the mutation, then the fixes of what it leaves; undefined when none. */
  patch: Operation[] | undefined;
}

const RULE_RANK = new Map(RULE_ORDER.map((id, rank) => [id, rank]));

function startsWith(path: readonly PathSegment[], prefix: readonly PathSegment[]): boolean {
  return prefix.length <= path.length && prefix.every((segment, i) => path[i] === segment);
}

function judged(v: Violation, pod: PodUnderReview): JudgedViolation {
  const path = parseFieldPath(v.field);
  const relative = startsWith(path, pod.specPath)
    ? `spec:${formatFieldPath(path.slice(pod.specPath.length))}`
    : startsWith(path, pod.metadataPath)
      ? `metadata:${formatFieldPath(path.slice(pod.metadataPath.length))}`
      : v.field;
  // By position, not path: an annotation's violation names its container too.
  const container =
    v.order === 0
      ? undefined
      : walkContainers(pod.spec, pod.specPath).find((ref) => ref.order === v.order)?.container.name;
  const legacy =
    v.rule === 'seccompRequired' && v.problem.startsWith('has no seccomp profile') && container
      ? legacySeccompAnnotationFor(pod.annotations, container)
      : undefined;
  return {
    key: `${v.subject}|${v.rule}|${relative}`,
    violation: v,
    container,
    legacySeccompAnnotation: legacy,
  };
}

function patchOf(
  object: unknown,
  edits: readonly FieldEdit[] | undefined,
): Operation[] | undefined {
  if (!edits || edits.length === 0) return undefined;
  return patchFromEdits(object, normalizeEdits(edits));
}

/** The template of `object` (or a bare pod, as if created again), judged as admission would. */
export function judgeTemplate(
  object: unknown,
  pod: PodUnderReview,
  policy: Policy,
): TemplateJudgement {
  const before = evaluatePod(pod, policy);
  if (before.length === 0) return { findings: [], patch: undefined };
  const mutation = mutatePod(pod, policy);
  const mutated: PodUnderReview = {
    ...pod,
    spec: mutation.spec,
    annotations: mutation.annotations,
  };
  const after = mutation.edits.length > 0 ? evaluatePod(mutated, policy) : before;
  // A violation left after mutation is fixed against the mutated spec, but its annotations
  // are the object's: the patch alone goes against the object, without the mutation.
  const refusedView: PodUnderReview = { ...mutated, annotations: pod.annotations };

  const findings: TemplateFinding[] = [];
  const remaining = new Set<string>();
  for (const v of after) {
    const j = judged(v, mutated);
    remaining.add(j.key);
    findings.push({ ...j, status: 'refused', patch: patchOf(object, fixEdits(v, refusedView)) });
  }
  for (const v of before) {
    const j = judged(v, pod);
    if (remaining.has(j.key)) continue;
    findings.push({ ...j, status: 'fixed-by-mutation', patch: patchOf(object, fixEdits(v, pod)) });
  }
  findings.sort(
    (a, b) =>
      a.violation.order - b.violation.order ||
      (RULE_RANK.get(a.violation.rule) ?? 0) - (RULE_RANK.get(b.violation.rule) ?? 0) ||
      (a.violation.field < b.violation.field ? -1 : a.violation.field > b.violation.field ? 1 : 0),
  );
  const all: FieldEdit[] = [...mutation.edits];
  for (const v of after) all.push(...(fixEdits(v, mutated) ?? []));
  return { findings, patch: patchOf(object, all) };
}

/** A running pod's violations, as it runs. */
export function judgeRunningPod(pod: PodUnderReview, policy: Policy): JudgedViolation[] {
  return evaluatePod(pod, policy).map((v) => judged(v, pod));
}
