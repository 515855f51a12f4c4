/**
 * One manifest judged as the cluster would judge `kubectl apply` of it: scoped by the webhook's
 * own scope function (kinds, namespace mode, exemptions, malformed objects), mutated by the
 * mutating webhook, then validated on the mutated object, as the apiserver runs validating
 * webhooks after every mutating one. `mutate: false` judges the object as written.
 */
import { applyPatch } from 'rfc6902';
import type { AdmissionRequest } from '../admission/admission-review.ts';
import { patchFromEdits } from '../admission/json-patch.ts';
import { scopeRequest } from '../admission/request-scope.ts';
import type { Mode, NamespaceMode, ReviewConfig } from '../admission/settings.ts';
import type { FieldEdit } from '../json/field-edit.ts';
import { mutatePod } from '../policy/mutate.ts';
import { evaluatePod } from '../policy/registry.ts';
import type { Violation } from '../policy/violation.ts';
import type { KindRef } from '../workloads/kinds.ts';

export interface ManifestToJudge {
  object: unknown;
  ref: KindRef;
  /** The object's namespace, or the one it would be applied to. */
  namespace: string | undefined;
  /** The mode in that namespace: a `runtime-guard.io/mode` label, else the configured mode. */
  mode: NamespaceMode;
}

export type Verdict =
  | { status: 'skipped'; reason: string; name: string | undefined }
  | { status: 'exempt'; reason: string; name: string | undefined }
  | { status: 'malformed'; message: string; name: string | undefined }
  | {
      status: 'judged';
      name: string;
      mode: Mode;
      /** What the policy refuses, after mutation unless mutation was left out. */
      violations: Violation[];
      /** The mutating webhook's changes: none when judged as written. */
      edits: FieldEdit[];
      changes: string[];
      notes: string[];
      /** The object after mutation (the object itself when nothing changed). */
      mutated: unknown;
    };

function request(manifest: ManifestToJudge, object: unknown): AdmissionRequest {
  return {
    uid: 'runtime-guard-check',
    kind: { ...manifest.ref, version: '' },
    operation: 'CREATE',
    object,
    ...(manifest.namespace ? { namespace: manifest.namespace } : {}),
  };
}

function objectName(object: unknown): string | undefined {
  const metadata = (object as { metadata?: { name?: unknown } } | null)?.metadata;
  return typeof metadata?.name === 'string' ? metadata.name : undefined;
}

export function judgeManifest(
  manifest: ManifestToJudge,
  config: ReviewConfig,
  options: { mutate: boolean },
): Verdict {
  const scope = scopeRequest('mutate', request(manifest, manifest.object), config, manifest.mode);
  if (scope.action === 'skip')
    return { status: scope.decision, reason: scope.reason, name: objectName(manifest.object) };
  if (scope.action === 'refuse-malformed')
    return { status: 'malformed', message: scope.message, name: objectName(manifest.object) };

  if (!options.mutate) {
    return {
      status: 'judged',
      name: scope.name,
      mode: scope.mode,
      violations: evaluatePod(scope.pod, config.policy),
      edits: [],
      changes: [],
      notes: [],
      mutated: manifest.object,
    };
  }
  const mutation = mutatePod(scope.pod, config.policy);
  let mutated = manifest.object;
  if (mutation.edits.length > 0) {
    mutated = structuredClone(manifest.object);
    const failed = applyPatch(mutated, patchFromEdits(mutated, mutation.edits)).find(Boolean);
    if (failed) throw new Error(`the mutation's patch does not apply: ${failed.message}`);
  }
  // The validating webhook is asked about the object the mutating webhook returned.
  const validating = scopeRequest('validate', request(manifest, mutated), config, manifest.mode);
  if (validating.action !== 'review')
    throw new Error(`the mutated object is out of scope: ${JSON.stringify(validating)}`);
  return {
    status: 'judged',
    name: scope.name,
    mode: scope.mode,
    violations: evaluatePod(validating.pod, config.policy),
    edits: mutation.edits,
    changes: mutation.changes,
    notes: mutation.notes,
    mutated,
  };
}
