// The scheduler's VolumeBinding plugin for one node: a pod whose claim is missing, being deleted, or unbound
// with immediate binding stays Pending (PodScheduled=False, FailedScheduling, upstream's messages); a claim
// of a WaitForFirstConsumer class gets the node it will be used on (volume.kubernetes.io/selected-node), which
// is what its provisioner waits for. Kept apart from scheduler.ts so other filters can join it there.
import type { PersistentVolumeClaim, Pod, PodCondition, StorageClass } from '../api/types.js';
import { ApiError } from '../apiserver/errors.js';
import { SELECTED_NODE_ANNOTATION } from '../controllers/volumes/decisions.js';
import type { EventRecorder } from '../kubelet/types.js';

export interface VolumeSchedulingDeps {
  nodeName: string;
  getClaim(namespace: string, name: string): Promise<PersistentVolumeClaim | undefined>;
  getClass(name: string): Promise<StorageClass | undefined>;
  /** Sets the selected-node annotation on a claim. */
  selectNode(claim: PersistentVolumeClaim, nodeName: string): Promise<void>;
  /** Writes the pod's PodScheduled=False condition (pods/status). */
  markUnschedulable(pod: Pod, condition: PodCondition): Promise<void>;
  events: EventRecorder;
  now(): number;
  sleep(ms: number): Promise<void>;
  /** How long a pod waits for its delayed claims to bind before it is reported (--bind-timeout-seconds). */
  bindTimeoutMs?: number;
}

/** Pods waiting in PreBind, so that a second scheduling attempt of the same pod does not start meanwhile. */
const waiting = new Set<string>();

/** The FailedScheduling text of a one-node cluster whose only node a PreFilter rejected. */
export function unschedulableMessage(reason: string): string {
  return `0/1 nodes are available: ${reason}. preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling.`;
}

/** Why the pod's claims keep it off the node, or undefined (and the claims to select the node for). */
export async function checkPodClaims(
  deps: Pick<VolumeSchedulingDeps, 'getClaim' | 'getClass'>,
  pod: Pod,
): Promise<{ reason: string } | { delayed: PersistentVolumeClaim[] }> {
  const ns = pod.metadata?.namespace ?? 'default';
  const delayed: PersistentVolumeClaim[] = [];
  let unboundImmediate = false;
  for (const v of pod.spec?.volumes ?? []) {
    const name = v.persistentVolumeClaim?.claimName;
    if (!name) continue;
    const claim = await deps.getClaim(ns, name);
    if (!claim) return { reason: `persistentvolumeclaim "${name}" not found` };
    if (claim.metadata?.deletionTimestamp)
      return { reason: `persistentvolumeclaim "${name}" is being deleted` };
    if (claim.spec?.volumeName) continue;
    const className = claim.spec?.storageClassName ?? '';
    const sc = className ? await deps.getClass(className) : undefined;
    if (sc?.volumeBindingMode === 'WaitForFirstConsumer') delayed.push(claim);
    else unboundImmediate = true;
  }
  if (unboundImmediate) return { reason: 'pod has unbound immediate PersistentVolumeClaims' };
  return { delayed };
}

/**
 * Runs the plugin for a pod about to be bound: true when the pod may be bound (its delayed claims now name
 * the node), false when it stays Pending (its condition and event written here).
 */
export async function admitPodVolumes(deps: VolumeSchedulingDeps, pod: Pod): Promise<boolean> {
  const result = await checkPodClaims(deps, pod);
  if ('reason' in result) {
    const message = unschedulableMessage(result.reason);
    const previous = pod.status?.conditions?.find((c) => c.type === 'PodScheduled');
    if (previous?.status === 'False' && previous.message === message) return false;
    const ns = pod.metadata?.namespace ?? 'default';
    deps.events.event(
      { apiVersion: 'v1', kind: 'Pod', namespace: ns, name: pod.metadata?.name, uid: pod.metadata?.uid },
      'Warning',
      'FailedScheduling',
      message,
    );
    await deps.markUnschedulable(pod, {
      type: 'PodScheduled',
      status: 'False',
      reason: 'Unschedulable',
      message,
      lastTransitionTime: `${new Date(deps.now()).toISOString().slice(0, 19)}Z`,
    });
    return false;
  }
  if (result.delayed.length === 0) return true;
  const uid = pod.metadata?.uid ?? '';
  if (waiting.has(uid)) return false;
  waiting.add(uid);
  try {
    for (const claim of result.delayed) {
      if (claim.metadata?.annotations?.[SELECTED_NODE_ANNOTATION] === deps.nodeName) continue;
      try {
        await deps.selectNode(claim, deps.nodeName);
      } catch (err) {
        // A claim changed meanwhile is looked at again on the next attempt.
        if (err instanceof ApiError && err.code === 409) return false;
        throw err;
      }
    }
    // PreBind: the pod is bound once its claims are (the provisioner acts on the selected node).
    return await waitForClaims(deps, pod, result.delayed);
  } finally {
    waiting.delete(uid);
  }
}

async function waitForClaims(
  deps: VolumeSchedulingDeps,
  pod: Pod,
  claims: PersistentVolumeClaim[],
): Promise<boolean> {
  const ns = pod.metadata?.namespace ?? 'default';
  const deadline = deps.now() + (deps.bindTimeoutMs ?? 600_000);
  for (;;) {
    let pending = false;
    for (const c of claims) {
      const now = await deps.getClaim(ns, c.metadata?.name ?? '');
      if (!now || now.metadata?.uid !== c.metadata?.uid) return false;
      if (!now.spec?.volumeName || now.status?.phase !== 'Bound') pending = true;
    }
    if (!pending) return true;
    if (deps.now() >= deadline) {
      const message = 'running PreBind plugin "VolumeBinding": binding volumes: context deadline exceeded';
      deps.events.event(
        { apiVersion: 'v1', kind: 'Pod', namespace: ns, name: pod.metadata?.name, uid: pod.metadata?.uid },
        'Warning',
        'FailedScheduling',
        message,
      );
      return false;
    }
    await deps.sleep(100);
  }
}
