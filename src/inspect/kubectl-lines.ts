/**
 * The shell lines a report hands over: a `kubectl patch` that applies a fix, and what replaces
 * the pods that run without it. Each is a complete line a user can paste into a POSIX shell; the
 * kubeconfig and context are the user's own, as for any other kubectl command.
 */
import type { Operation } from 'rfc6902';

export type RestartStyle =
  /** `kubectl rollout restart`: Deployments, and StatefulSets and DaemonSets that roll. */
  | 'rollout'
  /** Delete the pods; their controller creates them again from its template. */
  | 'delete-pods'
  /** Delete the Jobs that own the pods (a CronJob's): the next run uses the fixed template. */
  | 'delete-jobs'
  /** Create the object again (a bare Pod): nothing else would replace it. */
  | 'recreate'
  /** No pods (a PodTemplate). */
  | 'none';

export interface KubectlTarget {
  /** What kubectl calls the resource: `deployments.apps`, `pods`, `widgets.example.com`. */
  resource: string;
  name: string;
  /** Empty for a cluster-scoped resource. */
  namespace: string;
  /**
   * True when the pod template cannot be patched (a Pod, a Job): a fix re-creates the object
   * (`kubectl replace --force`), with {@link recreateOps} added to the patch.
   */
  recreate: boolean;
  /** What a re-created copy must lose: fields set by the API server that a create refuses. */
  recreateOps: readonly Operation[];
  restart: RestartStyle;
}

/** One word for the shell, in single quotes where it needs any. */
export function shellQuote(word: string): string {
  return /^[A-Za-z0-9_./:=@%+,-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

function namespaceFlag(target: KubectlTarget): string {
  return target.namespace === '' ? '' : ` -n ${shellQuote(target.namespace)}`;
}

function recreateLine(target: KubectlTarget, ops: readonly Operation[]): string {
  const get = `kubectl get ${target.resource} ${shellQuote(target.name)}${namespaceFlag(target)} -o json`;
  const all = [...ops, ...target.recreateOps];
  const patch =
    all.length > 0
      ? ` | kubectl patch --local -f - --type=json -p ${shellQuote(JSON.stringify(all))} -o json`
      : '';
  return `${get}${patch} | kubectl replace --force -f -`;
}

/** The line that applies `ops` to the target. */
export function patchLine(target: KubectlTarget, ops: readonly Operation[]): string {
  if (target.recreate) return recreateLine(target, ops);
  return `kubectl patch ${target.resource} ${shellQuote(target.name)}${namespaceFlag(target)} --type=json -p ${shellQuote(JSON.stringify(ops))}`;
}

/** The line that replaces `pods` (owned through `jobs` for a CronJob); undefined when none run. */
export function restartLine(
  target: KubectlTarget,
  pods: readonly string[],
  jobs: readonly string[],
): string | undefined {
  if (pods.length === 0) return undefined;
  const ns = namespaceFlag(target);
  switch (target.restart) {
    case 'rollout':
      return `kubectl rollout restart ${target.resource}/${shellQuote(target.name)}${ns}`;
    case 'delete-pods':
      return `kubectl delete pods${ns} ${[...pods].sort().map(shellQuote).join(' ')}`;
    case 'delete-jobs':
      return jobs.length > 0
        ? `kubectl delete jobs.batch${ns} ${[...jobs].sort().map(shellQuote).join(' ')}`
        : `kubectl delete pods${ns} ${[...pods].sort().map(shellQuote).join(' ')}`;
    case 'recreate':
      return recreateLine(target, []);
    case 'none':
      return undefined;
  }
}
