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
import { SLOW_START_INITIAL_BATCH_SIZE, slowStartBatch } from './slow-start.js';
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
  /** Pods created or deleted in one sync at most. @default BURST_REPLICAS */
  burstReplicas?: number;
}

/**
 * BurstReplicas (replica_set.go): one sync creates or deletes at most this many pods, so that a huge
 * spec.replicas cannot hold the worker (and the event loop) in one sync. The pod events of a sync requeue
 * the ReplicaSet, and the next sync goes on from the informer's count.
 */
export const BURST_REPLICAS = 500;

/** Reconciles one ReplicaSet; returns when to look again (availability waits on minReadySeconds). */
export async function syncReplicaSet(
  deps: ReplicaSetSyncDeps,
  namespace: string,
  name: string,
): Promise<{ requeueAfterMs?: number } | undefined> {
  const rsObj = deps.replicaSets.get(namespace, name);
  if (!rsObj) return undefined;
  // A ReplicationController's spec has the same replicas, minReadySeconds and template.
  const rs = rsObj as unknown as ReplicaSet;
  const owned = deps.pods
    .list(namespace)
    .filter((p) => isControlledBy(p, rsObj))
    .map(asPod);
  const active = owned.filter(isPodActive);

  // A ReplicaSet being deleted gets no more pods, nor loses any here: the garbage collector takes them
  // (syncReplicaSet: manageReplicas only when `rs.DeletionTimestamp == nil`). Its status still follows.
  let manageError: { error: unknown } | undefined;
  if (!rsObj.metadata.deletionTimestamp) {
    try {
      await manageReplicas(deps, rsObj, active);
    } catch (error) {
      manageError = { error };
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
  // Upstream writes the status before it reports manageReplicas' error, so that it shows what was there.
  await writeStatus(deps, rsObj, status);
  if (manageError) throw manageError.error;
  // A pod that is ready but not yet available becomes available by time alone: look again then.
  const waiting = active.filter((p) => isPodReady(p) && !isPodAvailable(p, minReady, now));
  return waiting.length > 0 ? { requeueAfterMs: minReady * 1000 } : undefined;
}

/**
 * manageReplicas: creates the missing pods in slow-start batches, or deletes the surplus, at most
 * burstReplicas either way. No expectations (controller.ControllerExpectations) are kept: the pods informer
 * is fed by the in-process store, which delivers a write's watch event before the write returns, so the
 * next sync already counts every pod this one made or removed.
 */
async function manageReplicas(deps: ReplicaSetSyncDeps, rsObj: KubeObject, active: Pod[]): Promise<void> {
  const rs = rsObj as unknown as ReplicaSet;
  const burst = deps.burstReplicas ?? BURST_REPLICAS;
  const diff = active.length - (rs.spec?.replicas ?? 1);
  if (diff < 0) {
    const { error } = await slowStartBatch(
      Math.min(-diff, burst),
      SLOW_START_INITIAL_BATCH_SIZE,
      () => createPod(deps, rsObj),
      () => stillWanted(deps, rsObj),
    );
    if (error !== undefined) throw error;
  } else if (diff > 0) {
    const victims = [...active].sort(compareForDeletion).slice(0, Math.min(diff, burst));
    // Upstream deletes them all at once and reports one of the failures after all have been tried.
    const results = await Promise.allSettled(victims.map((pod) => deletePod(deps, rsObj, pod)));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  }
}

/**
 * The ReplicaSet this sync started from is still there and not being deleted. Between batches, the
 * informer's current state decides: a ReplicaSet deleted (or deleted and created again under the same name)
 * meanwhile gets no further batch, whose pods would only be left for the garbage collector.
 */
function stillWanted(deps: ReplicaSetSyncDeps, rsObj: KubeObject): boolean {
  const current = deps.replicaSets.get(rsObj.metadata.namespace ?? '', rsObj.metadata.name ?? '');
  return current?.metadata.uid === rsObj.metadata.uid && !current?.metadata.deletionTimestamp;
}

async function createPod(deps: ReplicaSetSyncDeps, rsObj: KubeObject): Promise<void> {
  const rs = rsObj as unknown as ReplicaSet;
  const pod = podFromTemplate(rsObj, rs.spec?.template, `${rsObj.metadata.name ?? ''}-`);
  try {
    const created = await deps.client.create(RESOURCE.pods, rsObj.metadata.namespace ?? '', pod);
    deps.events.event(ref(rsObj), 'Normal', 'SuccessfulCreate', `Created pod: ${created.metadata.name}`);
  } catch (err) {
    deps.events.event(ref(rsObj), 'Warning', 'FailedCreate', `Error creating: ${(err as Error).message}`);
    throw err;
  }
}

async function deletePod(deps: ReplicaSetSyncDeps, rsObj: KubeObject, pod: Pod): Promise<void> {
  const podName = pod.metadata?.name ?? '';
  try {
    await deps.client.delete(RESOURCE.pods, rsObj.metadata.namespace ?? '', podName);
    deps.events.event(ref(rsObj), 'Normal', 'SuccessfulDelete', `Deleted pod: ${podName}`);
  } catch (err) {
    deps.events.event(ref(rsObj), 'Warning', 'FailedDelete', `Error deleting: ${(err as Error).message}`);
    throw err;
  }
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
