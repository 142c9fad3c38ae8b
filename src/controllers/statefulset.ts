// The StatefulSet controller (pkg/controller/statefulset/stateful_set_control.go): pods `<set>-<ordinal>` made
// in order and removed in reverse (OrderedReady: one at a time, each waiting for the one before to be Running
// and Ready; Parallel: all at once), their claims made first and kept, the template versioned by
// ControllerRevisions, and rolling updates from the highest ordinal down to the partition (OnDelete: only
// pods someone deleted get the new template).
import type { ControllerRevision, KubeObject, Pod, StatefulSet } from '../api/types.js';
import { ApiError } from '../apiserver/errors.js';
import type { EventRecorder } from '../kubelet/types.js';
import type { Clock } from '../util/clock.js';
import { type ControllerClient, isStaleWrite } from './client.js';
import { syncRevisions, templateOfRevision, truncateHistory } from './history.js';
import type { Informer } from './informer.js';
import { RESOURCE, ref } from './kinds.js';
import { asPod, isControlledBy, isPodAvailable, isPodReady } from './pods.js';
import {
  claimsFor,
  ordinalOf,
  podFor,
  revisionData,
  revisionOfPod,
  revisionShape,
} from './statefulset-identity.js';

export interface StatefulSetSyncDeps {
  client: ControllerClient;
  statefulSets: Informer;
  pods: Informer;
  claims: Informer;
  revisions: Informer;
  events: EventRecorder;
  clock: Clock;
}

function isTerminal(p: Pod): boolean {
  return p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed';
}

function runningAndReady(p: Pod): boolean {
  return p.status?.phase === 'Running' && isPodReady(p);
}

export async function syncStatefulSet(
  deps: StatefulSetSyncDeps,
  namespace: string,
  name: string,
): Promise<{ requeueAfterMs?: number } | undefined> {
  const setObj = deps.statefulSets.get(namespace, name);
  if (!setObj || setObj.metadata.deletionTimestamp) return undefined;
  const sts = setObj as unknown as StatefulSet;
  const spec = sts.spec;
  if (!spec) return undefined;
  const { current, update, owned } = await syncRevisions(
    deps,
    setObj,
    revisionData(sts),
    revisionShape(sts),
    sts.status?.currentRevision,
  );
  const start = spec.ordinals?.start ?? 0;
  const replicas = spec.replicas ?? 1;
  const parallel = spec.podManagementPolicy === 'Parallel';
  const rolling = spec.updateStrategy?.type !== 'OnDelete';
  const partition = rolling ? (spec.updateStrategy?.rollingUpdate?.partition ?? 0) : 0;

  const pods = deps.pods
    .list(namespace)
    .filter((p) => isControlledBy(p, setObj) && ordinalOf(name, p.metadata.name ?? '') !== undefined)
    .map(asPod);
  const byOrdinal = new Map<number, Pod>();
  for (const p of pods) byOrdinal.set(ordinalOf(name, p.metadata?.name ?? '')!, p);
  const inRange = (o: number) => o >= start && o < start + replicas;
  const condemned = [...byOrdinal.keys()].filter((o) => !inRange(o)).sort((a, b) => b - a);

  const event = (type: 'Normal' | 'Warning', reason: string, message: string) =>
    deps.events.event(ref(setObj), type, reason, message);

  const createPod = async (ordinal: number) => {
    const podName = `${name}-${ordinal}`;
    for (const claim of claimsFor(setObj, ordinal)) {
      const claimName = claim.metadata?.name ?? '';
      if (deps.claims.get(namespace, claimName)) continue;
      try {
        await deps.client.create(RESOURCE.persistentvolumeclaims, namespace, claim as unknown as KubeObject);
        event(
          'Normal',
          'SuccessfulCreate',
          `create Claim ${claimName} Pod ${podName} in StatefulSet ${name} success`,
        );
      } catch (err) {
        if (err instanceof ApiError && err.reason === 'AlreadyExists') continue;
        event(
          'Warning',
          'FailedCreate',
          `create Claim ${claimName} for Pod ${podName} in StatefulSet ${name} failed error: ${(err as Error).message}`,
        );
        throw err;
      }
    }
    // Pods below the partition keep the current revision (newVersionedStatefulSetPod).
    const revision = rolling && ordinal < start + partition ? current : update;
    const pod = podFor(setObj, templateOfRevision(revision), revision.metadata?.name ?? '', ordinal);
    try {
      await deps.client.create(RESOURCE.pods, namespace, pod as unknown as KubeObject);
      event('Normal', 'SuccessfulCreate', `create Pod ${podName} in StatefulSet ${name} successful`);
    } catch (err) {
      if (err instanceof ApiError && err.reason === 'AlreadyExists') return;
      event(
        'Warning',
        'FailedCreate',
        `create Pod ${podName} in StatefulSet ${name} failed error: ${(err as Error).message}`,
      );
      throw err;
    }
  };
  const deletePod = async (p: Pod) => {
    const podName = p.metadata?.name ?? '';
    await deps.client.delete(RESOURCE.pods, namespace, podName);
    event('Normal', 'SuccessfulDelete', `delete Pod ${podName} in StatefulSet ${name} successful`);
  };

  await (async () => {
    // Replicas, lowest ordinal first.
    for (let o = start; o < start + replicas; o++) {
      const p = byOrdinal.get(o);
      if (!p) {
        await createPod(o);
        if (!parallel) return;
        continue;
      }
      if (isTerminal(p) && !p.metadata?.deletionTimestamp) {
        // A failed pod is replaced (deleted here, created again on the next sync).
        await deletePod(p);
        if (!parallel) return;
        continue;
      }
      if (!parallel && (p.metadata?.deletionTimestamp || !runningAndReady(p))) return;
    }
    // Condemned pods, highest ordinal first; OrderedReady waits for every other pod to be healthy.
    for (const o of condemned) {
      const p = byOrdinal.get(o)!;
      if (p.metadata?.deletionTimestamp) {
        if (!parallel) return;
        continue;
      }
      if (!parallel && pods.some((q) => q !== p && (!runningAndReady(q) || q.metadata?.deletionTimestamp)))
        return;
      await deletePod(p);
      // whenScaled: Delete — the claims go with the pod (pvc-protection holds them until it is gone).
      if (spec.persistentVolumeClaimRetentionPolicy?.whenScaled === 'Delete') {
        for (const claim of claimsFor(setObj, o)) {
          await deps.client.delete(RESOURCE.persistentvolumeclaims, namespace, claim.metadata?.name ?? '');
        }
      }
      if (!parallel) return;
    }
    if (!rolling) return;
    // Rolling update: highest ordinal down to the partition, one pod at a time, each after the others are ready.
    for (let o = start + replicas - 1; o >= start + partition; o--) {
      const p = byOrdinal.get(o);
      if (!p || p.metadata?.deletionTimestamp) return;
      if (revisionOfPod(p) !== update.metadata?.name) {
        await deletePod(p);
        return;
      }
      if (!runningAndReady(p)) return;
    }
  })();

  await writeStatus(deps, setObj, pods, current, update);
  await truncateStatefulSetHistory(deps, setObj, owned, pods, current, update);
  return undefined;
}

async function writeStatus(
  deps: StatefulSetSyncDeps,
  setObj: KubeObject,
  pods: Pod[],
  current: ControllerRevision,
  update: ControllerRevision,
): Promise<void> {
  const sts = setObj as unknown as StatefulSet;
  const live = pods.filter((p) => !p.metadata?.deletionTimestamp);
  const currentName = current.metadata?.name ?? '';
  const updateName = update.metadata?.name ?? '';
  const now = deps.clock.now();
  const minReady = sts.spec?.minReadySeconds ?? 0;
  const status = {
    observedGeneration: setObj.metadata.generation ?? 1,
    replicas: live.length,
    readyReplicas: live.filter(isPodReady).length,
    currentReplicas: live.filter((p) => revisionOfPod(p) === currentName).length,
    updatedReplicas: live.filter((p) => revisionOfPod(p) === updateName).length,
    availableReplicas: live.filter((p) => isPodAvailable(p, minReady, now)).length,
    currentRevision: currentName,
    updateRevision: updateName,
    collisionCount: sts.status?.collisionCount ?? 0,
  };
  // completeRollingUpdate: once every replica runs the update revision and is ready, it is the current one.
  const want = sts.spec?.replicas ?? 1;
  if (
    sts.spec?.updateStrategy?.type !== 'OnDelete' &&
    status.updatedReplicas === want &&
    status.readyReplicas === want &&
    status.replicas === want
  ) {
    status.currentRevision = updateName;
    status.currentReplicas = status.updatedReplicas;
  }
  const old = (setObj.status ?? {}) as Record<string, unknown>;
  const next: Record<string, unknown> = { ...old, ...status };
  for (const k of ['readyReplicas', 'currentReplicas', 'updatedReplicas', 'availableReplicas']) {
    if (next[k] === 0) delete next[k];
  }
  if (JSON.stringify(next) === JSON.stringify(old)) return;
  try {
    await deps.client.updateStatus(RESOURCE.statefulsets, setObj.metadata.namespace ?? '', {
      ...setObj,
      status: next,
    });
  } catch (err) {
    if (!isStaleWrite(err)) throw err;
  }
}

/** Keeps revisionHistoryLimit revisions besides those in use (current, update, any live pod's). */
async function truncateStatefulSetHistory(
  deps: StatefulSetSyncDeps,
  setObj: KubeObject,
  owned: ControllerRevision[],
  pods: Pod[],
  current: ControllerRevision,
  update: ControllerRevision,
): Promise<void> {
  const limit = (setObj as unknown as StatefulSet).spec?.revisionHistoryLimit ?? 10;
  const live = new Set([
    current.metadata?.name ?? '',
    update.metadata?.name ?? '',
    ...pods.map(revisionOfPod),
  ]);
  await truncateHistory(deps, setObj, owned, live, limit);
}
