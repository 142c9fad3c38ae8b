// The scheduler of a one-node cluster: every pod without spec.nodeName is bound to the node, with the
// default-scheduler's Scheduled event. Pods that name another node stay Pending, as on a cluster without it.
import type { Pod } from '../api/types.js';
import type { EventRecorder } from '../kubelet/types.js';

export interface SchedulerDeps {
  nodeName: string;
  /** Sets spec.nodeName and the PodScheduled condition (pods/binding). */
  bind(namespace: string, name: string, uid: string, nodeName: string): Promise<void>;
  events: EventRecorder;
  onError(pod: string, err: unknown): void;
  /** Filters that may keep the pod Pending (volume-scheduling.ts); false: not bound this time. */
  admit?(pod: Pod): Promise<boolean>;
}

export function schedulePod(deps: SchedulerDeps, pod: Pod): void {
  if (pod.spec?.nodeName || pod.metadata?.deletionTimestamp) return;
  const ns = pod.metadata?.namespace ?? 'default';
  const name = pod.metadata?.name ?? '';
  const admitted = deps.admit ? deps.admit(pod) : Promise.resolve(true);
  admitted
    .then(async (ok) => {
      if (!ok) return;
      await deps.bind(ns, name, pod.metadata?.uid ?? '', deps.nodeName);
      deps.events.event(
        { apiVersion: 'v1', kind: 'Pod', namespace: ns, name, uid: pod.metadata?.uid },
        'Normal',
        'Scheduled',
        `Successfully assigned ${ns}/${name} to ${deps.nodeName}`,
      );
    })
    .catch((err: unknown) => deps.onError(`${ns}/${name}`, err));
}
