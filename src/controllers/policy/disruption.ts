// The disruption controller (pkg/controller/disruption, v1.32): keeps a PodDisruptionBudget's status
// (expectedPods, desiredHealthy, currentHealthy, disruptionsAllowed, disruptedPods and the DisruptionAllowed
// condition) from the pods its selector picks and, for maxUnavailable and percentages, the scale of their
// controllers. The eviction subresource (src/apiserver/eviction.ts) reads and decrements that status.
import type { ResourceInfo } from '../../api/resources.js';
import type { KubeObject, Pod, PodDisruptionBudget } from '../../api/types.js';
import { selectorMatches } from '../../api/validation/meta.js';
import { withDisruptionAllowedCondition } from '../../apiserver/eviction.js';
import type { Clock } from '../../util/clock.js';
import { type ControllerClient, isStaleWrite } from '../client.js';
import type { Informer } from '../informer.js';
import { scaledValue } from '../intstr.js';
import { controllerRef } from '../pods.js';
import type { SyncResult } from '../queue.js';

/** DeletionTimeout: an eviction not followed by the pod's deletion within two minutes is forgotten. */
const DELETION_TIMEOUT_MS = 2 * 60 * 1000;

export interface DisruptionDeps {
  client: ControllerClient;
  clock: Clock;
  resource: ResourceInfo;
  pdbs: Informer;
  pods: Informer;
  replicaSets: Informer;
  deployments: Informer;
  statefulSets: Informer;
}

function isReady(pod: Pod): boolean {
  return (pod.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
}

/** getExpectedScale: the summed replicas of the pods' controllers (a ReplicaSet counts as its Deployment). */
function expectedScale(deps: DisruptionDeps, ns: string, pods: Pod[]): number {
  const seen = new Set<string>();
  let total = 0;
  for (const pod of pods) {
    const ref = controllerRef(pod);
    if (!ref) continue;
    let owner: KubeObject | undefined;
    if (ref.kind === 'ReplicaSet') {
      owner = deps.replicaSets.get(ns, ref.name);
      const dref = owner && controllerRef(owner);
      if (dref?.kind === 'Deployment') owner = deps.deployments.get(ns, dref.name) ?? owner;
    } else if (ref.kind === 'StatefulSet') {
      owner = deps.statefulSets.get(ns, ref.name);
    }
    if (!owner || seen.has(owner.metadata.uid ?? '')) continue;
    seen.add(owner.metadata.uid ?? '');
    total += (owner.spec as { replicas?: number } | undefined)?.replicas ?? 1;
  }
  return total;
}

/** The status the budget should have now. */
export function computeDisruptionStatus(
  deps: Pick<DisruptionDeps, 'replicaSets' | 'deployments' | 'statefulSets'>,
  pdb: PodDisruptionBudget,
  pods: Pod[],
  now: number,
): NonNullable<PodDisruptionBudget['status']> {
  const ns = pdb.metadata?.namespace ?? '';
  const spec = pdb.spec ?? {};
  let expected = 0;
  let desired = 0;
  if (spec.maxUnavailable !== undefined) {
    expected = expectedScale(deps as DisruptionDeps, ns, pods);
    desired = Math.max(0, expected - scaledValue(spec.maxUnavailable, expected, true, 0));
  } else if (typeof spec.minAvailable === 'number') {
    desired = spec.minAvailable;
    expected = pods.length;
  } else if (typeof spec.minAvailable === 'string') {
    expected = expectedScale(deps as DisruptionDeps, ns, pods);
    desired = scaledValue(spec.minAvailable, expected, true, 0);
  }
  // Evictions the pods have not yet followed by their deletion, for at most DELETION_TIMEOUT_MS.
  const disrupted: Record<string, string> = {};
  for (const [name, at] of Object.entries(pdb.status?.disruptedPods ?? {})) {
    const pod = pods.find((p) => p.metadata?.name === name);
    if (!pod || pod.metadata?.deletionTimestamp) continue;
    if (Date.parse(at) + DELETION_TIMEOUT_MS > now) disrupted[name] = at;
  }
  const healthy = pods.filter(
    (p) => !p.metadata?.deletionTimestamp && isReady(p) && !((p.metadata?.name ?? '') in disrupted),
  ).length;
  const allowed = expected <= 0 || healthy - desired <= 0 ? 0 : healthy - desired;
  const status: NonNullable<PodDisruptionBudget['status']> = {
    observedGeneration: pdb.metadata?.generation ?? 0,
    ...(Object.keys(disrupted).length > 0 ? { disruptedPods: disrupted } : {}),
    disruptionsAllowed: allowed,
    currentHealthy: healthy,
    desiredHealthy: desired,
    expectedPods: expected,
    ...(pdb.status?.conditions ? { conditions: pdb.status.conditions } : {}),
  };
  return status;
}

export async function syncDisruptionBudget(
  deps: DisruptionDeps,
  ns: string,
  name: string,
): Promise<SyncResult> {
  const obj = deps.pdbs.get(ns, name);
  if (!obj || obj.metadata.deletionTimestamp) return undefined;
  const pdb = obj as unknown as PodDisruptionBudget;
  const selector = pdb.spec?.selector;
  // A budget without a selector selects nothing (LabelSelectorAsSelector(nil)); an empty one, every pod.
  const pods = (deps.pods.list(ns) as unknown as Pod[]).filter(
    (p) => selector !== undefined && selectorMatches(selector, p.metadata?.labels),
  );
  const now = deps.clock.now();
  const next = { ...pdb, status: computeDisruptionStatus(deps, pdb, pods, now) } as PodDisruptionBudget;
  withDisruptionAllowedCondition(next, new Date(now).toISOString().replace(/\.\d{3}Z$/, 'Z'));
  if (JSON.stringify(next.status) !== JSON.stringify(pdb.status)) {
    try {
      await deps.client.updateStatus(deps.resource, ns, next as unknown as KubeObject);
    } catch (e) {
      if (!isStaleWrite(e)) throw e;
    }
  }
  // Look again when the oldest recorded eviction times out.
  const pending = Object.values(next.status?.disruptedPods ?? {}).map(
    (t) => Date.parse(t) + DELETION_TIMEOUT_MS - now,
  );
  return pending.length > 0 ? { requeueAfterMs: Math.max(1000, Math.min(...pending)) } : undefined;
}
