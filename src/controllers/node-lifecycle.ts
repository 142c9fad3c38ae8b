// The node lifecycle controller's NoSchedule tainting (pkg/controller/nodelifecycle doNoScheduleTaintingPass,
// TaintNodesByCondition): a node's conditions and cordon become taints the scheduler reads, so that a node
// under disk pressure or cordoned shows `node.kubernetes.io/disk-pressure:NoSchedule` or
// `node.kubernetes.io/unschedulable:NoSchedule` as on a cluster. Other taints are left as they are.
import type { Node, Taint } from '../api/types.js';

const CONDITION_TAINTS: Record<string, Record<string, string>> = {
  Ready: { False: 'node.kubernetes.io/not-ready', Unknown: 'node.kubernetes.io/unreachable' },
  MemoryPressure: { True: 'node.kubernetes.io/memory-pressure' },
  DiskPressure: { True: 'node.kubernetes.io/disk-pressure' },
  NetworkUnavailable: { True: 'node.kubernetes.io/network-unavailable' },
  PIDPressure: { True: 'node.kubernetes.io/pid-pressure' },
};
const TAINT_UNSCHEDULABLE = 'node.kubernetes.io/unschedulable';
const MANAGED = new Set([
  TAINT_UNSCHEDULABLE,
  ...Object.values(CONDITION_TAINTS).flatMap((m) => Object.values(m)),
]);

const managed = (t: Taint) => t.effect === 'NoSchedule' && MANAGED.has(t.key);

/**
 * The node's taints once its conditions and cordon are reflected, or undefined when they already are. Added
 * taints carry `timeAdded` (SwapNodeControllerTaint).
 */
export function noScheduleTaints(node: Node, now: string): Taint[] | undefined {
  const want = new Set<string>();
  for (const c of node.status?.conditions ?? []) {
    const key = CONDITION_TAINTS[c.type]?.[c.status];
    if (key) want.add(key);
  }
  if (node.spec?.unschedulable) want.add(TAINT_UNSCHEDULABLE);
  const current = node.spec?.taints ?? [];
  const have = new Set(current.filter(managed).map((t) => t.key));
  const toAdd = [...want].filter((k) => !have.has(k));
  const toDelete = [...have].filter((k) => !want.has(k));
  if (toAdd.length === 0 && toDelete.length === 0) return undefined;
  return [
    ...current.filter((t) => !(managed(t) && toDelete.includes(t.key))),
    ...toAdd.map((key) => ({ key, effect: 'NoSchedule', timeAdded: now })),
  ];
}
