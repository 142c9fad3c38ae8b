// pods/binding (pkg/registry/core/pod/storage/storage.go BindingREST.setPodNodeName): sets spec.nodeName of
// an unscheduled pod, which no update may do, and the PodScheduled condition. The scheduler's one write.
import type { PodCondition } from '../api/types.js';
import { StoreError } from '../store/types.js';
import { ApiError, conflict, notFound } from './errors.js';
import { rfc3339 } from './object-util.js';
import type { Registry } from './registry.js';

const PODS = { group: '', resource: 'pods' };

export async function bindPod(
  registry: Registry,
  namespace: string,
  name: string,
  uid: string,
  nodeName: string,
): Promise<void> {
  const key = { groupResource: 'pods', namespace, name };
  for (let attempt = 0; ; attempt++) {
    const pod = await registry.store.get(key);
    if (!pod || (uid && pod.metadata.uid !== uid)) throw notFound(PODS, name);
    if (pod.metadata.deletionTimestamp) {
      throw new ApiError(
        409,
        'Conflict',
        `Operation cannot be fulfilled on pods/binding "${name}": pod ${name} is being deleted, cannot be assigned to a host`,
      );
    }
    const spec = (pod.spec ?? {}) as { nodeName?: string };
    if (spec.nodeName) {
      throw new ApiError(
        409,
        'Conflict',
        `Operation cannot be fulfilled on pods/binding "${name}": pod ${name} is already assigned to node "${spec.nodeName}"`,
      );
    }
    spec.nodeName = nodeName;
    pod.spec = spec;
    const status = (pod.status ?? {}) as { conditions?: PodCondition[] };
    const scheduled: PodCondition = {
      type: 'PodScheduled',
      status: 'True',
      lastTransitionTime: rfc3339(registry.clock.now()),
    };
    status.conditions = [...(status.conditions ?? []).filter((c) => c.type !== 'PodScheduled'), scheduled];
    pod.status = status;
    try {
      await registry.store.update(key, pod, Number(pod.metadata.resourceVersion));
      return;
    } catch (err) {
      // Someone else wrote the pod between our read and write: read again, as the API server's GuaranteedUpdate does.
      if (err instanceof StoreError && err.reason === 'Conflict' && attempt < 5) continue;
      if (err instanceof StoreError && err.reason === 'NotFound') throw notFound(PODS, name);
      if (err instanceof StoreError && err.reason === 'Conflict') throw conflict(PODS, name, err.message);
      throw err;
    }
  }
}
