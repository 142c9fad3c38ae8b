// The scheduler's FitError text (pkg/scheduler/framework/types.go, v1.32) and the default preemption's
// PostFilter message: `0/1 nodes are available: 1 Insufficient cpu. preemption: 0/1 nodes are available: 1 No
// preemption victims found for incoming pod..` — v1.32 appends the PostFilter message with the same " %v."
// separator as the filter reasons, so it ends in two periods, as clusters of that version print it.
import type { Pod } from '../../api/types.js';
import type { FilterStatus } from './filters.js';

export const NO_NODES_AVAILABLE = 'no nodes available to schedule pods';
const NO_VICTIMS = 'No preemption victims found for incoming pod';
const NOT_HELPFUL = 'Preemption is not helpful for scheduling';

/** `count reason` strings sorted as Go's sort.Strings (byte order). */
function histogram(reasons: string[]): string[] {
  const counts = new Map<string, number>();
  for (const r of reasons) counts.set(r, (counts.get(r) ?? 0) + 1);
  return [...counts]
    .map(([r, n]) => `${n} ${r}`)
    .sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
}

/**
 * The PostFilter (DefaultPreemption) message. podrun does not preempt: a node that failed only on what
 * preemption could free has no victims to offer (every pod has the same priority without PriorityClasses).
 */
export function preemptionMessage(pod: Pod, statuses: FilterStatus[]): string {
  if (pod.spec?.preemptionPolicy === 'Never')
    return 'preemption: not eligible due to preemptionPolicy=Never.';
  const reasons = statuses.map((s) => (s.code === 'UnschedulableAndUnresolvable' ? NOT_HELPFUL : NO_VICTIMS));
  return `preemption: 0/${statuses.length} nodes are available: ${histogram(reasons).join(', ')}.`;
}

/** FitError.Error() for the nodes' filter statuses (one per node, none of which fit). */
export function fitErrorMessage(pod: Pod, statuses: FilterStatus[]): string {
  let msg = `0/${statuses.length} nodes are available:`;
  const filter = histogram(statuses.flatMap((s) => s.reasons));
  if (filter.length > 0) msg += ` ${filter.join(', ')}.`;
  msg += ` ${preemptionMessage(pod, statuses)}.`;
  return msg;
}
