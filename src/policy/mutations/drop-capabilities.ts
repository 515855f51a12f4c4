/**
 * Dropped capabilities: the configured list (restricted: `ALL`) is merged into every container's
 * `securityContext.capabilities.drop`, keeping what is there and adding no duplicate.
 * `capabilities.add` is never touched: runtimes apply it after the drop, so a container that
 * adds NET_BIND_SERVICE keeps it.
 */
import type { Policy } from '../policy.ts';
import {
  mutableContainers,
  setContainerDroppedCapabilities,
  type MutablePod,
  type MutationReport,
} from './mutable-pod.ts';

export function dropCapabilities(pod: MutablePod, policy: Policy, report: MutationReport): void {
  const { enabled, drop } = policy.mutation.dropCapabilities;
  if (!enabled || drop.length === 0) return;
  for (const ref of mutableContainers(pod)) {
    const current = ref.container.securityContext?.capabilities?.drop ?? [];
    const missing = drop.filter((name) => !current.includes(name));
    if (missing.length === 0) continue;
    setContainerDroppedCapabilities(pod, ref, [...current, ...missing]);
    report.changes.push(`added ${missing.join(', ')} to ${ref.label} capabilities.drop`);
  }
}
