// The DaemonSet controller (pkg/controller/daemon): one pod on every node that should run it, versioned by
// ControllerRevisions (history.ts) so that `kubectl rollout status|history|undo daemonset/x` work, with
// RollingUpdate (maxUnavailable or maxSurge) and OnDelete updates. The decisions are daemonset-plan.ts's.
import { DAEMONSET_TEMPLATE_GENERATION } from '../api/defaults-workloads.js';
import type { ControllerRevision, DaemonSet, KubeObject, Node, Pod } from '../api/types.js';
import { ApiError } from '../apiserver/errors.js';
import type { EventRecorder } from '../kubelet/types.js';
import type { Clock } from '../util/clock.js';
import { type ControllerClient, isStaleWrite } from './client.js';
import {
  DAEMONSET_HASH_LABEL,
  daemonPodTemplate,
  daemonSetStatusCounts,
  type PlanInput,
  pinToNode,
  planDaemonSet,
  targetNodeOf,
} from './daemonset-plan.js';
import type { FailedPodsBackoff } from './failed-pods-backoff.js';
import { revisionHash, syncRevisions, templatePatch, truncateHistory } from './history.js';
import type { Informer } from './informer.js';
import { RESOURCE, ref } from './kinds.js';
import { asPod, isControlledBy } from './pods.js';
import { podFromTemplate } from './template.js';

export interface DaemonSetSyncDeps {
  client: ControllerClient;
  daemonSets: Informer;
  pods: Informer;
  nodes: Informer;
  revisions: Informer;
  events: EventRecorder;
  clock: Clock;
  /** Kept across syncs (one per controller). */
  backoff?: FailedPodsBackoff;
}

export async function syncDaemonSet(
  deps: DaemonSetSyncDeps,
  namespace: string,
  name: string,
): Promise<{ requeueAfterMs?: number } | undefined> {
  const dsObj = deps.daemonSets.get(namespace, name);
  if (!dsObj || dsObj.metadata.deletionTimestamp) return undefined;
  const ds = dsObj as unknown as DaemonSet;
  if (!ds.spec) return undefined;
  // constructHistory: the revision of the template now is the update one; the rest is history.
  const { update, owned } = await syncRevisions(
    deps,
    dsObj,
    templatePatch(ds.spec.template),
    {
      labels: (hash) => ({ ...(ds.spec?.template?.metadata?.labels ?? {}), [DAEMONSET_HASH_LABEL]: hash }),
      ...(dsObj.metadata.annotations ? { annotations: dsObj.metadata.annotations } : {}),
      collisionCount: ds.status?.collisionCount ?? 0,
    },
    undefined,
  );
  const hash = revisionHash(dsObj, update);
  const now = deps.clock.now();
  const pods = deps.pods
    .list(namespace)
    .filter((p) => isControlledBy(p, dsObj))
    .map(asPod);
  const podsByNode = new Map<string, Pod[]>();
  for (const p of pods) {
    const node = targetNodeOf(p);
    if (node === undefined) continue;
    podsByNode.set(node, [...(podsByNode.get(node) ?? []), p]);
  }
  const input: PlanInput = {
    ds,
    nodes: deps.nodes.list().map((n) => n as unknown as Node),
    podsByNode,
    hash,
    now,
    ...(deps.backoff ? { backoff: deps.backoff } : {}),
  };
  const plan = planDaemonSet(input);
  const event = (type: 'Normal' | 'Warning', reason: string, message: string) =>
    deps.events.event(ref(dsObj), type, reason, message);
  for (const e of plan.events) event(e.type, e.reason, e.message);

  const template = daemonPodTemplate(
    ds.spec.template,
    hash,
    dsObj.metadata.annotations?.[DAEMONSET_TEMPLATE_GENERATION],
  );
  let failure: unknown;
  for (const nodeName of plan.create) {
    const pod = podFromTemplate(dsObj, pinToNode(template, nodeName), `${name}-`);
    try {
      const created = await deps.client.create(RESOURCE.pods, namespace, pod);
      event('Normal', 'SuccessfulCreate', `Created pod: ${created.metadata.name}`);
    } catch (err) {
      event('Warning', 'FailedCreate', `Error creating: ${(err as Error).message}`);
      failure ??= err;
    }
  }
  for (const podName of plan.delete) {
    try {
      await deps.client.delete(RESOURCE.pods, namespace, podName);
      event('Normal', 'SuccessfulDelete', `Deleted pod: ${podName}`);
    } catch (err) {
      if (!(err instanceof ApiError && err.code === 404)) {
        event('Warning', 'FailedDelete', `Error deleting: ${(err as Error).message}`);
        failure ??= err;
      }
    }
  }

  await writeStatus(deps, dsObj, input);
  const live = new Set([
    update.metadata?.name ?? '',
    ...pods.map((p) => `${name}-${p.metadata?.labels?.[DAEMONSET_HASH_LABEL] ?? ''}`),
  ]);
  await truncateHistory(deps, dsObj, owned as ControllerRevision[], live, ds.spec.revisionHistoryLimit ?? 10);
  if (failure) throw failure;
  return plan.requeueAfterMs !== undefined ? { requeueAfterMs: plan.requeueAfterMs } : undefined;
}

async function writeStatus(deps: DaemonSetSyncDeps, dsObj: KubeObject, input: PlanInput): Promise<void> {
  const counts = daemonSetStatusCounts(input);
  const old = (dsObj.status ?? {}) as Record<string, unknown>;
  const next: Record<string, unknown> = {
    ...old,
    currentNumberScheduled: counts.currentNumberScheduled,
    numberMisscheduled: counts.numberMisscheduled,
    desiredNumberScheduled: counts.desiredNumberScheduled,
    numberReady: counts.numberReady,
    observedGeneration: dsObj.metadata.generation ?? 1,
    updatedNumberScheduled: counts.updatedNumberScheduled,
    numberAvailable: counts.numberAvailable,
    numberUnavailable: counts.numberUnavailable,
  };
  // These three are omitempty in DaemonSetStatus; the first four are always written.
  for (const k of ['updatedNumberScheduled', 'numberAvailable', 'numberUnavailable']) {
    if (next[k] === 0) delete next[k];
  }
  if (JSON.stringify(next) === JSON.stringify(old)) return;
  try {
    await deps.client.updateStatus(RESOURCE.daemonsets, dsObj.metadata.namespace ?? '', {
      ...dsObj,
      status: next,
    });
  } catch (err) {
    if (!isStaleWrite(err)) throw err;
  }
}
