// volume-scheduling.ts's view of the API, served by the registry in the same process.
import type { PersistentVolumeClaim, Pod, StorageClass } from '../api/types.js';
import type { Registry } from '../apiserver/registry.js';
import { SELECTED_NODE_ANNOTATION } from '../controllers/volumes/decisions.js';
import type { EventRecorder } from '../kubelet/types.js';
import type { Clock } from '../util/clock.js';
import type { VolumeSchedulingDeps } from './volume-scheduling.js';

export function registryVolumeScheduling(
  registry: Registry,
  nodeName: string,
  events: EventRecorder,
  clock: Clock,
): VolumeSchedulingDeps {
  return {
    nodeName,
    events,
    now: () => clock.now(),
    sleep: (ms) => clock.sleep(ms),
    getClaim: async (ns, name) =>
      (await registry.find('persistentvolumeclaims', ns, name)) as PersistentVolumeClaim | undefined,
    getClass: async (name) =>
      (await registry.find('storageclasses.storage.k8s.io', undefined, name)) as StorageClass | undefined,
    async selectNode(claim, node) {
      await registry.patch(
        'persistentvolumeclaims',
        claim.metadata?.namespace,
        claim.metadata?.name ?? '',
        'merge',
        { metadata: { annotations: { [SELECTED_NODE_ANNOTATION]: node } } },
        { fieldManager: 'kube-scheduler' },
      );
    },
    async markUnschedulable(pod: Pod, condition) {
      const conditions = (pod.status?.conditions ?? []).filter((c) => c.type !== 'PodScheduled');
      await registry.patch(
        'pods',
        pod.metadata?.namespace,
        pod.metadata?.name ?? '',
        'merge',
        { status: { conditions: [...conditions, condition] } },
        { subresource: 'status', fieldManager: 'kube-scheduler' },
      );
    },
  };
}
