// One scheduling attempt for one pod (schedulingCycle without scoring: every feasible node is as good as
// another here): the nodes the pod fits, or why it fits none, as the FailedScheduling event and the
// PodScheduled=False condition say it.
import type { Pod } from '../../api/types.js';
import { filterNode, type NodeInfo } from './filters.js';
import { fitErrorMessage, NO_NODES_AVAILABLE } from './fit-error.js';

export type ScheduleResult = { fits: true; nodeName: string } | { fits: false; message: string };

export function schedulePodOnNodes(pod: Pod, nodes: NodeInfo[]): ScheduleResult {
  if (nodes.length === 0) return { fits: false, message: NO_NODES_AVAILABLE };
  const statuses = [];
  for (const info of nodes) {
    const status = filterNode(pod, info);
    if (!status) return { fits: true, nodeName: info.node.metadata?.name ?? '' };
    statuses.push(status);
  }
  return { fits: false, message: fitErrorMessage(pod, statuses) };
}

export const DEFAULT_SCHEDULER_NAME = 'default-scheduler';

/** Why this scheduler leaves a pod alone: bound, being deleted, another scheduler's, or gated. */
export function skipReason(pod: Pod): 'bound' | 'deleting' | 'other-scheduler' | 'gated' | undefined {
  if (pod.spec?.nodeName) return 'bound';
  if (pod.metadata?.deletionTimestamp) return 'deleting';
  const name = pod.spec?.schedulerName || DEFAULT_SCHEDULER_NAME;
  if (name !== DEFAULT_SCHEDULER_NAME) return 'other-scheduler';
  if ((pod.spec?.schedulingGates ?? []).length > 0) return 'gated';
  return undefined;
}
