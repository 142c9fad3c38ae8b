// The ReplicaSet controller (pkg/controller/replicaset/replica_set.go): keeps spec.replicas active pods that
// the ReplicaSet controls, and reports replicas, readyReplicas and availableReplicas. The same code runs
// ReplicationControllers (pkg/controller/replication wraps it too): `resource` says which kind it syncs.
import type { ResourceInfo } from '../api/resources.js';
import type { KubeObject, Pod, ReplicaSet } from '../api/types.js';
import type { EventRecorder } from '../kubelet/types.js';
import type { Clock } from '../util/clock.js';
import { type ControllerClient, isStaleWrite } from './client.js';
import type { Informer } from './informer.js';
import { RESOURCE, ref } from './kinds.js';
import {
  asPod,
  compareForDeletion,
  isControlledBy,
  isPodActive,
  isPodAvailable,
  isPodReady,
} from './pods.js';
import { podFromTemplate } from './template.js';

export interface ReplicaSetSyncDeps {
  client: ControllerClient;
  pods: Informer;
  /** The ReplicaSets, or the ReplicationControllers when `resource` says so. */
  replicaSets: Informer;
  events: EventRecorder;
  clock: Clock;
  /** @default RESOURCE.replicasets */
  resource?: ResourceInfo;
}

/** Reconciles one ReplicaSet; returns when to look again (availability waits on minReadySeconds). */
export async function syncReplicaSet(
  deps: ReplicaSetSyncDeps,
  namespace: string,
  name: string,
): Promise<{ requeueAfterMs?: number } | undefined> {
  const rsObj = deps.replicaSets.get(namespace, name);
  if (!rsObj || rsObj.metadata.deletionTimestamp) return undefined;
  // A ReplicationController's spec has the same replicas, minReadySeconds and template.
  const rs = rsObj as unknown as ReplicaSet;
  const owned = deps.pods
    .list(namespace)
    .filter((p) => isControlledBy(p, rsObj))
    .map(asPod);
  const active = owned.filter(isPodActive);
  const want = rs.spec?.replicas ?? 1;
  const diff = active.length - want;

  if (diff < 0) {
    for (let i = 0; i < -diff; i++) {
      const pod = podFromTemplate(rsObj, rs.spec?.template, `${name}-`);
      try {
        const created = await deps.client.create(RESOURCE.pods, namespace, pod);
        deps.events.event(ref(rsObj), 'Normal', 'SuccessfulCreate', `Created pod: ${created.metadata.name}`);
      } catch (err) {
        deps.events.event(ref(rsObj), 'Warning', 'FailedCreate', `Error creating: ${(err as Error).message}`);
        throw err;
      }
    }
  } else if (diff > 0) {
    const victims = [...active].sort(compareForDeletion).slice(0, diff);
    for (const pod of victims) {
      await deps.client.delete(RESOURCE.pods, namespace, pod.metadata?.name ?? '');
      deps.events.event(ref(rsObj), 'Normal', 'SuccessfulDelete', `Deleted pod: ${pod.metadata?.name}`);
    }
  }

  const now = deps.clock.now();
  const minReady = rs.spec?.minReadySeconds ?? 0;
  const templateLabels = rs.spec?.template?.metadata?.labels ?? {};
  const status = {
    replicas: active.length,
    fullyLabeledReplicas: active.filter((p) => hasLabels(p, templateLabels)).length,
    readyReplicas: active.filter(isPodReady).length,
    availableReplicas: active.filter((p) => isPodAvailable(p, minReady, now)).length,
    observedGeneration: rsObj.metadata.generation ?? 1,
  };
  await writeStatus(deps, rsObj, status);
  // A pod that is ready but not yet available becomes available by time alone: look again then.
  const waiting = active.filter((p) => isPodReady(p) && !isPodAvailable(p, minReady, now));
  return waiting.length > 0 ? { requeueAfterMs: minReady * 1000 } : undefined;
}

function hasLabels(pod: Pod, labels: Record<string, string>): boolean {
  return Object.entries(labels).every(([k, v]) => pod.metadata?.labels?.[k] === v);
}

async function writeStatus(
  deps: ReplicaSetSyncDeps,
  rsObj: KubeObject,
  status: Record<string, number>,
): Promise<void> {
  const old = (rsObj.status ?? {}) as Record<string, unknown>;
  const next = { ...old, ...status };
  for (const k of ['readyReplicas', 'availableReplicas', 'fullyLabeledReplicas'])
    if (next[k] === 0) delete next[k];
  if (JSON.stringify(next) === JSON.stringify(old)) return;
  try {
    await deps.client.updateStatus(deps.resource ?? RESOURCE.replicasets, rsObj.metadata.namespace ?? '', {
      ...rsObj,
      status: next,
    });
  } catch (err) {
    if (!isStaleWrite(err)) throw err;
  }
}
